#!/usr/bin/env bash
# bench/run.sh -- compare libgomp, hand-written MPI and libcape on the same
# matrix multiplication, and measure the cost of an empty parallel region.
# Run `bench/run.sh --help` for the options.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"

usage() {
    cat <<EOF
Usage: bench/run.sh [--help]

Builds the benchmark programs into bench/out/ and, for each matrix size n,
runs the same C = A * B three ways (best of BENCH_REPS runs each):

  libgomp   OMP_NUM_THREADS=NP ./matmul_omp n          (threads, shared memory)
  MPI       mpiexec -n NP ./matmul_mpi n                (hand-written MPI)
  libcape   env LD_PRELOAD=<libcape.so> CAPE_THREADS_PER_RANK=1 \\
                mpiexec -n NP ./matmul_omp n            (same OpenMP binary)

checks that the three checksums are identical, prints a table and writes it
to bench/out/results.csv; then times empty parallel regions under libgomp and
libcape (bench/out/empty_region.csv).

Environment:
  CAPE_LIB       path of libcape.so
                 (default: <repo>/.build/release/libcape.so,
                  built with \`swift build -c release\`)
  BENCH_SIZES    matrix sizes n, space separated   (default: "1600 3200")
  BENCH_REPS     repetitions per run, best is kept (default: 3)
  BENCH_NP       ranks for MPI/libcape and threads for libgomp (default: 2)
  BENCH_REGIONS  timed empty regions per run       (default: 10000)
  BENCH_TIMEOUT  seconds before one run is killed, 0 = no limit (default: 900)
  CC, MPICC      compilers (default: gcc, mpicc)
  CFLAGS         optimisation flags (default: "-O3 -march=native")
EOF
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

die() { echo "run.sh: error: $*" >&2; exit 1; }

SIZES="${BENCH_SIZES:-1600 3200}"
REPS="${BENCH_REPS:-3}"
NP="${BENCH_NP:-2}"
REGIONS="${BENCH_REGIONS:-10000}"
TIMEOUT="${BENCH_TIMEOUT:-900}"
CC="${CC:-gcc}"
MPICC="${MPICC:-mpicc}"
CFLAGS="${CFLAGS:--O3 -march=native}"

[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer (got '$REPS')"
[[ "$NP" =~ ^[1-9][0-9]*$ ]] || die "BENCH_NP must be a positive integer (got '$NP')"
[[ "$REGIONS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REGIONS must be a positive integer (got '$REGIONS')"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "BENCH_TIMEOUT must be a number of seconds (got '$TIMEOUT')"
for n in $SIZES; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZES must hold positive integers (got '$n')"
done
[[ -n "${SIZES// /}" ]] || die "BENCH_SIZES is empty"

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

# bench_matmul <label> <n> <command...>: best time over REPS runs, sets BEST and SUM.
bench_matmul() {
    local label="$1" n="$2"; shift 2
    local r t c
    BEST="" SUM=""
    for ((r = 1; r <= REPS; r++)); do
        run_once "$label n=$n" "$@"
        t="$(field time_s)"; c="$(field checksum)"
        if [[ -z "$SUM" ]]; then SUM="$c"
        elif [[ "$c" != "$SUM" ]]; then
            echo "!!!!!!!! MISMATCH: $label n=$n checksum changed between runs: $SUM vs $c" >&2
            exit 1
        fi
        if [[ -z "$BEST" ]]; then BEST="$t"; else BEST="$(min "$BEST" "$t")"; fi
        printf '   %-8s n=%-6s run %d/%d  time_s=%s  checksum=%s\n' "$label" "$n" "$r" "$REPS" "$t" "$c"
    done
}

GOMP_ENV=(env -u LD_PRELOAD OMP_NUM_THREADS="$NP")
MPI_ENV=(env -u LD_PRELOAD)
CAPE_ENV=(env -u OMP_NUM_THREADS LD_PRELOAD="$LIB" CAPE_THREADS_PER_RANK=1)

echo "== libcape: $LIB"
echo "== sizes: $SIZES   reps: $REPS (best kept)   np/threads: $NP   cores: $(nproc 2>/dev/null || echo ?)"

CSV="$OUT_DIR/results.csv"
echo "n,libgomp_${NP}thr_s,mpi_np${NP}_s,libcape_np${NP}_s,libcape_over_mpi,libcape_over_libgomp,checksum" >"$CSV"
ROWS=()
for n in $SIZES; do
    echo "== n=$n"
    bench_matmul libgomp "$n" "${GOMP_ENV[@]}" "$OUT_DIR/matmul_omp" "$n"
    t_gomp="$BEST"; c_gomp="$SUM"
    bench_matmul mpi "$n" "${MPI_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/matmul_mpi" "$n"
    t_mpi="$BEST"; c_mpi="$SUM"
    bench_matmul libcape "$n" "${CAPE_ENV[@]}" mpiexec -n "$NP" "$OUT_DIR/matmul_omp" "$n"
    t_cape="$BEST"; c_cape="$SUM"

    if [[ "$c_gomp" != "$c_mpi" || "$c_gomp" != "$c_cape" ]]; then
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
        echo "!!! MISMATCH n=$n: libgomp=$c_gomp mpi=$c_mpi libcape=$c_cape" >&2
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
        exit 1
    fi
    r_mpi="$(ratio "$t_cape" "$t_mpi")"
    r_gomp="$(ratio "$t_cape" "$t_gomp")"
    echo "$n,$t_gomp,$t_mpi,$t_cape,$r_mpi,$r_gomp,$c_gomp" >>"$CSV"
    ROWS+=("$(printf '%6s  %14s  %13s  %15s  %12s  %16s' "$n" "$t_gomp" "$t_mpi" "$t_cape" "$r_mpi" "$r_gomp")")
done

echo
echo "matrix multiplication, best of $REPS (seconds), checksums identical"
printf '%6s  %14s  %13s  %15s  %12s  %16s\n' n "libgomp(${NP} thr)" "MPI(-n ${NP})" "libcape(-n ${NP})" libcape/MPI libcape/libgomp
for row in "${ROWS[@]}"; do echo "$row"; done
echo "(csv: $CSV)"

# ---- empty regions -----------------------------------------------------------
echo
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
