#!/usr/bin/env bash
# The data-plane benchmark: meshcert's check of N synthetic meshed pods (kubectl-shaped JSON,
# ~8.7 KB each), wall time and peak resident memory, next to the naive jq pipeline
# (benches/jq-naive.sh) on the same dump.
#
#   benches/run.sh [PODS] [JQ_PODS]     defaults: 100000 pods, jq on the same (0 to skip jq;
#                                       jq on 100000 pods takes ~45 s and ~7 GiB)
#
# Prints each figure next to its target (100,000 pods: under 1.0 s wall and 100 MiB, at least 40x
# jq in the same run), and the instructions the audit executes, counted by valgrind's callgrind
# (a count that noise does not move, unlike wall time; INSTRUCTIONS=0 skips its ~2 minutes).
#
# Needs GNU time, jq and valgrind (installed with apt-get when missing). The dump is generated under
# benches/data/ from the current fixtures, so its pods carry the healthy scenario's anchor,
# with one pod in a thousand on an older one.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
jq_pods=${2:-$pods}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need /usr/bin/time time
need jq jq
[ "${INSTRUCTIONS:-1}" = 0 ] || need valgrind valgrind

cargo build --release --quiet -p meshcert -p meshcert-bench --bin meshcert --bin gen-pods
mkdir -p benches/data
gen() { ./target/release/gen-pods --pods "$1" --namespaces $(( $1 / 200 > 0 ? $1 / 200 : 1 )) \
          --bundle fixtures/pem/healthy/ca.crt --stale-every 1000 --out "benches/data/pods-$1.json"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
gen "$pods"
echo "dump: $pods pods, $(du -m "benches/data/pods-$pods.json" | cut -f1) MB"
for run in 1 2 3; do
  /usr/bin/time -o benches/data/time.txt -f "%e %M" \
    ./target/release/meshcert check --from fixtures/healthy --from "benches/data/pods-$pods.json" \
    --at 2026-11-22T12:00:00Z -o short > /dev/null || true
  read -r wall rss < <(tail -1 benches/data/time.txt)
  awk -v p="$pods" -v r="$run" -v w="$wall" -v m="$rss" 'BEGIN {
    printf "meshcert, %d pods (run %d): %.2f s wall, %.0f MiB peak RSS (targets for 100,000: < 1.0 s, < 100 MiB): %s\n",
      p, r, w, m / 1024, (w < 1.0 && m < 100 * 1024) ? "met" : "missed" }'
done
if [ "${INSTRUCTIONS:-1}" != 0 ]; then
  valgrind --tool=callgrind --callgrind-out-file=/dev/null ./target/release/meshcert check \
    --from fixtures/healthy --from "benches/data/pods-$pods.json" --at 2026-11-22T12:00:00Z -o short \
    2>benches/data/callgrind.txt >/dev/null || true
  echo "meshcert, $pods pods: $(awk '/Collected :/ { print $4 }' benches/data/callgrind.txt) instructions (callgrind, all threads)"
fi
if [ "$jq_pods" -gt 0 ]; then
  [ "$jq_pods" -eq "$pods" ] || gen "$jq_pods"
  now() { date +%s.%N; }
  t0=$(now)
  ./target/release/meshcert check --from fixtures/healthy --from "benches/data/pods-$jq_pods.json" \
    --at 2026-11-22T12:00:00Z -o short > /dev/null || true
  t1=$(now)
  /usr/bin/time -f "jq, $jq_pods pods: %e s wall, %M KiB peak RSS" \
    benches/jq-naive.sh fixtures/pem/healthy/ca.crt "benches/data/pods-$jq_pods.json" > /dev/null
  t2=$(now)
  awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v n="$jq_pods" 'BEGIN {
    x = (t2 - t1) / (t1 - t0)
    printf "same run, %d pods: meshcert %.2f s, jq %.2f s: meshcert is %.1fx faster (target: 40x): %s\n", n, t1 - t0, t2 - t1, x, (x >= 40 ? "met" : "missed") }'
fi
