#!/usr/bin/env bash
# Day-page throughput: Paperboy serving /papers/date/DAY from a database holding every paper of
# the listings file, against nginx serving the very same bytes as a static file, one after the
# other on this machine with the same wrk load (32 connections, 20 s). Prints both and the ratio.
#
#   scripts/bench-day-page.sh [LISTINGS.jsonl.gz]
#
# Both servers run without access logs (nginx: `access_log off`; Paperboy: PAPERBOY_ACCESS_LOG=false)
# so that the comparison is like for like; set ACCESS_LOG=true to measure Paperboy with them.
#
# Environment: DAY (default 2026-02-13), DURATION (20s), CONNECTIONS (32), ACCESS_LOG (false).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/nginx-static.sh
source scripts/nginx-static.sh

listings=${1:-../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz}
day=${DAY:-2026-02-13}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
paperboy_port=18500
nginx_port=18501

for tool in wrk nginx curl; do
    if ! command -v "$tool" >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl >/dev/null
        break
    fi
done
[ -f "$listings" ] || { echo "no listings file at $listings" >&2; exit 2; }

cargo build --release --quiet
work=$(mktemp -d)
cleanup() {
    [ -n "${paperboy_pid:-}" ] && kill "$paperboy_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "importing $listings"
./target/release/paperboy --data-dir "$work/data" import "$listings" | tail -1
papers=$(./target/release/paperboy --data-dir "$work/data" stats --json | grep -m1 '^  "papers"' | tr -dc 0-9)

PAPERBOY_ACCESS_LOG=${ACCESS_LOG:-false} ./target/release/paperboy --data-dir "$work/data" serve --addr 127.0.0.1:$paperboy_port >"$work/paperboy.log" 2>&1 &
paperboy_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$paperboy_port/healthz" >/dev/null && break; sleep 0.1; done

mkdir -p "$work/www"
url="http://127.0.0.1:$paperboy_port/papers/date/$day"
curl -fs "$url" -o "$work/www/day.html"
bytes=$(wc -c <"$work/www/day.html")

nginx_static_conf "$work" "$nginx_port"
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

run_wrk() {
    wrk -t2 -c"$connections" -d"$duration" --latency "$1" >"$2"
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$2")
    p99=$(awk '$1 == "99%" {print $2}' "$2")
    echo "$rps $p99"
}

echo "day page $day: $bytes bytes, $papers papers in the database; wrk -t2 -c$connections -d$duration; paperboy access log: ${ACCESS_LOG:-false}"
read -r nginx_rps nginx_p99 < <(run_wrk "http://127.0.0.1:$nginx_port/day.html" "$work/wrk-nginx.txt")
echo "  nginx (static file)   $nginx_rps req/s   p99 $nginx_p99"
read -r paperboy_rps paperboy_p99 < <(run_wrk "$url" "$work/wrk-paperboy.txt")
echo "  paperboy              $paperboy_rps req/s   p99 $paperboy_p99"
ratio=$(awk -v a="$paperboy_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')
echo "  ratio paperboy/nginx  $ratio"
