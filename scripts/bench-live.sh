#!/usr/bin/env bash
# List pages that stay live under votes, on an instance already built (the real listings
# imported, or `paperboy-bench corpus --papers N | paperboy import -`):
#
#   scripts/bench-live.sh DATA_DIR [VOTES_PER_SECOND]        (default 20)
#
# 1. `paperboy-bench live`: wrk reads day, week, month and trending pages (with sorts and two
#    categories), paper pages and search pages while members vote at VOTES_PER_SECOND, then
#    without votes (requests/s, p50/p99, timeouts, errors, share rendered afresh per kind, and
#    the first month page after a start). COMPARE=1 adds the old path (every list from the
#    database) under the same votes.
# 2. The cached day page against nginx serving the very same bytes (the ceiling for a page),
#    without votes, one after the other with the same wrk load.
#
# Environment: SECONDS_EACH (15), CONNECTIONS (32), COMPARE (unset). Needs wrk, nginx, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/nginx-static.sh
source scripts/nginx-static.sh

data=${1:?usage: scripts/bench-live.sh DATA_DIR [VOTES_PER_SECOND]}
votes=${2:-20}
seconds=${SECONDS_EACH:-15}
connections=${CONNECTIONS:-32}
port=18710
nginx_port=18711

for tool in wrk nginx curl; do
    if ! command -v "$tool" >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl >/dev/null
        break
    fi
done
cargo build --release --quiet
work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as nobody and must reach www/
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

compare=()
[ -n "${COMPARE:-}" ] && compare=(--compare-database)
# Exit code 1 means errors or timeouts (the table says where); the nginx part still runs.
status=0
./target/release/paperboy-bench --data-dir "$data" live --seconds "$seconds" --connections "$connections" \
    --votes-per-second "$votes" "${compare[@]}" 2>"$work/live.err" | tee "$work/live.txt" || status=$?
[ "$status" -le 1 ] || { tail -5 "$work/live.err" >&2; exit "$status"; }

export PAPERBOY_ACCESS_LOG=false PAPERBOY_DIGEST_SCHEDULE=false PAPERBOY_HARVEST_SCHEDULE=false
export PAPERBOY_READS_PER_CLIENT=0
./target/release/paperboy --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
# The latest day with papers that has come, as the benchmark found it.
path=$(grep -o 'latest day page /papers/date/[0-9-]*' "$work/live.txt" | cut -d' ' -f4)
[ -n "$path" ] || { echo "paperboy-bench live named no day page" >&2; exit 1; }
curl -sf -o "$work/day.html" "http://127.0.0.1:$port$path"
mkdir -p "$work/www/papers/date"
cp "$work/day.html" "$work/www$path.html"
nginx_static_conf "$work" "$nginx_port" 'location / { try_files $uri.html =404; }'
nginx -c "$work/nginx.conf" -p "$work"
rate() { # URL → "req/s p99"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" >"$work/wrk.txt"
    echo "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") $(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
}
read -r ours ours_p99 < <(rate "http://127.0.0.1:$port$path")
read -r ceiling ceiling_p99 < <(rate "http://127.0.0.1:$nginx_port$path")
echo "cached day page $path ($(wc -c <"$work/day.html") bytes), no votes: paperboy $ours req/s (p99 $ours_p99)," \
    "nginx $ceiling req/s (p99 $ceiling_p99): $(awk -v a="$ours" -v b="$ceiling" 'BEGIN { printf "%.0f", 100 * a / b }') % of nginx"
exit "$status"
