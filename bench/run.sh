#!/usr/bin/env bash
# bench/run.sh -- compare libgomp, hand-written MPI and libcape side by side:
# matrix multiplication, construct overheads in the manner of the EPCC
# microbenchmarks, a Jacobi stencil against an MPI halo exchange, the cost of a
# dirty page for each tracker, and a loop with uneven iterations (static,
# dynamic and guided schedules); also the cost of an empty region, a barrier,
# a dynamic chunk claim, a critical section, a lock and an atomic update.
# Run `bench/run.sh --help` for the options.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"

usage() {
    cat <<EOF
Usage: bench/run.sh [--big] [--help]

Builds the benchmark programs into bench/out/ and runs the parts that
BENCH_PARTS selects (default: all of them, in the order below). Every part
prints a table and writes a CSV into bench/out/.

  --big     add n = 9600 to the matrix sizes (about 10 minutes per run here)

matmul: for each matrix size n, runs the same C = A * B four ways (best of
BENCH_REPS runs each; one run for n >= 6400):

  libgomp     OMP_NUM_THREADS=NP ./matmul_omp n          (threads, shared memory)
  MPI         mpiexec -n NP ./matmul_mpi n                (hand-written MPI)
  libcape     env LD_PRELOAD=<libcape.so> CAPE_THREADS_PER_RANK=1 \\
                  mpiexec -n NP ./matmul_omp n            (same OpenMP binary)
  libcape 1xNP  the same with mpiexec -n 1 and CAPE_THREADS_PER_RANK=NP

checks that the checksums are identical, prints a table and writes it to
bench/out/results.csv.

epcc: construct overheads in the manner of the EPCC OpenMP microbenchmarks
(parallel, for, barrier, reduction: time of the construct around a small
delay minus the delay alone), libgomp vs libcape (bench/out/epcc.csv).

jacobi: a 5-point stencil with one short parallel region per sweep
(jacobi_omp) against a hand-written MPI halo exchange (jacobi_mpi), and
libgomp (bench/out/jacobi.csv).

pages: the cost of one dirty page under libcape, with each tracker
(CAPE_TRACKER=uffd and mprotect), all costs included (bench/out/pages.csv).

empty: times empty parallel regions under libgomp and libcape
(bench/out/empty_region.csv).

loadbalance: a loop whose iteration i costs O(i), for each size n and each
schedule (best of BENCH_REPS runs each):

  libgomp   OMP_NUM_THREADS=NP ./loadbalance_omp n <schedule>
  MPI       mpiexec -n NP ./loadbalance_mpi n cyclic     (once per n)
  libcape   env LD_PRELOAD=<libcape.so> CAPE_THREADS_PER_RANK=1 \\
                mpiexec -n NP ./loadbalance_omp n <schedule>

checks that every checksum is the same, prints a table with libcape/libgomp
and libcape/MPI and writes bench/out/loadbalance.csv.

barrier: times barriers and dynamic chunk claims inside one region under
libgomp and libcape (bench/out/barrier.csv).
sync: times a critical section, a lock set/unset pair and an atomic increment
inside one region under libgomp and libcape (bench/out/sync.csv).

Environment:
  CAPE_LIB       path of libcape.so
                 (default: <repo>/.build/release/libcape.so,
                  built with \`swift build -c release\`)
  BENCH_SIZES    matrix sizes n, space separated   (default: "1600 3200 6400")
  BENCH_REPS     repetitions per run, best is kept (default: 3)
  BENCH_NP       ranks for MPI/libcape and threads for libgomp (default: 2)
  BENCH_REGIONS  timed empty regions per run       (default: 10000)
  BENCH_PARTS    parts to run, space separated; they run in the order
                 above whatever the order given
                 (default: "matmul epcc jacobi pages empty loadbalance barrier sync")
  BENCH_EPCC_REPS  inner repetitions of each EPCC test (default: 1000)
  BENCH_JACOBI   "n T" of the Jacobi part          (default: "1024 200")
  BENCH_PAGES    "P R" of the pages part: pages written per region, regions
                 (default: "8192 20")
  BENCH_LB_SIZES loop sizes n of the load-balance part (default: 20000)
  BENCH_LB_SCHEDULES
                 schedules of the load-balance part, each "kind" or
                 "kind,chunk" with kind static, dynamic or guided
                 (default: "static dynamic guided", i.e. static with one
                  block per thread, dynamic,16 and guided,1)
  BENCH_BARRIERS timed barriers per run            (default: 5000)
  BENCH_SYNC_OPS critical sections, lock pairs and atomics per thread
                 in the sync part                  (default: 2000)
  BENCH_CHUNKS   timed dynamic chunk claims        (default: 1000000)
  BENCH_TIMEOUT  seconds before one run is killed, 0 = no limit (default: 900)
  CC, MPICC      compilers (default: gcc, mpicc)
  CFLAGS         optimisation flags (default: "-O3 -march=native")
EOF
}

BIG=0
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        --big) BIG=1 ;;
        *) echo "run.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "run.sh: error: $*" >&2; exit 1; }

SIZES="${BENCH_SIZES:-1600 3200 6400}"
[[ "$BIG" == 1 ]] && SIZES="$SIZES 9600"
EPCC_REPS="${BENCH_EPCC_REPS:-1000}"
JACOBI="${BENCH_JACOBI:-1024 200}"
PAGES="${BENCH_PAGES:-8192 20}"
REPS="${BENCH_REPS:-3}"
NP="${BENCH_NP:-2}"
REGIONS="${BENCH_REGIONS:-10000}"
PARTS="${BENCH_PARTS:-matmul epcc jacobi pages empty loadbalance barrier sync}"
SYNC_OPS="${BENCH_SYNC_OPS:-2000}"
LB_SIZES="${BENCH_LB_SIZES:-20000}"
LB_SCHEDULES="${BENCH_LB_SCHEDULES:-static dynamic guided}"
BARRIERS="${BENCH_BARRIERS:-5000}"
CHUNKS="${BENCH_CHUNKS:-1000000}"
TIMEOUT="${BENCH_TIMEOUT:-900}"
CC="${CC:-gcc}"
MPICC="${MPICC:-mpicc}"
CFLAGS="${CFLAGS:--O3 -march=native}"

[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer (got '$REPS')"
[[ "$NP" =~ ^[1-9][0-9]*$ ]] || die "BENCH_NP must be a positive integer (got '$NP')"
[[ "$REGIONS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REGIONS must be a positive integer (got '$REGIONS')"
[[ "$BARRIERS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_BARRIERS must be a positive integer (got '$BARRIERS')"
[[ "$CHUNKS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CHUNKS must be a positive integer (got '$CHUNKS')"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "BENCH_TIMEOUT must be a number of seconds (got '$TIMEOUT')"
for n in $SIZES; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZES must hold positive integers (got '$n')"
done
[[ -n "${SIZES// /}" ]] || die "BENCH_SIZES is empty"
for n in $LB_SIZES; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_LB_SIZES must hold positive integers (got '$n')"
done
[[ -n "${LB_SIZES// /}" ]] || die "BENCH_LB_SIZES is empty"
for s in $LB_SCHEDULES; do
    [[ "$s" =~ ^(static(,[0-9]+)?|(dynamic|guided)(,[1-9][0-9]*)?)$ ]] \
        || die "BENCH_LB_SCHEDULES: '$s' is not static[,chunk], dynamic[,chunk] or guided[,chunk]"
done
[[ -n "${LB_SCHEDULES// /}" ]] || die "BENCH_LB_SCHEDULES is empty"
for part in $PARTS; do
    case "$part" in
        matmul|epcc|jacobi|pages|empty|loadbalance|barrier|sync) ;;
        *) die "BENCH_PARTS: unknown part '$part' (known: matmul epcc jacobi pages empty loadbalance barrier sync)" ;;
    esac
done
[[ -n "${PARTS// /}" ]] || die "BENCH_PARTS is empty"
[[ "$EPCC_REPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_EPCC_REPS must be a positive integer (got '$EPCC_REPS')"
[[ "$JACOBI" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] || die "BENCH_JACOBI must be two positive integers \"n T\" (got '$JACOBI')"
[[ "$PAGES" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] || die "BENCH_PAGES must be two positive integers \"P R\" (got '$PAGES')"
# want <part>: whether BENCH_PARTS selects the part.
want() {
    local part
    for part in $PARTS; do [[ "$part" == "$1" ]] && return 0; done
    return 1
}

# ---- libcape -----------------------------------------------------------------
if [[ -n "${CAPE_LIB:-}" ]]; then
    LIB="$CAPE_LIB"
    [[ -f "$LIB" ]] || die "CAPE_LIB=$LIB does not exist"
else
    LIB="$REPO_DIR/.build/release/libcape.so"
    [[ -f "$LIB" ]] || die "libcape.so not found at $LIB
  build it first:   (cd $REPO_DIR && swift build -c release)
  or point CAPE_LIB at an existing libcape.so"
fi
LIB="$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")"

for tool in "$CC" "$MPICC" mpiexec awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH"
done
TIMEOUT_CMD=()
if [[ "$TIMEOUT" != 0 ]]; then
    command -v timeout >/dev/null 2>&1 || die "'timeout' (coreutils) not found; set BENCH_TIMEOUT=0"
    TIMEOUT_CMD=(timeout --kill-after=10 "$TIMEOUT")
fi

# ---- build -------------------------------------------------------------------
mkdir -p "$OUT_DIR"
echo "== building into $OUT_DIR"
# shellcheck disable=SC2086  # CFLAGS is a list of flags
"$CC" $CFLAGS -fopenmp -o "$OUT_DIR/matmul_omp" "$BENCH_DIR/matmul_omp.c" \
    && "$MPICC" $CFLAGS -o "$OUT_DIR/matmul_mpi" "$BENCH_DIR/matmul_mpi.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/empty_region" "$BENCH_DIR/empty_region.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/loadbalance_omp" "$BENCH_DIR/loadbalance_omp.c" \
    && "$MPICC" $CFLAGS -o "$OUT_DIR/loadbalance_mpi" "$BENCH_DIR/loadbalance_mpi.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/barrier" "$BENCH_DIR/barrier.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/sync" "$BENCH_DIR/sync.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/epcc" "$BENCH_DIR/epcc.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/jacobi_omp" "$BENCH_DIR/jacobi_omp.c" \
    && "$MPICC" $CFLAGS -o "$OUT_DIR/jacobi_mpi" "$BENCH_DIR/jacobi_mpi.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/pages" "$BENCH_DIR/pages.c" \
    || die "build failed"

# ---- running -----------------------------------------------------------------
LOG="$OUT_DIR/last_run.log"
ERR="$OUT_DIR/last_run.err"

# run_once <label> <command...>: runs the command, leaves its stdout in $LOG.
# Fails loudly (with the captured output) on a non-zero exit or timeout.
run_once() {
    local label="$1"; shift
    local rc=0
    "${TIMEOUT_CMD[@]}" "$@" >"$LOG" 2>"$ERR" </dev/null || rc=$?
    if [[ $rc -ne 0 ]]; then
        local why="exit $rc"
        [[ "$TIMEOUT" != 0 && ( $rc -eq 124 || $rc -eq 137 ) ]] && why="timed out after ${TIMEOUT}s"
        echo "run.sh: error: $label failed ($why)" >&2
        echo "  command: $*" >&2
        echo "  --- stdout (tail) ---" >&2; tail -n 20 "$LOG" >&2 || true
        echo "  --- stderr (tail) ---" >&2; tail -n 20 "$ERR" >&2 || true
        exit 1
    fi
}

# field <key>: value of the first "key=value" line in $LOG (several ranks may
# print; only the first occurrence counts).
field() {
    local v
    v="$(awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' "$LOG")"
    [[ -n "$v" ]] || { echo "run.sh: error: no '$1=' line in output:" >&2; cat "$LOG" >&2; exit 1; }
    printf '%s' "$v"
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else printf "n/a" }'; }

# bench_best <label> <what> <command...>: best time over REPS runs of a program
# that prints time_s= and checksum=; sets BEST and SUM. <what> names the case
# in messages ("n=1600").
bench_best() {
    local label="$1" what="$2"; shift 2
    local r t c
    BEST="" SUM=""
    for ((r = 1; r <= REPS; r++)); do
        run_once "$label $what" "$@"
        t="$(field time_s)"; c="$(field checksum)"
        if [[ -z "$SUM" ]]; then SUM="$c"
        elif [[ "$c" != "$SUM" ]]; then
            echo "!!!!!!!! MISMATCH: $label $what checksum changed between runs: $SUM vs $c" >&2
            exit 1
        fi
        if [[ -z "$BEST" ]]; then BEST="$t"; else BEST="$(min "$BEST" "$t")"; fi
        printf '   %-8s %-10s run %d/%d  time_s=%s  checksum=%s\n' "$label" "$what" "$r" "$REPS" "$t" "$c"
    done
}

mismatch() {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    echo "!!! MISMATCH $*" >&2
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    exit 1
}

GOMP_ENV=(env -u LD_PRELOAD OMP_NUM_THREADS="$NP")
MPI_ENV=(env -u LD_PRELOAD)
CAPE_ENV=(env -u OMP_NUM_THREADS LD_PRELOAD="$LIB" CAPE_THREADS_PER_RANK=1)

echo "== libcape: $LIB"
echo "== parts: $PARTS   reps: $REPS (best kept)   np/threads: $NP   cores: $(nproc 2>/dev/null || echo ?)"

# ---- matrix multiplication ---------------------------------------------------
part_matmul() {
    local n t_gomp c_gomp t_mpi c_mpi t_cape c_cape t_cape1 c_cape1 r_mpi r_gomp r1_gomp row reps_saved
    echo "== matmul sizes: $SIZES"
    CSV="$OUT_DIR/results.csv"
    echo "n,libgomp_${NP}thr_s,mpi_np${NP}_s,libcape_np${NP}_s,libcape_np1x${NP}_s,libcape_over_mpi,libcape_over_libgomp,libcape1x${NP}_over_libgomp,checksum" >"$CSV"
    ROWS=()
    reps_saved="$REPS"
    for n in $SIZES; do
        echo "== n=$n"
        REPS="$reps_saved"
        (( n >= 6400 )) && REPS=1
        # The runs of one size alternate, so that a slow spell of the machine hits all of them.
        bench_best libgomp "n=$n" "${GOMP_ENV[@]}" "$OUT_DIR/matmul_omp" "$n"
        t_gomp="$BEST"; c_gomp="$SUM"
        bench_best mpi "n=$n" "${MPI_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/matmul_mpi" "$n"
        t_mpi="$BEST"; c_mpi="$SUM"
        bench_best libcape "n=$n" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/matmul_omp" "$n"
        t_cape="$BEST"; c_cape="$SUM"
        bench_best "cape1x$NP" "n=$n" env -u OMP_NUM_THREADS LD_PRELOAD="$LIB" CAPE_THREADS_PER_RANK="$NP" \
            mpiexec -n 1 "$OUT_DIR/matmul_omp" "$n"
        t_cape1="$BEST"; c_cape1="$SUM"

        if [[ "$c_gomp" != "$c_mpi" || "$c_gomp" != "$c_cape" || "$c_gomp" != "$c_cape1" ]]; then
            mismatch "n=$n: libgomp=$c_gomp mpi=$c_mpi libcape=$c_cape libcape1x$NP=$c_cape1"
        fi
        r_mpi="$(ratio "$t_cape" "$t_mpi")"
        r_gomp="$(ratio "$t_cape" "$t_gomp")"
        r1_gomp="$(ratio "$t_cape1" "$t_gomp")"
        echo "$n,$t_gomp,$t_mpi,$t_cape,$t_cape1,$r_mpi,$r_gomp,$r1_gomp,$c_gomp" >>"$CSV"
        ROWS+=("$(printf '%6s  %14s  %13s  %15s  %18s  %12s  %16s  %20s' "$n" "$t_gomp" "$t_mpi" "$t_cape" "$t_cape1" "$r_mpi" "$r_gomp" "$r1_gomp")")
    done
    REPS="$reps_saved"

    echo
    echo "matrix multiplication, best of $REPS (one run for n >= 6400; seconds), checksums identical"
    printf '%6s  %14s  %13s  %15s  %18s  %12s  %16s  %20s\n' n "libgomp(${NP} thr)" "MPI(-n ${NP})" "libcape(-n ${NP})" \
        "libcape(-n 1x${NP})" libcape/MPI libcape/libgomp "libcape1x${NP}/libgomp"
    for row in "${ROWS[@]}"; do echo "$row"; done
    echo "(csv: $CSV)"
    echo
}

# ---- empty regions -----------------------------------------------------------
part_empty() {
    local us_gomp us_cape
    echo "== empty parallel regions: $REGIONS timed after 100 warm-up"
    run_once "empty_region libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/empty_region" "$REGIONS"
    us_gomp="$(field us_per_region)"
    run_once "empty_region libcape" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/empty_region" "$REGIONS"
    us_cape="$(field us_per_region)"
    printf '%-20s %12s\n' "runtime" "us/region"
    printf '%-20s %12s\n' "libgomp(${NP} thr)" "$us_gomp"
    printf '%-20s %12s\n' "libcape(-n ${NP})" "$us_cape"
    printf 'libcape/libgomp      %12s\n' "$(ratio "$us_cape" "$us_gomp")"
    {
        echo "runtime,us_per_region"
        echo "libgomp_${NP}thr,$us_gomp"
        echo "libcape_np${NP},$us_cape"
    } >"$OUT_DIR/empty_region.csv"
    echo "(csv: $OUT_DIR/empty_region.csv)"
    echo
}

# ---- load balance ------------------------------------------------------------
part_loadbalance() {
    local n sched t_gomp c_gomp t_mpi c_mpi t_cape c_cape r_mpi r_gomp row
    local -a sched_args
    echo "== load balance: iteration i costs O(i); sizes: $LB_SIZES   schedules: $LB_SCHEDULES"
    CSV="$OUT_DIR/loadbalance.csv"
    echo "n,schedule,libgomp_${NP}thr_s,mpi_np${NP}_s,libcape_np${NP}_s,libcape_over_libgomp,libcape_over_mpi,checksum" >"$CSV"
    ROWS=()
    for n in $LB_SIZES; do
        echo "== n=$n"
        bench_best mpi "cyclic" "${MPI_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/loadbalance_mpi" "$n" cyclic
        t_mpi="$BEST"; c_mpi="$SUM"
        for sched in $LB_SCHEDULES; do
            # "kind,chunk" -> two arguments; a bare kind takes the program's default chunk
            read -r -a sched_args <<<"${sched/,/ }"
            bench_best libgomp "$sched" "${GOMP_ENV[@]}" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
            t_gomp="$BEST"; c_gomp="$SUM"
            bench_best libcape "$sched" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
            t_cape="$BEST"; c_cape="$SUM"

            if [[ "$c_gomp" != "$c_mpi" || "$c_gomp" != "$c_cape" ]]; then
                mismatch "load balance n=$n $sched: libgomp=$c_gomp mpi=$c_mpi libcape=$c_cape"
            fi
            r_gomp="$(ratio "$t_cape" "$t_gomp")"
            r_mpi="$(ratio "$t_cape" "$t_mpi")"
            echo "$n,$sched,$t_gomp,$t_mpi,$t_cape,$r_gomp,$r_mpi,$c_gomp" >>"$CSV"
            ROWS+=("$(printf '%6s  %-10s  %14s  %13s  %15s  %16s  %12s' "$n" "$sched" "$t_gomp" "$t_mpi" "$t_cape" "$r_gomp" "$r_mpi")")
        done
    done

    echo
    echo "load balance (iteration i costs O(i)), best of $REPS (seconds), checksums identical"
    echo "(MPI: cyclic distribution, the same run for every schedule of one n)"
    printf '%6s  %-10s  %14s  %13s  %15s  %16s  %12s\n' n schedule "libgomp(${NP} thr)" "MPI(-n ${NP})" "libcape(-n ${NP})" libcape/libgomp libcape/MPI
    for row in "${ROWS[@]}"; do echo "$row"; done
    echo "(csv: $CSV)"
    echo
}

# ---- barriers and dynamic chunk claims ---------------------------------------
part_barrier() {
    local b_gomp e_gomp k_gomp s_gomp c_gomp b_cape e_cape k_cape s_cape c_cape
    echo "== barriers and dynamic chunks: $BARRIERS barriers, $CHUNKS chunks, in one region"
    run_once "barrier libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/barrier" "$BARRIERS" "$CHUNKS"
    b_gomp="$(field us_per_barrier)"; e_gomp="$(field us_per_empty_barrier)"
    k_gomp="$(field ns_per_chunk)"; s_gomp="$(field chunks_per_thread)"; c_gomp="$(field checksum)"
    run_once "barrier libcape" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/barrier" "$BARRIERS" "$CHUNKS"
    b_cape="$(field us_per_barrier)"; e_cape="$(field us_per_empty_barrier)"
    k_cape="$(field ns_per_chunk)"; s_cape="$(field chunks_per_thread)"; c_cape="$(field checksum)"
    [[ "$c_gomp" == "$c_cape" ]] || mismatch "barrier: libgomp=$c_gomp libcape=$c_cape"

    printf '%-20s %14s %20s %14s  %s\n' runtime us/barrier "us/empty barrier" ns/chunk "chunks per thread"
    printf '%-20s %14s %20s %14s  %s\n' "libgomp(${NP} thr)" "$b_gomp" "$e_gomp" "$k_gomp" "$s_gomp"
    printf '%-20s %14s %20s %14s  %s\n' "libcape(-n ${NP})" "$b_cape" "$e_cape" "$k_cape" "$s_cape"
    printf '%-20s %14s %20s %14s\n' libcape/libgomp "$(ratio "$b_cape" "$b_gomp")" \
        "$(ratio "$e_cape" "$e_gomp")" "$(ratio "$k_cape" "$k_gomp")"
    {
        echo "runtime,us_per_barrier,us_per_empty_barrier,ns_per_chunk,chunks_per_thread"
        echo "libgomp_${NP}thr,$b_gomp,$e_gomp,$k_gomp,${s_gomp//,/;}"
        echo "libcape_np${NP},$b_cape,$e_cape,$k_cape,${s_cape//,/;}"
    } >"$OUT_DIR/barrier.csv"
    echo "(csv: $OUT_DIR/barrier.csv)"
}

# ---- critical sections, locks and atomics -----------------------------------
part_sync() {
    local cg lg ag sg cc lc ac sc
    echo "== critical, lock and atomic: $SYNC_OPS operations per thread, in one region"
    run_once "sync libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/sync" "$SYNC_OPS"
    cg="$(field us_per_critical)"; lg="$(field us_per_lock)"; ag="$(field us_per_atomic)"; sg="$(field checksum)"
    run_once "sync libcape" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/sync" "$SYNC_OPS"
    cc="$(field us_per_critical)"; lc="$(field us_per_lock)"; ac="$(field us_per_atomic)"; sc="$(field checksum)"
    [[ "$sg" == "$sc" ]] || mismatch "sync: libgomp=$sg libcape=$sc"
    printf '%-20s %14s %14s %14s\n' runtime us/critical us/lock us/atomic
    printf '%-20s %14s %14s %14s\n' "libgomp(${NP} thr)" "$cg" "$lg" "$ag"
    printf '%-20s %14s %14s %14s\n' "libcape(-n ${NP})" "$cc" "$lc" "$ac"
    printf '%-20s %14s %14s %14s\n' libcape/libgomp "$(ratio "$cc" "$cg")" "$(ratio "$lc" "$lg")" "$(ratio "$ac" "$ag")"
    {
        echo "runtime,us_per_critical,us_per_lock,us_per_atomic"
        echo "libgomp_${NP}thr,$cg,$lg,$ag"
        echo "libcape_np${NP},$cc,$lc,$ac"
    } >"$OUT_DIR/sync.csv"
    echo "(csv: $OUT_DIR/sync.csv)"
}

# ---- EPCC-style construct overheads ------------------------------------------
part_epcc() {
    local t g c sg sc
    echo "== construct overheads (EPCC style): $EPCC_REPS constructs per test, 5 tests each"
    run_once "epcc libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/epcc" "$EPCC_REPS" 5
    cp "$LOG" "$OUT_DIR/epcc_gomp.log"
    sg="$(field checksum)"
    run_once "epcc libcape" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/epcc" "$EPCC_REPS" 5
    cp "$LOG" "$OUT_DIR/epcc_cape.log"
    sc="$(field checksum)"
    [[ "$sg" == "$sc" ]] || mismatch "epcc: libgomp=$sg libcape=$sc"
    echo "test,libgomp_${NP}thr_us,libcape_np${NP}_us,libgomp_min_us,libcape_min_us,libcape_over_libgomp" >"$OUT_DIR/epcc.csv"
    printf '%-10s %16s %16s %14s %14s %16s\n' construct "libgomp(${NP}) us" "libcape(-n ${NP}) us" "libgomp min" "libcape min" libcape/libgomp
    for t in parallel for barrier reduction; do
        cp "$OUT_DIR/epcc_gomp.log" "$LOG"; g="$(field "${t}_us")"; gm="$(field "${t}_min_us")"
        cp "$OUT_DIR/epcc_cape.log" "$LOG"; c="$(field "${t}_us")"; cm="$(field "${t}_min_us")"
        printf '%-10s %16s %16s %14s %14s %16s\n' "$t" "$g" "$c" "$gm" "$cm" "$(ratio "$c" "$g")"
        echo "$t,$g,$c,$gm,$cm,$(ratio "$c" "$g")" >>"$OUT_DIR/epcc.csv"
    done
    echo "(mean of 5 overheads per construct; csv: $OUT_DIR/epcc.csv)"
    echo
}

# ---- Jacobi stencil: many short regions vs a halo exchange --------------------
part_jacobi() {
    local n T t_gomp c_gomp t_mpi c_mpi t_cape c_cape
    read -r n T <<<"$JACOBI"
    echo "== jacobi n=$n, $T sweeps (one region per sweep)"
    bench_best libgomp "n=$n" "${GOMP_ENV[@]}" "$OUT_DIR/jacobi_omp" "$n" "$T"
    t_gomp="$BEST"; c_gomp="$SUM"
    bench_best mpi "n=$n" "${MPI_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/jacobi_mpi" "$n" "$T"
    t_mpi="$BEST"; c_mpi="$SUM"
    bench_best libcape "n=$n" "${CAPE_ENV[@]}" CAPE_PROFILE="$OUT_DIR/jacobi_profile.csv" mpiexec -n "$NP" "$OUT_DIR/jacobi_omp" "$n" "$T"
    t_cape="$BEST"; c_cape="$SUM"
    [[ "$c_gomp" == "$c_mpi" && "$c_gomp" == "$c_cape" ]] || mismatch "jacobi: libgomp=$c_gomp mpi=$c_mpi libcape=$c_cape"
    echo "n,sweeps,libgomp_${NP}thr_s,mpi_halo_np${NP}_s,libcape_np${NP}_s,libcape_over_mpi,libcape_over_libgomp,checksum" >"$OUT_DIR/jacobi.csv"
    echo "$n,$T,$t_gomp,$t_mpi,$t_cape,$(ratio "$t_cape" "$t_mpi"),$(ratio "$t_cape" "$t_gomp"),$c_gomp" >>"$OUT_DIR/jacobi.csv"
    printf '%6s %6s  %14s  %15s  %15s  %12s  %16s\n' n sweeps "libgomp(${NP} thr)" "MPI halo(-n ${NP})" "libcape(-n ${NP})" libcape/MPI libcape/libgomp
    printf '%6s %6s  %14s  %15s  %15s  %12s  %16s\n' "$n" "$T" "$t_gomp" "$t_mpi" "$t_cape" "$(ratio "$t_cape" "$t_mpi")" "$(ratio "$t_cape" "$t_gomp")"
    echo "(csv: $OUT_DIR/jacobi.csv; where libcape's time goes, last run: $OUT_DIR/jacobi_profile.csv)"
    if [[ -x "$REPO_DIR/.build/release/cape-profile" ]]; then
        "$REPO_DIR/.build/release/cape-profile" "$OUT_DIR/jacobi_profile.csv" --svg "$OUT_DIR/jacobi_profile.svg"
    fi
    echo
}

# ---- the cost of a dirty page, per tracker ------------------------------------
part_pages() {
    local P R tr u e s ref
    read -r P R <<<"$PAGES"
    echo "== dirty pages: $P pages written per region, $R regions, -n $NP"
    echo "tracker,us_per_page,us_per_empty_region,checksum" >"$OUT_DIR/pages.csv"
    printf '%-10s %12s %22s\n' tracker us/page "us/empty region"
    ref=""
    for tr in uffd mprotect; do
        run_once "pages $tr" "${CAPE_ENV[@]}" CAPE_TRACKER="$tr" mpiexec -n "$NP" "$OUT_DIR/pages" "$P" "$R"
        u="$(field us_per_page)"; e="$(field us_per_region_empty)"; s="$(field checksum)"
        [[ -z "$ref" ]] && ref="$s"
        [[ "$s" == "$ref" ]] || mismatch "pages: $tr checksum $s differs from $ref"
        printf '%-10s %12s %22s\n' "$tr" "$u" "$e"
        echo "$tr,$u,$e,$s" >>"$OUT_DIR/pages.csv"
    done
    echo "(each rank writes P/$NP pages per region and applies the others'; csv: $OUT_DIR/pages.csv)"
    echo
}

# ---- run the selected parts --------------------------------------------------
if want matmul; then part_matmul; fi
if want epcc; then part_epcc; fi
if want jacobi; then part_jacobi; fi
if want pages; then part_pages; fi
if want empty; then part_empty; fi
if want loadbalance; then part_loadbalance; fi
if want barrier; then part_barrier; fi
if want sync; then part_sync; fi
