#!/usr/bin/env bash
# bench/run.sh -- compare libgomp, hand-written MPI and libcape side by side:
# matrix multiplication, construct overheads in the manner of the EPCC
# microbenchmarks, a Jacobi stencil against an MPI halo exchange, the cost of a
# dirty page for each tracker, and a loop with uneven iterations (static,
# dynamic and guided schedules); also the cost of an empty region, a barrier,
# a dynamic chunk claim, a critical section, a lock and an atomic update; and
# two kernels in the manner of NAS (an ADI line sweep, a conjugate gradient)
# with many barriers in one region, set against an 8-byte MPI_Allreduce.
# With --hosts, the ranks run on simulated hosts (scripts/sim-ssh); the hosts
# part sets one host against several.
# Run `bench/run.sh --help` for the options.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"

usage() {
    cat <<EOF
Usage: bench/run.sh [--big] [--hosts H] [--help]

Builds the benchmark programs into bench/out/ and runs the parts that
BENCH_PARTS selects (default: all of them but hosts, in the order below).
Every part prints a table and writes a CSV into bench/out/.

  --big      add n = 9600 to the matrix sizes (about 10 minutes per run here)
  --hosts H  run every MPI and libcape job on H simulated hosts of NP/H ranks
             each: mpiexec -hosts bA:k,bB:k,... -launcher ssh -launcher-exec
             <repo>/scripts/sim-ssh (each host gets its own host name, System V
             IPC and /dev/shm; only MPI over loopback TCP connects them).
             NP must be a multiple of H. Default 1 (or BENCH_HOSTS): plain
             mpiexec on this host. With H > 1 the tables say "H hosts" and the
             CSV files go to bench/out/hostsH/; libgomp runs are unchanged.

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
(CAPE_TRACKER=uffd, uffd with CAPE_HOT_PAGES=0, and mprotect), all costs
included (bench/out/pages.csv).

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
sync: times a critical section, a lock set/unset pair, an atomic increment, a
flush with nothing to publish, an atomic capture, a float atomic add and an
atomic compare max inside one region under libgomp, libcape, and libcape with
CAPE_ATOMICS=trap (every atomic instruction reached by a trap instead of a
jump) (bench/out/sync.csv).

kernels: for each entry of BENCH_KERNELS, one OpenMP binary with one region
and many barriers (best of BENCH_REPS runs each):

  adi:n:T    bench/adi.c: an ADI line sweep in the manner of NAS SP/BT on an
             n^3 grid of 5 components, T time steps of 5 worksharing loops
             (rhs; Thomas solves along x, y, z; add)
  cg:m:it    bench/cg.c: it iterations of conjugate gradient in the manner
             of NAS CG on the 5-point Laplacian of an m x m grid, CSR
             (matrix-vector product, two reductions, vector updates: 5
             barriers per iteration)

  libgomp 1    env OMP_NUM_THREADS=1 ./adi n T
  libgomp NP   env OMP_NUM_THREADS=NP ./adi n T
  libcape      env LD_PRELOAD=<libcape.so> CAPE_THREADS_PER_RANK=1 \\
                   mpiexec -n NP ./adi n T                 (same binary)

and once: barrier.c (BENCH_BARRIERS, BENCH_CHUNKS) and empty_region.c
(BENCH_REGIONS) under libcape, and allreduce_mpi.c (BENCH_ALLREDUCES 8-byte
MPI_Allreduce calls) at mpiexec -n NP. adi's checksums must be identical
(else MISMATCH, exit 1); cg's depend on the team size (reduction order), so
only libgomp NP and libcape are compared, and a difference is a warning line.
Prints a table (libcape over libgomp 1 and NP; libcape's extra time per
barrier) and what a libcape barrier, empty barrier and empty region cost in
8-byte MPI_Allreduce calls; writes bench/out/kernels.csv.

hosts (only when BENCH_PARTS names it): one host against several, at NP
ranks: plain mpiexec -n NP against HP simulated hosts of NP/HP ranks, where
HP is H of --hosts, or 2 without it (so 2 hosts x 1 rank at the default NP):

  loadbalance  n = first of BENCH_LB_SIZES, schedules dynamic and guided:
               libgomp (NP threads), libcape on 1 host, libcape on HP hosts
  barrier      barrier.c with BENCH_HOSTS_BARRIERS barriers and BENCH_CHUNKS
               chunks, and sync.c with BENCH_HOSTS_SYNC_OPS operations, each
               under libgomp, libcape on 1 host and on HP hosts (a cross-host
               lock is a network round trip, hence the smaller counts; all
               three runs use them, so their checksums compare)
  matmul       n = first of BENCH_SIZES: MPI and libcape, each on 1 host and
               on HP hosts, and libgomp
  compute      compute.c: one region of pure arithmetic, no synchronization,
               calibrated under libgomp to last BENCH_COMPUTE_S seconds; runs
               under libcape on 1 host and on HP hosts and samples, from
               /proc, the CPU time of the job's cape-proxy processes (all
               together: 100 = one core) and of its ranks while the region
               computes (goal: proxies <= 2% on HP hosts)

