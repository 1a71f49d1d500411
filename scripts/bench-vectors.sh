#!/usr/bin/env bash
# Semantic search at scale, on an instance whose papers are embedded (`paperboy embed`; make one
# with `paperboy-bench corpus --papers N | paperboy import -`, `paperboy reindex`, then embed):
#
#   scripts/bench-vectors.sh DATA_DIR [MODEL_DIR] [MODEL]      (MODEL: static (default) or minilm)
#
# 1. `paperboy-bench vectors`: builds the vector file from the database as the server does (time,
#    size), then neighbours from it against an exact scan of the f32 vectors in the same run
#    (recall@100, p50/p99; unfiltered, one category, one category in the last 30 days; for
#    several numbers of lists read), and hybrid search through the service (p50/p99).
# 2. A server on the instance: search pages (hybrid, by default) under wrk for DURATION, then
#    the server's RSS, split into what it allocated (anonymous) and the files it maps (the
#    vector file and the keyword index, which the kernel may drop and read again).
#
# Environment: DURATION (30s), CONNECTIONS (8), MEMORY_LIMIT_MB (none: the server in a memory
# cgroup of that size, which also counts the page cache of the files it reads; needs root and
# cgroup v1's memory controller at /sys/fs/cgroup/memory), NEIGHBOURS (1; 0 skips the recall
# measurements, minutes at 2.8 M papers). Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

data=${1:?usage: scripts/bench-vectors.sh DATA_DIR [MODEL_DIR] [MODEL]}
model_dir=${2:-${PAPERBOY_MODEL_DIR:-$HOME/.cache/paperboy/all-MiniLM-L6-v2}}
model=${3:-static}
duration=${DURATION:-30s}
connections=${CONNECTIONS:-8}
port=18702

cargo build --release --quiet
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

service_only=
[ "${NEIGHBOURS:-1}" = 0 ] && service_only=--service-only
./target/release/paperboy-bench --data-dir "$data" vectors --model-dir "$model_dir" \
    --embedding-model "$model" --write-queries "$work/queries.txt" $service_only

export PAPERBOY_ACCESS_LOG=false PAPERBOY_DIGEST_SCHEDULE=false PAPERBOY_HARVEST_SCHEDULE=false
export PAPERBOY_READS_PER_CLIENT=0 PAPERBOY_MODEL_DIR=$model_dir PAPERBOY_EMBEDDING_MODEL=$model
if [ -n "${MEMORY_LIMIT_MB:-}" ]; then
    group=/sys/fs/cgroup/memory/paperboy-bench-vectors
    [ -d /sys/fs/cgroup/memory ] || { echo "MEMORY_LIMIT_MB needs cgroup v1's memory controller" >&2; exit 1; }
    mkdir -p "$group"
    echo $((MEMORY_LIMIT_MB * 1024 * 1024)) >"$group/memory.limit_in_bytes"
    echo 0 >"$group/memory.max_usage_in_bytes" && echo 0 >"$group/memory.failcnt" # from an earlier run
    sync && echo 1 >/proc/sys/vm/drop_caches # start cold, as after a reboot
    sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' - "$group" \
        ./target/release/paperboy --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
else
    ./target/release/paperboy --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
fi
server_pid=$!
# Until the server has taken up the vector file the benchmark left.
for _ in $(seq 600); do
    health=$(curl -sf "http://127.0.0.1:$port/healthz" || true)
    in_file=$(echo "$health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["search"]["in_vector_file"])' 2>/dev/null || echo 0)
    [ "${in_file:-0}" -gt 0 ] && break
    sleep 0.5
done
echo "server: $in_file papers in the vector file; RSS at start: $(grep VmRSS /proc/$server_pid/status | awk '{print $2 / 1024 " MB"}')"
python3 -c 'import sys, urllib.parse; [print("/search?q=" + urllib.parse.quote(l.strip())) for l in sys.stdin]' \
    <"$work/queries.txt" >"$work/paths.txt"
PATHS=$work/paths.txt wrk -t2 -c"$connections" -d"$duration" --latency -s scripts/wrk-random-path.lua \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
grep -q "Non-2xx" "$work/wrk.txt" && { echo "errors:" >&2; cat "$work/wrk.txt" >&2; exit 1; }
echo "search pages under wrk ($connections connections, $duration): $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") req/s," \
    "p50 $(awk '$1 == "50%" {print $2}' "$work/wrk.txt"), p99 $(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
grep "Socket errors" "$work/wrk.txt" || true
awk '/^(VmRSS|RssAnon|RssFile|VmHWM)/ {printf "  %s %.0f MB\n", $1, $2 / 1024}' "/proc/$server_pid/status"
if [ -n "${MEMORY_LIMIT_MB:-}" ]; then
    echo "  memory cgroup of $MEMORY_LIMIT_MB MB: peak $(($(cat "$group/memory.max_usage_in_bytes") / 1048576)) MB, the limit hit $(cat "$group/memory.failcnt") times"
    awk '$1 == "total_rss" || $1 == "total_cache" {printf "  %s %.0f MB\n", $1, $2 / 1048576}' "$group/memory.stat"
fi
