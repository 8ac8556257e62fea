#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: libhmap against the Go 1.19 map and Abseil's flat_hash_map on
# the same keys, in one run, merged into one Markdown table.
#
# Runs after `make build` (needs build/).  Builds the benchmark programs
# (tests/bench/, not part of the default build), runs libhmap, Go and Abseil
# one after the other for each (key type, N) so that a noisy neighbour hits
# all three alike, BENCH_PROCS times in turn: a VM may run a whole process
# fast or slow (docs/benchmarks.md, "Method"), so each row is the median of
# several processes' medians.  Writes
#   $BUILD/bench/raw.txt      every machine-readable line
#   $BUILD/bench/results.md   the table (also printed)
# Environment: BUILD (default build), BENCH_SIZES (default "1000 100000
# 4000000"), BENCH_SMALL (default 1; 0 skips the small-map rows), BENCH_RUNS (runs per
# process, default 3, at least 3: the table reports medians), BENCH_PROCS (processes per
# program and row, default 3, 1 to 16),
# BENCH_GLIBC_TUNABLES (default: keep freed memory, see below; "" for glibc's
# defaults), BENCH_NICE (nice value for the programs, default 0; e.g. -10 as
# root on a shared machine so other jobs disturb the timings less).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-"1000 100000 4000000"}
RUNS=${BENCH_RUNS:-3}
PROCS=${BENCH_PROCS:-3}
NICE=${BENCH_NICE:-0}

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  echo "bench: $BUILD/ is not configured; run 'make build' first (make bench does)" >&2
  exit 1
fi
case $RUNS in
  ''|*[!0-9]*) echo "usage: BENCH_RUNS=R (integer >= 3) $0" >&2; exit 2 ;;
esac
if [ "$RUNS" -lt 3 ]; then
  echo "usage: BENCH_RUNS=R (integer >= 3) $0" >&2
  exit 2
fi
case $PROCS in
  [1-9]|1[0-6]) ;;
  *) echo "usage: BENCH_PROCS=P (1..16) $0" >&2; exit 2 ;;
esac
case $NICE in
  -[0-9]|-1[0-9]|-20|[0-9]|1[0-9]) ;;
  *) echo "usage: BENCH_NICE=-20..19 $0" >&2; exit 2 ;;
esac
for n in $SIZES; do
  case $n in
    ''|*[!0-9]*|0) echo "usage: BENCH_SIZES=\"N ...\" (positive integers) $0" >&2; exit 2 ;;
  esac
done

echo "bench: building the benchmark programs in $BUILD/"
cmake --build "$BUILD" --target bench_programs -j"${JOBS:-2}" >/dev/null
dir=$BUILD/tests/bench
out=$BUILD/bench
mkdir -p "$out"
raw=$out/raw.txt

programs=()
for p in bench_hmap bench_go bench_absl; do
  if [ -x "$dir/$p" ]; then
    programs+=("$p")
  else
    echo "bench: WARNING: $dir/$p was not built (see the cmake output); its column stays empty" >&2
  fi
done

{
  echo "# bucketscope bench $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cpus"
  echo "# kernel: $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# sizes: $SIZES; runs: $RUNS per process, $PROCS processes per row; nice: $NICE; libhmap probes compiled in (idle): $(sed -n 's/^HMAP_PROBES:STRING=//p' "$BUILD/CMakeCache.txt")"
} >"$raw"
cat "$raw"

# glibc returns big blocks to the kernel at free (mmap threshold, trim), so
# every fresh map of the insert workloads would pay page faults again (on
# this VM they cost more than the map itself), while Go's heap keeps freed
# memory for reuse.  Let the C and C++ programs keep theirs too, alike.
export GLIBC_TUNABLES=${BENCH_GLIBC_TUNABLES-glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296}
echo "# GLIBC_TUNABLES=$GLIBC_TUNABLES (libhmap, Abseil)" >>"$raw"

start=$(date +%s)
for n in $SIZES; do
  for keys in u64 str; do
    for proc in $(seq "$PROCS"); do
      for p in "${programs[@]}"; do
        t0=$(date +%s)
        nice -n "$NICE" "$dir/$p" --keys "$keys" --n "$n" --runs "$RUNS" >>"$raw"
        echo "bench: $p --keys $keys --n $n ($proc/$PROCS): $(( $(date +%s) - t0 )) s"
      done
    done
  done
done
# Small maps (the per-request pattern and many maps at once) at N = 1, 8,
# 64, and bytes per map at N = 0, 1, 8, 9, 64, 1000 (BENCH_SMALL=0 skips).
if [ "${BENCH_SMALL:-1}" != 0 ]; then
  for n in 1 8 64; do
    for keys in u64 str; do
      for op in small many; do
        for proc in $(seq "$PROCS"); do
          for p in "${programs[@]}"; do
            nice -n "$NICE" "$dir/$p" --keys "$keys" --n "$n" --runs "$RUNS" --only "$op" >>"$raw"
          done
        done
      done
      echo "bench: small maps --keys $keys --n $n done"
    done
  done
  for keys in u64 str; do
    for p in "${programs[@]}"; do
      nice -n "$NICE" "$dir/$p" --keys "$keys" --n 1000 --runs 1 --only mapmem >>"$raw"
    done
  done
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - start )) s" >>"$raw"

echo
"$dir/bench_merge" -o "$out/results.md" "$raw"
echo
echo "bench: table written to $out/results.md (raw lines: $raw)"