prints one table (ratios: libcape on HP hosts over libgomp, for matmul over
MPI on HP hosts; the same on 1 host) and writes bench/out/hosts.csv.

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
                 (default: "matmul epcc jacobi pages empty loadbalance barrier sync
                  kernels"; hosts is the one other part)
  BENCH_HOSTS    simulated hosts, as --hosts (default: 1)
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
  BENCH_KERNELS  kernel runs of the kernels part, each adi:n:T or cg:m:it
                 (default: "adi:12:500 adi:24:50 cg:128:200")
  BENCH_ALLREDUCES
                 timed 8-byte MPI_Allreduce calls in the kernels part
                                                   (default: 10000)
  BENCH_HOSTS_BARRIERS
                 barriers per run in the hosts part (default: 500)
  BENCH_HOSTS_SYNC_OPS
                 critical sections, lock pairs and atomics per thread in
                 the hosts part                    (default: 200)
  BENCH_COMPUTE_S
                 seconds the compute region of the hosts part lasts under
                 libgomp, at least 2               (default: 5)
  BENCH_TIMEOUT  seconds before one run is killed, 0 = no limit (default: 900)
  CC, MPICC      compilers (default: gcc, mpicc)
  CFLAGS         optimisation flags (default: "-O3 -march=native -mno-avx512f":
                 libcape's disassembler, Capstone 4, does not know every
                 AVX-512 instruction, see the README's limits)
EOF
}

BIG=0
HOSTS="${BENCH_HOSTS:-1}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --big) BIG=1 ;;
        --hosts)
            [[ $# -ge 2 ]] || { echo "run.sh: --hosts needs a number of hosts" >&2; usage >&2; exit 2; }
            HOSTS="$2"; shift ;;
        --hosts=*) HOSTS="${1#--hosts=}" ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
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
PARTS="${BENCH_PARTS:-matmul epcc jacobi pages empty loadbalance barrier sync kernels}"
SYNC_OPS="${BENCH_SYNC_OPS:-2000}"
LB_SIZES="${BENCH_LB_SIZES:-20000}"
LB_SCHEDULES="${BENCH_LB_SCHEDULES:-static dynamic guided}"
BARRIERS="${BENCH_BARRIERS:-5000}"
CHUNKS="${BENCH_CHUNKS:-1000000}"
KERNELS="${BENCH_KERNELS:-adi:12:500 adi:24:50 cg:128:200}"
ALLREDUCES="${BENCH_ALLREDUCES:-10000}"
TIMEOUT="${BENCH_TIMEOUT:-900}"
HOSTS_BARRIERS="${BENCH_HOSTS_BARRIERS:-500}"
HOSTS_SYNC_OPS="${BENCH_HOSTS_SYNC_OPS:-200}"
COMPUTE_S="${BENCH_COMPUTE_S:-5}"
CC="${CC:-gcc}"
MPICC="${MPICC:-mpicc}"
CFLAGS="${CFLAGS:--O3 -march=native -mno-avx512f}"

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
for k in $KERNELS; do
    [[ "$k" =~ ^(adi|cg):[1-9][0-9]*:[1-9][0-9]*$ ]] \
        || die "BENCH_KERNELS: '$k' is not adi:n:T or cg:m:it (positive integers)"
    IFS=: read -r kind size steps <<<"$k"
    [[ "$kind" != adi ]] || (( size >= 3 )) || die "BENCH_KERNELS: '$k': adi needs n >= 3"
    [[ "$kind" != cg ]] || (( size >= 2 )) || die "BENCH_KERNELS: '$k': cg needs m >= 2"
done
[[ -n "${KERNELS// /}" ]] || die "BENCH_KERNELS is empty"
[[ "$ALLREDUCES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ALLREDUCES must be a positive integer (got '$ALLREDUCES')"
for part in $PARTS; do
    case "$part" in
        matmul|epcc|jacobi|pages|empty|loadbalance|barrier|sync|kernels|hosts) ;;
        *) die "BENCH_PARTS: unknown part '$part' (known: matmul epcc jacobi pages empty loadbalance barrier sync kernels hosts)" ;;
    esac
done
[[ -n "${PARTS// /}" ]] || die "BENCH_PARTS is empty"
[[ "$EPCC_REPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_EPCC_REPS must be a positive integer (got '$EPCC_REPS')"
[[ "$JACOBI" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] || die "BENCH_JACOBI must be two positive integers \"n T\" (got '$JACOBI')"
[[ "$PAGES" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] || die "BENCH_PAGES must be two positive integers \"P R\" (got '$PAGES')"
[[ "$HOSTS" =~ ^[1-9][0-9]*$ ]] || die "--hosts / BENCH_HOSTS must be a positive integer (got '$HOSTS')"
(( NP % HOSTS == 0 )) || die "--hosts $HOSTS: BENCH_NP=$NP ranks cannot be split evenly over $HOSTS hosts (NP must be a multiple of H)"
[[ "$HOSTS_BARRIERS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_HOSTS_BARRIERS must be a positive integer (got '$HOSTS_BARRIERS')"
[[ "$HOSTS_SYNC_OPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_HOSTS_SYNC_OPS must be a positive integer (got '$HOSTS_SYNC_OPS')"
[[ "$COMPUTE_S" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v t="$COMPUTE_S" 'BEGIN { exit !(t >= 2) }' \
    || die "BENCH_COMPUTE_S must be a number of seconds, at least 2 (got '$COMPUTE_S')"
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

# ---- simulated hosts ---------------------------------------------------------
SIM_SSH="$REPO_DIR/scripts/sim-ssh"

# host_list <hosts> <ranks per host>: "bA:k,bB:k,..." for mpiexec -hosts.
host_list() {
    local h="$1" k="$2" i name list=""
    local letters=ABCDEFGHIJKLMNOPQRSTUVWXYZ
    for ((i = 0; i < h; i++)); do
        if (( i < 26 )); then name="b${letters:i:1}"; else name="b$i"; fi
        list+="${list:+,}$name:$k"
    done
    printf '%s' "$list"
}

# mpiexec_on <hosts>: sets MPIEXEC_ON to the mpiexec command line (without -n)
# that spreads NP ranks evenly over that many simulated hosts; 1 = plain mpiexec.
mpiexec_on() {
    if (( $1 == 1 )); then
        MPIEXEC_ON=(mpiexec)
    else
        MPIEXEC_ON=(mpiexec -hosts "$(host_list "$1" $((NP / $1)))" -launcher ssh -launcher-exec "$SIM_SSH")
    fi
}

# check_sim_hosts <hosts>: fails early, with sim-ssh's own message, where the
# namespaces cannot be made (no root and no unprivileged user namespaces),
# rather than in the middle of a part.
check_sim_hosts() {
    local h="$1" want got
    [[ -x "$SIM_SSH" ]] || die "simulated hosts need $SIM_SSH (not found or not executable)"
    want="$(host_list "$h" 1 | tr ',' '\n' | sed 's/:1$//' | sort | tr '\n' ' ')"
    got="$(env -u LD_PRELOAD timeout 60 mpiexec -hosts "$(host_list "$h" 1)" -launcher ssh -launcher-exec "$SIM_SSH" \
        -n "$h" hostname 2>&1 </dev/null | sort | tr '\n' ' ')" || true
    [[ "$got" == "$want" ]] || die "simulated hosts do not work: 'mpiexec -hosts $(host_list "$h" 1) -launcher ssh -launcher-exec $SIM_SSH -n $h hostname' printed:
$got
  (expected the host names: $want)"
}

HOSTS_PART_N=2
(( HOSTS > 1 )) && HOSTS_PART_N="$HOSTS"
if want hosts; then
    (( NP % HOSTS_PART_N == 0 )) || die "the hosts part spreads BENCH_NP=$NP ranks over $HOSTS_PART_N hosts: NP must be a multiple of $HOSTS_PART_N"
fi
if (( HOSTS > 1 )) || want hosts; then
    check_sim_hosts "$HOSTS_PART_N"
fi
mpiexec_on "$HOSTS"
MPIEXEC=("${MPIEXEC_ON[@]}")
# Labels and result files of the runs that MPIEXEC starts: the same as ever on
# one host; on several, their own directory, so that one-host results survive.
AT="-n ${NP}"
RES_DIR="$OUT_DIR"
if (( HOSTS > 1 )); then
    AT="-n ${NP}, ${HOSTS} hosts"
    RES_DIR="$OUT_DIR/hosts$HOSTS"
fi

# ---- build -------------------------------------------------------------------
mkdir -p "$OUT_DIR" "$RES_DIR"
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
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/compute" "$BENCH_DIR/compute.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/adi" "$BENCH_DIR/adi.c" \
    && "$CC" $CFLAGS -fopenmp -o "$OUT_DIR/cg" "$BENCH_DIR/cg.c" -lm \
    && "$MPICC" $CFLAGS -o "$OUT_DIR/allreduce_mpi" "$BENCH_DIR/allreduce_mpi.c" \
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
    [[ $rc -eq 0 ]] || run_failed "$label" "$rc" "$@"
}

# run_failed <label> <exit status> <command...>: reports a failed run with the
# tails of $LOG and $ERR and exits.
run_failed() {
    local label="$1" rc="$2"; shift 2
    local why="exit $rc"
    [[ "$TIMEOUT" != 0 && ( $rc -eq 124 || $rc -eq 137 ) ]] && why="timed out after ${TIMEOUT}s"
    echo "run.sh: error: $label failed ($why)" >&2
    echo "  command: $*" >&2
    echo "  --- stdout (tail) ---" >&2; tail -n 20 "$LOG" >&2 || true
    echo "  --- stderr (tail) ---" >&2; tail -n 20 "$ERR" >&2 || true
    exit 1
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
if (( HOSTS > 1 )); then
    echo "== hosts: every MPI and libcape run on $HOSTS simulated hosts ($(host_list "$HOSTS" $((NP / HOSTS)))) through $SIM_SSH; csv files in $RES_DIR"
fi

# ---- matrix multiplication ---------------------------------------------------
part_matmul() {
    local n t_gomp c_gomp t_mpi c_mpi t_cape c_cape t_cape1 c_cape1 r_mpi r_gomp r1_gomp row reps_saved
    echo "== matmul sizes: $SIZES"
    CSV="$RES_DIR/results.csv"
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
        bench_best mpi "n=$n" "${MPI_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/matmul_mpi" "$n"
        t_mpi="$BEST"; c_mpi="$SUM"
        bench_best libcape "n=$n" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/matmul_omp" "$n"
        t_cape="$BEST"; c_cape="$SUM"
        bench_best "cape1x$NP" "n=$n" env -u OMP_NUM_THREADS LD_PRELOAD="$LIB" CAPE_THREADS_PER_RANK="$NP" \
            "${MPIEXEC[@]}" -n 1 "$OUT_DIR/matmul_omp" "$n"
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
    printf '%6s  %14s  %13s  %15s  %18s  %12s  %16s  %20s\n' n "libgomp(${NP} thr)" "MPI(${AT})" "libcape(${AT})" \
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
    run_once "empty_region libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/empty_region" "$REGIONS"
    us_cape="$(field us_per_region)"
    printf '%-20s %12s\n' "runtime" "us/region"
    printf '%-20s %12s\n' "libgomp(${NP} thr)" "$us_gomp"
    printf '%-20s %12s\n' "libcape(${AT})" "$us_cape"
    printf 'libcape/libgomp      %12s\n' "$(ratio "$us_cape" "$us_gomp")"
    {
        echo "runtime,us_per_region"
        echo "libgomp_${NP}thr,$us_gomp"
        echo "libcape_np${NP},$us_cape"
    } >"$RES_DIR/empty_region.csv"
    echo "(csv: $RES_DIR/empty_region.csv)"
    echo
}

# ---- load balance ------------------------------------------------------------
part_loadbalance() {
    local n sched t_gomp c_gomp t_mpi c_mpi t_cape c_cape r_mpi r_gomp row
    local -a sched_args
    echo "== load balance: iteration i costs O(i); sizes: $LB_SIZES   schedules: $LB_SCHEDULES"
    CSV="$RES_DIR/loadbalance.csv"
    echo "n,schedule,libgomp_${NP}thr_s,mpi_np${NP}_s,libcape_np${NP}_s,libcape_over_libgomp,libcape_over_mpi,checksum" >"$CSV"
    ROWS=()
    for n in $LB_SIZES; do
        echo "== n=$n"
        bench_best mpi "cyclic" "${MPI_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/loadbalance_mpi" "$n" cyclic
        t_mpi="$BEST"; c_mpi="$SUM"
        for sched in $LB_SCHEDULES; do
            # "kind,chunk" -> two arguments; a bare kind takes the program's default chunk
            read -r -a sched_args <<<"${sched/,/ }"
            bench_best libgomp "$sched" "${GOMP_ENV[@]}" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
            t_gomp="$BEST"; c_gomp="$SUM"
            bench_best libcape "$sched" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
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
    printf '%6s  %-10s  %14s  %13s  %15s  %16s  %12s\n' n schedule "libgomp(${NP} thr)" "MPI(${AT})" "libcape(${AT})" libcape/libgomp libcape/MPI
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
    run_once "barrier libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/barrier" "$BARRIERS" "$CHUNKS"
    b_cape="$(field us_per_barrier)"; e_cape="$(field us_per_empty_barrier)"
    k_cape="$(field ns_per_chunk)"; s_cape="$(field chunks_per_thread)"; c_cape="$(field checksum)"
    [[ "$c_gomp" == "$c_cape" ]] || mismatch "barrier: libgomp=$c_gomp libcape=$c_cape"

    printf '%-20s %14s %20s %14s  %s\n' runtime us/barrier "us/empty barrier" ns/chunk "chunks per thread"
    printf '%-20s %14s %20s %14s  %s\n' "libgomp(${NP} thr)" "$b_gomp" "$e_gomp" "$k_gomp" "$s_gomp"
    printf '%-20s %14s %20s %14s  %s\n' "libcape(${AT})" "$b_cape" "$e_cape" "$k_cape" "$s_cape"
    printf '%-20s %14s %20s %14s\n' libcape/libgomp "$(ratio "$b_cape" "$b_gomp")" \
        "$(ratio "$e_cape" "$e_gomp")" "$(ratio "$k_cape" "$k_gomp")"
    {
        echo "runtime,us_per_barrier,us_per_empty_barrier,ns_per_chunk,chunks_per_thread"
        echo "libgomp_${NP}thr,$b_gomp,$e_gomp,$k_gomp,${s_gomp//,/;}"
        echo "libcape_np${NP},$b_cape,$e_cape,$k_cape,${s_cape//,/;}"
    } >"$RES_DIR/barrier.csv"
    echo "(csv: $RES_DIR/barrier.csv)"
}

# ---- critical sections, locks and atomics -----------------------------------
part_sync() {
    local sg sc st
    local -A g c t
    local keys="critical lock atomic flush capture float_atomic max"
    echo "== critical, lock, atomic, flush, atomic capture, float atomic and atomic compare max: $SYNC_OPS operations per thread"
    echo "   (the local updates atomic, float atomic and max: 100 times as many), in one region"
    run_once "sync libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/sync" "$SYNC_OPS"
    for k in $keys; do g[$k]="$(field "us_per_$k")"; done; sg="$(field checksum)"
    run_once "sync libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/sync" "$SYNC_OPS"
    for k in $keys; do c[$k]="$(field "us_per_$k")"; done; sc="$(field checksum)"
    # the same with every atomic instruction reached by a trap instead of a jump
    run_once "sync libcape, CAPE_ATOMICS=trap" "${CAPE_ENV[@]}" CAPE_ATOMICS=trap "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/sync" "$SYNC_OPS"
    for k in $keys; do t[$k]="$(field "us_per_$k")"; done; st="$(field checksum)"
    [[ "$sg" == "$sc" && "$sg" == "$st" ]] || mismatch "sync: libgomp=$sg libcape=$sc libcape(trap)=$st"
    printf '%-22s' runtime; for k in $keys; do printf ' %13s' "us/$k"; done; echo
    printf '%-22s' "libgomp(${NP} thr)"; for k in $keys; do printf ' %13s' "${g[$k]}"; done; echo
    printf '%-22s' "libcape(${AT})"; for k in $keys; do printf ' %13s' "${c[$k]}"; done; echo
    printf '%-22s' "libcape(${AT}, trap)"; for k in $keys; do printf ' %13s' "${t[$k]}"; done; echo
    printf '%-22s' libcape/libgomp; for k in $keys; do printf ' %13s' "$(ratio "${c[$k]}" "${g[$k]}")"; done; echo
    {
        printf 'runtime'; for k in $keys; do printf ',us_per_%s' "$k"; done; echo
        printf 'libgomp_%sthr' "$NP"; for k in $keys; do printf ',%s' "${g[$k]}"; done; echo
        printf 'libcape_np%s' "$NP"; for k in $keys; do printf ',%s' "${c[$k]}"; done; echo
        printf 'libcape_np%s_trap' "$NP"; for k in $keys; do printf ',%s' "${t[$k]}"; done; echo
    } >"$RES_DIR/sync.csv"
    echo "(csv: $RES_DIR/sync.csv)"
}

# ---- kernels in the manner of NAS: many barriers in one region ----------------
# kernel_best <label> <what> <strict: 1|0> <command...>: best "seconds=" over
# REPS runs of adi or cg; sets BEST, SUM (the first run's checksum) and VARIED
# (the other checksums seen, "" if none). strict = 1: a checksum that changes
# between runs stops the script, as in bench_best.
kernel_best() {
    local label="$1" what="$2" strict="$3"; shift 3
    local r t c
    BEST="" SUM="" VARIED=""
    for ((r = 1; r <= REPS; r++)); do
        run_once "$label $what" "$@"
        t="$(field seconds)"; c="$(field checksum)"
        if [[ -z "$SUM" ]]; then SUM="$c"
        elif [[ "$c" != "$SUM" ]]; then
            if [[ "$strict" == 1 ]]; then
                echo "!!!!!!!! MISMATCH: $label $what checksum changed between runs: $SUM vs $c" >&2
                exit 1
            fi
            [[ " $VARIED " == *" $c "* ]] || VARIED="${VARIED:+$VARIED }$c"
        fi
        if [[ -z "$BEST" ]]; then BEST="$t"; else BEST="$(min "$BEST" "$t")"; fi
        printf '   %-10s %-12s run %d/%d  seconds=%s  checksum=%s\n' "$label" "$what" "$r" "$REPS" "$t" "$c"
    done
}

# times_of <a> <b>: a / b with one decimal ("n/a" if b is 0).
times_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.1f", a / b; else printf "n/a" }'; }

part_kernels() {
    local k kind size steps per key prog what strict row note
    local t1 c1 tn cn tc cc v1 vn vc barriers extra
    local b_cape e_cape r_cape a_mpi
    local -a rows=() csv=() warns=()
    echo "== kernels: $KERNELS   (libgomp 1 thread, libgomp $NP threads, libcape $AT)"
    for k in $KERNELS; do
        IFS=: read -r kind size steps <<<"$k"
        prog="$OUT_DIR/$kind"
        # adi must give one checksum whatever the team; cg's reductions need not.
        if [[ "$kind" == adi ]]; then what="n=$size"; strict=1; key=barriers_per_step
        else what="m=$size"; strict=0; key=barriers_per_iteration
        fi
        echo "== $kind $what, $steps $([[ "$kind" == adi ]] && echo time steps || echo iterations)"
        # The three runs of one kernel follow each other, so that a slow spell of the machine hits all of them.
        kernel_best "libgomp1" "$kind $what" "$strict" env -u LD_PRELOAD OMP_NUM_THREADS=1 "$prog" "$size" "$steps"
        t1="$BEST"; c1="$SUM"; v1="$VARIED"
        kernel_best "libgomp$NP" "$kind $what" "$strict" "${GOMP_ENV[@]}" "$prog" "$size" "$steps"
        tn="$BEST"; cn="$SUM"; vn="$VARIED"
        kernel_best libcape "$kind $what" "$strict" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$prog" "$size" "$steps"
        tc="$BEST"; cc="$SUM"; vc="$VARIED"
        # The programs say how many barriers a step has.
        per="$(field "$key")"
        barriers=$((per * steps))
        if [[ "$kind" == adi ]]; then
            [[ "$c1" == "$cn" && "$c1" == "$cc" ]] \
                || mismatch "kernels: adi n=$size T=$steps: libgomp 1 thread=$c1 libgomp $NP threads=$cn libcape=$cc"
            note=identical
        else
            # Reductions: the sum depends on the team's split, so only the same team size compares.
            if [[ "$cn" == "$cc" ]]; then note="same-team identical"
            else
                note="same-team differ"
                warns+=("warning: cg m=$size it=$steps: libcape checksum $cc differs from libgomp ($NP thr) $cn (reduction order; libgomp 1 thread: $c1)")
            fi
            [[ -z "$v1$vn$vc" ]] || {
                note="$note; varied between runs"
                warns+=("warning: cg m=$size it=$steps: checksum varied between runs (libgomp 1: $c1${v1:+ $v1}; libgomp $NP: $cn${vn:+ $vn}; libcape: $cc${vc:+ $vc})")
            }
        fi
        extra="$(awk -v c="$tc" -v g="$tn" -v b="$barriers" 'BEGIN { printf "%.1f", (c - g) * 1e6 / b }')"
        rows+=("$(printf '%-6s %-8s %7s %9s %15s %16s %15s %18s %19s %17s' "$kind" "$what" "$steps" "$barriers" \
            "$t1" "$tn" "$tc" "$(ratio "$tc" "$t1")" "$(ratio "$tc" "$tn")" "$extra")")
        csv+=("$kind,$size,$steps,$barriers,$t1,$tn,$tc,$(ratio "$tc" "$t1"),$(ratio "$tc" "$tn"),$extra,$c1,$cn,$cc,$note")
    done

    echo "== barrier, empty region (libcape $AT) and 8-byte MPI_Allreduce (MPI $AT), one run each"
    run_once "kernels barrier libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/barrier" "$BARRIERS" "$CHUNKS"
    b_cape="$(field us_per_barrier)"; e_cape="$(field us_per_empty_barrier)"
    run_once "kernels empty_region libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/empty_region" "$REGIONS"
    r_cape="$(field us_per_region)"
    run_once "kernels allreduce_mpi" "${MPI_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/allreduce_mpi" "$ALLREDUCES"
    a_mpi="$(field us_per_allreduce)"
    printf '   %-10s us_per_barrier=%s us_per_empty_barrier=%s us_per_region=%s us_per_allreduce=%s\n' \
        measured "$b_cape" "$e_cape" "$r_cape" "$a_mpi"

    echo
    echo "kernels: one region, many barriers; best of $REPS (seconds of the time-step loop)"
    echo "(adi checksums identical under the three; cg compared between libgomp($NP thr) and libcape only)"
    printf '%-6s %-8s %7s %9s %15s %16s %15s %18s %19s %17s\n' kernel size steps barriers "libgomp(1 thr)" "libgomp(${NP} thr)" \
        "libcape(${AT})" "libcape/libgomp-1" "libcape/libgomp-${NP}" "extra us/barrier"
    for row in "${rows[@]}"; do echo "$row"; done
    for row in "${warns[@]}"; do echo "$row"; done
    echo "(extra us/barrier: (libcape - libgomp(${NP} thr)) / barriers)"
    echo "barrier:       $b_cape us ($(times_of "$b_cape" "$a_mpi") x an 8-byte MPI_Allreduce of $a_mpi us)   [libcape ${AT}, after writing 8 KiB]"
    echo "empty barrier: $e_cape us ($(times_of "$e_cape" "$a_mpi") x an 8-byte MPI_Allreduce of $a_mpi us)"
    echo "empty region:  $r_cape us ($(times_of "$r_cape" "$a_mpi") x an 8-byte MPI_Allreduce of $a_mpi us)"
    {
        echo "kernel,size,steps,barriers,libgomp_1thr_s,libgomp_${NP}thr_s,libcape_np${NP}_s,libcape_over_libgomp1,libcape_over_libgomp${NP},libcape_extra_us_per_barrier,checksum_libgomp1,checksum_libgomp${NP},checksum_libcape,checksums,libcape_us_per_barrier,libcape_us_per_empty_barrier,libcape_us_per_region,mpi_us_per_allreduce"
        for row in "${csv[@]}"; do echo "$row,$b_cape,$e_cape,$r_cape,$a_mpi"; done
    } >"$RES_DIR/kernels.csv"
    echo "(csv: $RES_DIR/kernels.csv)"
    echo
}

# ---- EPCC-style construct overheads ------------------------------------------
part_epcc() {
    local t g c sg sc
    echo "== construct overheads (EPCC style): $EPCC_REPS constructs per test, 5 tests each"
    run_once "epcc libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/epcc" "$EPCC_REPS" 5
    cp "$LOG" "$RES_DIR/epcc_gomp.log"
    sg="$(field checksum)"
    run_once "epcc libcape" "${CAPE_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/epcc" "$EPCC_REPS" 5
    cp "$LOG" "$RES_DIR/epcc_cape.log"
    sc="$(field checksum)"
    [[ "$sg" == "$sc" ]] || mismatch "epcc: libgomp=$sg libcape=$sc"
    echo "test,libgomp_${NP}thr_us,libcape_np${NP}_us,libgomp_min_us,libcape_min_us,libcape_over_libgomp" >"$RES_DIR/epcc.csv"
    printf '%-10s %16s %16s %14s %14s %16s\n' construct "libgomp(${NP}) us" "libcape(${AT}) us" "libgomp min" "libcape min" libcape/libgomp
    for t in parallel for barrier reduction; do
        cp "$RES_DIR/epcc_gomp.log" "$LOG"; g="$(field "${t}_us")"; gm="$(field "${t}_min_us")"
        cp "$RES_DIR/epcc_cape.log" "$LOG"; c="$(field "${t}_us")"; cm="$(field "${t}_min_us")"
        printf '%-10s %16s %16s %14s %14s %16s\n' "$t" "$g" "$c" "$gm" "$cm" "$(ratio "$c" "$g")"
        echo "$t,$g,$c,$gm,$cm,$(ratio "$c" "$g")" >>"$RES_DIR/epcc.csv"
    done
    echo "(mean of 5 overheads per construct; csv: $RES_DIR/epcc.csv)"
    echo
}

# ---- Jacobi stencil: many short regions vs a halo exchange --------------------
part_jacobi() {
    local n T t_gomp c_gomp t_mpi c_mpi t_cape c_cape
    read -r n T <<<"$JACOBI"
    echo "== jacobi n=$n, $T sweeps (one region per sweep)"
    bench_best libgomp "n=$n" "${GOMP_ENV[@]}" "$OUT_DIR/jacobi_omp" "$n" "$T"
    t_gomp="$BEST"; c_gomp="$SUM"
    bench_best mpi "n=$n" "${MPI_ENV[@]}" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/jacobi_mpi" "$n" "$T"
    t_mpi="$BEST"; c_mpi="$SUM"
    bench_best libcape "n=$n" "${CAPE_ENV[@]}" CAPE_PROFILE="$RES_DIR/jacobi_profile.csv" "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/jacobi_omp" "$n" "$T"
    t_cape="$BEST"; c_cape="$SUM"
    [[ "$c_gomp" == "$c_mpi" && "$c_gomp" == "$c_cape" ]] || mismatch "jacobi: libgomp=$c_gomp mpi=$c_mpi libcape=$c_cape"
    echo "n,sweeps,libgomp_${NP}thr_s,mpi_halo_np${NP}_s,libcape_np${NP}_s,libcape_over_mpi,libcape_over_libgomp,checksum" >"$RES_DIR/jacobi.csv"
    echo "$n,$T,$t_gomp,$t_mpi,$t_cape,$(ratio "$t_cape" "$t_mpi"),$(ratio "$t_cape" "$t_gomp"),$c_gomp" >>"$RES_DIR/jacobi.csv"
    printf '%6s %6s  %14s  %15s  %15s  %12s  %16s\n' n sweeps "libgomp(${NP} thr)" "MPI halo(${AT})" "libcape(${AT})" libcape/MPI libcape/libgomp
    printf '%6s %6s  %14s  %15s  %15s  %12s  %16s\n' "$n" "$T" "$t_gomp" "$t_mpi" "$t_cape" "$(ratio "$t_cape" "$t_mpi")" "$(ratio "$t_cape" "$t_gomp")"
    echo "(csv: $RES_DIR/jacobi.csv; where libcape's time goes, last run: $RES_DIR/jacobi_profile.csv)"
    if [[ -x "$REPO_DIR/.build/release/cape-profile" ]]; then
        "$REPO_DIR/.build/release/cape-profile" "$RES_DIR/jacobi_profile.csv" --svg "$RES_DIR/jacobi_profile.svg"
    fi
    echo
}

# ---- the cost of a dirty page, per tracker ------------------------------------
part_pages() {
    local P R tr u e s ref
    read -r P R <<<"$PAGES"
    echo "== dirty pages: $P pages written per region, $R regions, $AT"
    echo "tracker,us_per_page,us_per_empty_region,checksum" >"$RES_DIR/pages.csv"
    printf '%-10s %12s %22s\n' tracker us/page "us/empty region"
    ref=""
    # uffd-cold: every page protected at every sync point (CAPE_HOT_PAGES=0), so each write faults.
    for tr in uffd uffd-cold mprotect; do
        run_once "pages $tr" "${CAPE_ENV[@]}" CAPE_TRACKER="${tr%-cold}" CAPE_HOT_PAGES="$([[ $tr == uffd-cold ]] && echo 0)" \
            "${MPIEXEC[@]}" -n "$NP" "$OUT_DIR/pages" "$P" "$R"
        u="$(field us_per_page)"; e="$(field us_per_region_empty)"; s="$(field checksum)"
        [[ -z "$ref" ]] && ref="$s"
        [[ "$s" == "$ref" ]] || mismatch "pages: $tr checksum $s differs from $ref"
        printf '%-10s %12s %22s\n' "$tr" "$u" "$e"
        echo "$tr,$u,$e,$s" >>"$RES_DIR/pages.csv"
    done
    echo "(each rank writes P/$NP pages per region and applies the others'; every region writes the same"
    echo " pages, so with uffd they are guessed and spared the write fault; uffd-cold: CAPE_HOT_PAGES=0;"
    echo " csv: $RES_DIR/pages.csv)"
    echo
}

# ---- one host against several ------------------------------------------------
# The runs below on several hosts always go through sim-ssh, whatever --hosts
# says for the other parts; the one-host runs are plain mpiexec.

# proc_stat <pid>: sets STAT to the fields of /proc/<pid>/stat from the third
# on (STAT[0] is field 3 of proc(5)); fails if the process is gone. The command
# name before them may hold spaces and parentheses, hence the cut at the last
# ") ". No subprocess, so that a sample is quick and does not disturb.
proc_stat() {
    local line
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    read -r -a STAT <<<"${line##*) }"
}

# sum_ticks <pid...>: sets TICKS to the summed utime + stime (fields 14 and 15,
# all threads of each process), in clock ticks; fails if one process is gone.
sum_ticks() {
    local pid total=0
    for pid in "$@"; do
        proc_stat "$pid" || return 1
        total=$((total + STAT[11] + STAT[12]))
    done
    TICKS=$total
}

# job_procs <job pid> <rank exe> <proxy exe>: sets RANK_PIDS to the processes
# below the job that run <rank exe>, PROXY_PIDS to the processes running
# <proxy exe> whose parent is one of those ranks. Other jobs on the machine
# (tests running the same libcape, say) are not counted. Process names do not
# tell (libcape re-executes the program, which renames it "exe"), so the
# executables are compared, of the job's descendants only.
job_procs() {
    local job="$1" rank_exe="$2" proxy_exe="$3" d pid p exe r line
    local -A parent=() below=()
    local -a order=()
    for d in /proc/[0-9]*; do
        pid="${d#/proc/}"
        { read -r line <"$d/stat"; } 2>/dev/null || continue
        read -r -a STAT <<<"${line##*) }"
        parent[$pid]="${STAT[1]}"
        order+=("$pid")
    done
    for pid in "${order[@]}"; do
        p="${parent[$pid]}"
        while [[ -n "$p" && "$p" != 0 && "$p" != 1 && "$p" != "$job" ]]; do p="${parent[$p]:-}"; done
        [[ "$p" == "$job" ]] || continue
        exe="$(readlink -f "/proc/$pid/exe" 2>/dev/null)" || continue
        below[$pid]="${exe% (deleted)}"
    done
    RANK_PIDS=() PROXY_PIDS=()
    for pid in "${!below[@]}"; do
        [[ "${below[$pid]}" == "$rank_exe" ]] && RANK_PIDS+=("$pid")
    done
    for pid in "${!below[@]}"; do
        [[ "${below[$pid]}" == "$proxy_exe" ]] || continue
        for r in "${RANK_PIDS[@]}"; do
            [[ "${parent[$pid]}" == "$r" ]] && PROXY_PIDS+=("$pid")
        done
    done
    return 0
}

# A job running in the background: stopped when the script exits early (a
# background job of a script ignores ^C, so it would outlive the script).
BG_JOB=""
trap '[[ -n "$BG_JOB" ]] && kill -TERM "$BG_JOB" 2>/dev/null; true' EXIT

stop_bg_job() {
    [[ -n "$BG_JOB" ]] || return 0
    kill -TERM "$BG_JOB" 2>/dev/null || true
    wait "$BG_JOB" 2>/dev/null || true
    BG_JOB=""
}

# compute_cpu <label> <command...>: runs compute (the command) in the
# background; once it prints "computing" and 0.5 s more have passed, samples
# the CPU time of the job's proxies and ranks, again BENCH_COMPUTE_S - 1.5 s
# later, while the region still computes. Sets PROXY_PCT and RANK_PCT (100 =
# one core), NPROXY and NRANK, and TICK_PCT to what one clock tick is over the
# window; leaves the program's output in $LOG.
compute_cpu() {
    local label="$1"; shift
    local rc=0 waited=0 limit=120 hz p0 p1 r0 r1 t0 t1 gap
    (( TIMEOUT > 0 && TIMEOUT < limit )) && limit=$TIMEOUT
    hz="$(getconf CLK_TCK)"
    : >"$LOG"
    "${TIMEOUT_CMD[@]}" "$@" >"$LOG" 2>"$ERR" </dev/null &
    BG_JOB=$!
    until grep -qx computing "$LOG"; do
        if ! kill -0 "$BG_JOB" 2>/dev/null; then
            wait "$BG_JOB" || rc=$?
            BG_JOB=""
            (( rc != 0 )) || rc=1   # it ended cleanly without saying "computing": still wrong
            run_failed "$label (before its region)" "$rc" "$@"
        fi
        if (( waited >= limit * 10 )); then
            stop_bg_job
            run_failed "$label (no \"computing\" line within ${limit}s)" 1 "$@"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    sleep 0.5
    job_procs "$BG_JOB" "$(readlink -f "$OUT_DIR/compute")" "$PROXY_EXE"
    NRANK=${#RANK_PIDS[@]} NPROXY=${#PROXY_PIDS[@]}
    if (( NRANK != NP || NPROXY == 0 )); then
        stop_bg_job
        die "$label: found $NRANK rank processes of $OUT_DIR/compute (expected $NP) and $NPROXY of $PROXY_EXE below them"
    fi
    gap="$(awk -v t="$COMPUTE_S" 'BEGIN { printf "%.3f", t - 1.5 }')"
    t0="${EPOCHREALTIME/[.,]/}"
    sum_ticks "${PROXY_PIDS[@]}" && p0=$TICKS && sum_ticks "${RANK_PIDS[@]}" && r0=$TICKS \
        || { stop_bg_job; die "$label: a rank or proxy ended before the first sample"; }
    sleep "$gap"
    t1="${EPOCHREALTIME/[.,]/}"
    if ! { sum_ticks "${PROXY_PIDS[@]}" && p1=$TICKS && sum_ticks "${RANK_PIDS[@]}" && r1=$TICKS; }; then
        wait "$BG_JOB" || rc=$?
        BG_JOB=""
        (( rc == 0 )) || run_failed "$label" "$rc" "$@"
        die "$label: the region ended before the second sample ($gap s after the first); raise BENCH_COMPUTE_S"
    fi
    wait "$BG_JOB" || rc=$?
    BG_JOB=""
    (( rc == 0 )) || run_failed "$label" "$rc" "$@"
    PROXY_PCT="$(awk -v a="$p0" -v b="$p1" -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN { printf "%.2f", 100 * (b - a) / hz / (us / 1e6) }')"
    TICK_PCT="$(awk -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN { printf "%.2f", 100 / hz / (us / 1e6) }')"
    RANK_PCT="$(awk -v a="$r0" -v b="$r1" -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / (us / 1e6) }')"
}

# A row of the hosts table: hosts_row <case> <metric> <libgomp> <MPI 1 host>
# <MPI HP hosts> <libcape 1 host> <libcape HP hosts> <base: libgomp|mpi|""> <checksum>;
# empty values are runs that the row does not have.
hosts_row() {
    local cs="$1" metric="$2" g="$3" m1="$4" mh="$5" c1="$6" ch="$7" base="$8" sum="$9"
    local over="" rh="" r1=""
    [[ -n "$base" && -n "$c1" && -n "$ch" ]] && over="$(ratio "$ch" "$c1")"
    if [[ "$base" == libgomp && -n "$g" ]]; then
        [[ -n "$ch" ]] && rh="$(ratio "$ch" "$g")"
        [[ -n "$c1" ]] && r1="$(ratio "$c1" "$g")"
    elif [[ "$base" == mpi ]]; then
        [[ -n "$ch" && -n "$mh" ]] && rh="$(ratio "$ch" "$mh")"
        [[ -n "$c1" && -n "$m1" ]] && r1="$(ratio "$c1" "$m1")"
    fi
    echo "${cs%% *},$cs,$metric,$g,$m1,$mh,$c1,$ch,$over,$rh,$r1,$base,$sum" >>"$HOSTS_CSV"
    HROWS+=("$(printf '%-26s %-20s %14s %11s %12s %15s %16s %11s %9s %9s  %s' "$cs" "$metric" \
        "${g:--}" "${m1:--}" "${mh:--}" "${c1:--}" "${ch:--}" "${over:--}" "${rh:--}" "${r1:--}" "${base:--}")")
}

part_hosts() {
    local hp="$HOSTS_PART_N" n sched what steps t reps_saved
    local t_gomp c_gomp t_mpi1 c_mpi1 t_mpih c_mpih t_cape1 c_cape1 t_capeh c_capeh
    local -a one many sched_args gomp1 cape1 capeh
    local k key
    local -A v=()
    mpiexec_on 1; one=("${MPIEXEC_ON[@]}")
    mpiexec_on "$hp"; many=("${MPIEXEC_ON[@]}")
    PROXY_EXE="$(readlink -f "${CAPE_PROXY:-$(dirname "$LIB")/cape-proxy}")" \
        && [[ -x "$PROXY_EXE" ]] || die "cape-proxy not found beside $LIB (or at CAPE_PROXY)"
    HOSTS_CSV="$OUT_DIR/hosts.csv"
    HROWS=()
    echo "== one host against $hp: -n $NP on this host, and $hp simulated hosts ($(host_list "$hp" $((NP / hp)))) through $SIM_SSH"
    echo "part,case,metric,libgomp_${NP}thr,mpi_1host,mpi_${hp}hosts,libcape_1host,libcape_${hp}hosts,libcape_${hp}hosts_over_1host,ratio_${hp}hosts,ratio_1host,ratio_over,checksum" >"$HOSTS_CSV"

    # -- load balance: does the team-wide chunk counter balance across hosts?
    n="${LB_SIZES%% *}"
    for sched in dynamic guided; do
        read -r -a sched_args <<<"$sched"
        bench_best libgomp "lb $sched" "${GOMP_ENV[@]}" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
        t_gomp="$BEST"; c_gomp="$SUM"
        bench_best "cape 1h" "lb $sched" "${CAPE_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
        t_cape1="$BEST"; c_cape1="$SUM"
        bench_best "cape ${hp}h" "lb $sched" "${CAPE_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/loadbalance_omp" "$n" "${sched_args[@]}"
        t_capeh="$BEST"; c_capeh="$SUM"
        [[ "$c_gomp" == "$c_cape1" && "$c_gomp" == "$c_capeh" ]] \
            || mismatch "hosts: load balance n=$n $sched: libgomp=$c_gomp libcape 1 host=$c_cape1 libcape $hp hosts=$c_capeh"
        hosts_row "loadbalance n=$n $sched" time_s "$t_gomp" "" "" "$t_cape1" "$t_capeh" libgomp "$c_gomp"
    done

    # -- barriers, chunk claims, critical, lock, atomic: one run each
    for what in libgomp cape1 capeh; do
        case "$what" in
            libgomp) run_once "hosts barrier libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/barrier" "$HOSTS_BARRIERS" "$CHUNKS" ;;
            cape1) run_once "hosts barrier libcape 1 host" "${CAPE_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/barrier" "$HOSTS_BARRIERS" "$CHUNKS" ;;
            capeh) run_once "hosts barrier libcape $hp hosts" "${CAPE_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/barrier" "$HOSTS_BARRIERS" "$CHUNKS" ;;
        esac
        for key in us_per_barrier us_per_empty_barrier ns_per_chunk chunks_per_thread checksum; do
            v[barrier.$what.$key]="$(field "$key")"
        done
        printf '   %-8s %-10s us_per_barrier=%s us_per_empty_barrier=%s ns_per_chunk=%s chunks_per_thread=%s\n' "$what" barrier \
            "${v[barrier.$what.us_per_barrier]}" "${v[barrier.$what.us_per_empty_barrier]}" \
            "${v[barrier.$what.ns_per_chunk]}" "${v[barrier.$what.chunks_per_thread]}"
        case "$what" in
            libgomp) run_once "hosts sync libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/sync" "$HOSTS_SYNC_OPS" ;;
            cape1) run_once "hosts sync libcape 1 host" "${CAPE_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/sync" "$HOSTS_SYNC_OPS" ;;
            capeh) run_once "hosts sync libcape $hp hosts" "${CAPE_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/sync" "$HOSTS_SYNC_OPS" ;;
        esac
        for key in us_per_critical us_per_lock us_per_atomic checksum; do
            v[sync.$what.$key]="$(field "$key")"
        done
        printf '   %-8s %-10s us_per_critical=%s us_per_lock=%s us_per_atomic=%s\n' "$what" sync \
            "${v[sync.$what.us_per_critical]}" "${v[sync.$what.us_per_lock]}" "${v[sync.$what.us_per_atomic]}"
    done
    for k in barrier sync; do
        [[ "${v[$k.libgomp.checksum]}" == "${v[$k.cape1.checksum]}" && "${v[$k.libgomp.checksum]}" == "${v[$k.capeh.checksum]}" ]] \
            || mismatch "hosts: $k: libgomp=${v[$k.libgomp.checksum]} libcape 1 host=${v[$k.cape1.checksum]} libcape $hp hosts=${v[$k.capeh.checksum]}"
    done
    for key in us_per_barrier us_per_empty_barrier ns_per_chunk; do
        hosts_row "barrier R=$HOSTS_BARRIERS M=$CHUNKS" "$key" "${v[barrier.libgomp.$key]}" "" "" \
            "${v[barrier.cape1.$key]}" "${v[barrier.capeh.$key]}" libgomp "${v[barrier.libgomp.checksum]}"
    done
    for key in us_per_critical us_per_lock us_per_atomic; do
        hosts_row "sync K=$HOSTS_SYNC_OPS" "$key" "${v[sync.libgomp.$key]}" "" "" \
            "${v[sync.cape1.$key]}" "${v[sync.capeh.$key]}" libgomp "${v[sync.libgomp.checksum]}"
    done

    # -- matmul: one region with a large exchange, against hand-written MPI
    n="${SIZES%% *}"
    reps_saved="$REPS"
    (( n >= 6400 )) && REPS=1
    bench_best libgomp "n=$n" "${GOMP_ENV[@]}" "$OUT_DIR/matmul_omp" "$n"
    t_gomp="$BEST"; c_gomp="$SUM"
    bench_best "mpi 1h" "n=$n" "${MPI_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/matmul_mpi" "$n"
    t_mpi1="$BEST"; c_mpi1="$SUM"
    bench_best "mpi ${hp}h" "n=$n" "${MPI_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/matmul_mpi" "$n"
    t_mpih="$BEST"; c_mpih="$SUM"
    bench_best "cape 1h" "n=$n" "${CAPE_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/matmul_omp" "$n"
    t_cape1="$BEST"; c_cape1="$SUM"
    bench_best "cape ${hp}h" "n=$n" "${CAPE_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/matmul_omp" "$n"
    t_capeh="$BEST"; c_capeh="$SUM"
    REPS="$reps_saved"
    [[ "$c_gomp" == "$c_mpi1" && "$c_gomp" == "$c_mpih" && "$c_gomp" == "$c_cape1" && "$c_gomp" == "$c_capeh" ]] \
        || mismatch "hosts: matmul n=$n: libgomp=$c_gomp mpi 1 host=$c_mpi1 mpi $hp hosts=$c_mpih libcape 1 host=$c_cape1 libcape $hp hosts=$c_capeh"
    hosts_row "matmul n=$n" time_s "$t_gomp" "$t_mpi1" "$t_mpih" "$t_cape1" "$t_capeh" mpi "$c_gomp"

    # -- compute: what the proxies cost while nothing asks anything of them.
    # The step count is calibrated under libgomp, then every run gets the same
    # count, so the ranks' memory (and the checksum) does not depend on the clock.
    # A busy spell during calibration makes the region too short for the
    # sampling window, so the faster of two runs sets the count.
    steps=50000000
    while :; do
        run_once "hosts compute calibration" "${GOMP_ENV[@]}" "$OUT_DIR/compute" "$steps"
        t="$(field time_s)"
        awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' && break
        (( steps < 100000000000 )) || die "compute: $steps steps take only ${t}s"
        steps=$((steps * 4))
    done
    run_once "hosts compute calibration" "${GOMP_ENV[@]}" "$OUT_DIR/compute" "$steps"
    t="$(min "$t" "$(field time_s)")"
    steps="$(awk -v n="$steps" -v t="$t" -v s="$COMPUTE_S" 'BEGIN { printf "%.0f", n * s / t }')"
    echo "   compute: $steps steps per thread (~${COMPUTE_S}s under libgomp; calibrated with a run of ${t}s)"
    run_once "hosts compute libgomp" "${GOMP_ENV[@]}" "$OUT_DIR/compute" "$steps"
    t_gomp="$(field time_s)"; c_gomp="$(field checksum)"
    printf '   %-8s %-10s time_s=%s  checksum=%s\n' libgomp compute "$t_gomp" "$c_gomp"
    compute_cpu "hosts compute libcape 1 host" "${CAPE_ENV[@]}" "${one[@]}" -n "$NP" "$OUT_DIR/compute" "$steps"
    t_cape1="$(field time_s)"; c_cape1="$(field checksum)"
    local p1="$PROXY_PCT" r1="$RANK_PCT"
    printf '   %-8s %-10s time_s=%s  checksum=%s  proxies: %s%% of a core (%d processes)  ranks: %s%% (%d)\n' \
        "cape 1h" compute "$t_cape1" "$c_cape1" "$PROXY_PCT" "$NPROXY" "$RANK_PCT" "$NRANK"
    compute_cpu "hosts compute libcape $hp hosts" "${CAPE_ENV[@]}" "${many[@]}" -n "$NP" "$OUT_DIR/compute" "$steps"
    t_capeh="$(field time_s)"; c_capeh="$(field checksum)"
    local ph="$PROXY_PCT" rh="$RANK_PCT" tick="$TICK_PCT"
    printf '   %-8s %-10s time_s=%s  checksum=%s  proxies: %s%% of a core (%d processes)  ranks: %s%% (%d)\n' \
        "cape ${hp}h" compute "$t_capeh" "$c_capeh" "$PROXY_PCT" "$NPROXY" "$RANK_PCT" "$NRANK"
    [[ "$c_gomp" == "$c_cape1" && "$c_gomp" == "$c_capeh" ]] \
        || mismatch "hosts: compute: libgomp=$c_gomp libcape 1 host=$c_cape1 libcape $hp hosts=$c_capeh"
    hosts_row "compute N=$steps" time_s "$t_gomp" "" "" "$t_cape1" "$t_capeh" libgomp "$c_gomp"
    hosts_row "compute N=$steps" proxy_cpu_percent "" "" "" "$p1" "$ph" "" "$c_gomp"
    hosts_row "compute N=$steps" rank_cpu_percent "" "" "" "$r1" "$rh" "" "$c_gomp"

    echo
    echo "one host against $hp simulated hosts, -n $NP (1 host: plain mpiexec; $hp hosts: $(host_list "$hp" $((NP / hp))) through sim-ssh), checksums identical"
    echo "(loadbalance and matmul: best of $REPS; barrier, sync, compute: one run; cape ${hp}h/1h: libcape on $hp hosts over libcape on 1;"
    echo " ratio ${hp}h, ratio 1h: libcape on $hp hosts, on 1 host, over the base: libgomp, or MPI on as many hosts)"
    printf '%-26s %-20s %14s %11s %12s %15s %16s %11s %9s %9s  %s\n' case metric "libgomp(${NP} thr)" "MPI 1 host" "MPI $hp hosts" \
        "libcape 1 host" "libcape $hp hosts" "cape ${hp}h/1h" "ratio ${hp}h" "ratio 1h" base
    for row in "${HROWS[@]}"; do echo "$row"; done
    echo "proxy_cpu_percent: CPU time of all the job's cape-proxy processes over wall time while the region computes (100 = one core);"
    echo "  rank_cpu_percent: the same for its ranks; one clock tick is $tick over the $hp-host window."
    echo "Goal: proxies <= 2 on $hp hosts: $ph, $(awk -v p="$ph" 'BEGIN { print (p + 0 <= 2) ? "met" : "NOT met" }')"
    echo "(csv: $HOSTS_CSV)"
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
if want kernels; then part_kernels; fi
if want hosts; then part_hosts; fi
