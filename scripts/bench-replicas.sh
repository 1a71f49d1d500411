#!/usr/bin/env bash
# One SQLite process against one and two replicas on PostgreSQL, in one run on this machine.
#
#   scripts/bench-replicas.sh [LISTINGS.jsonl.gz [HF_DAILY_PAPERS.json]]
#
# 1. Imports the listings and Hugging Face's votes into a fresh SQLite instance, adds 10,000
#    confirmed subscribers and 1,000 members with sessions and 20 votes each, and moves it with
#    `paperboy copy-db` to a fresh PostgreSQL database (which compares every table's row count
#    on both sides).
# 2. Starts three servers: SQLite; replica 1 on PostgreSQL; replica 2 on PostgreSQL (each
#    replica with its own data directory and search index). Compares the answers of a sample of
#    API pages from SQLite and replica 1 byte for byte.
# 3. Puts nginx in front of every setup alike (one upstream each: SQLite; replica 1; replicas 1
#    and 2, round robin), then drives each with wrk, DURATION each, CONNECTIONS connections:
#    "cached" (day and paper pages at random, after one warming pass: what most visitors get),
#    "rendered" (the same pages with a query string never seen before, so every request renders
#    the page from the database) and "search" (keyword searches at random, through the API).
#
# Environment: POSTGRES_URL (an admin URL; default the one .ci/run sets up), DURATION (15s),
# CONNECTIONS (32), KEEP (set to keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."

listings=${1:-../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz}
votes=${2:-../shared/data/hf/daily_papers-2026-02.json}
admin_url=${POSTGRES_URL:-postgres://postgres:paperboy@127.0.0.1:5432/postgres}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
database=paperboy_bench_replicas
database_url="${admin_url%/*}/$database"
ports=(18600 18601 18602)
proxy_ports=(18610 18611 18612)

for tool in wrk nginx curl psql; do
    if ! command -v "$tool" >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl postgresql-client >/dev/null
        break
    fi
done
[ -f "$listings" ] || { echo "no listings file at $listings" >&2; exit 2; }
[ -f "$votes" ] || { echo "no Hugging Face daily papers file at $votes" >&2; exit 2; }
psql "$admin_url" -qc 'SELECT 1' >/dev/null || { echo "PostgreSQL does not answer at $admin_url" >&2; exit 2; }

cargo build --release --quiet
paperboy=$PWD/target/release/paperboy
paperboy_bench=$PWD/target/release/paperboy-bench
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
# wrk is one client address asking far more than a person: no read limit for it.
export PAPERBOY_ACCESS_LOG=false PAPERBOY_DIGEST_SCHEDULE=false PAPERBOY_HARVEST_SCHEDULE=false
export PAPERBOY_READS_PER_CLIENT=0

echo "== data"
start=$(date +%s.%N)
"$paperboy" --data-dir "$work/sqlite" import "$listings" "$votes" | tail -1
seq -f "reader%05g@example.org" 1 10000 >"$work/subscribers.txt"
"$paperboy" --data-dir "$work/sqlite" subscribers import "$work/subscribers.txt" | tail -1
"$paperboy_bench" --data-dir "$work/sqlite" seed-community --members 1000 --votes-each 20
echo "import: $(echo "$(date +%s.%N) - $start" | bc) s (listings, votes, subscribers, members)"
psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
start=$(date +%s.%N)
# Its progress line (stderr) goes to a log; the table of counts is what matters.
"$paperboy" --data-dir "$work/sqlite" copy-db --to "$database_url" 2>"$work/copy-db.log" ||
    { tail -5 "$work/copy-db.log" >&2; exit 1; }
echo "copy-db: $(echo "$(date +%s.%N) - $start" | bc) s"

echo "== servers"
serve() { # NAME PORT [DATABASE_URL]
    local name=$1 port=$2
    if [ -n "${3:-}" ]; then
        PAPERBOY_DATABASE_URL=$3 "$paperboy" --data-dir "$work/$name" serve --addr "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
    else
        "$paperboy" --data-dir "$work/$name" serve --addr "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
    fi
    pids+=($!)
}
serve_all() {
    serve sqlite "${ports[0]}"
    serve replica1 "${ports[1]}" "$database_url"
    serve replica2 "${ports[2]}" "$database_url"
    for port in "${ports[@]}"; do
        # Each builds its search index before it listens.
        for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server on $port did not start" >&2; exit 1; }
    done
}
serve_all

echo "== the same answers from SQLite and PostgreSQL"
sample=(
    "/api/daily_papers?date=2026-02-13"
    "/api/daily_papers?week=2026-W07&p=2"
    "/api/daily_papers?month=2025-11&cat=cs.CL&limit=50"
    "/api/daily_papers?month=2026-02&sort=trending&limit=100"
    "/api/daily_papers?date=2025-06-02&sort=new"
    "/api/papers/2503.11677"
    "/api/papers/search?q=diffusion%20transformer"
    "/api/categories"
)
different=0
for path in "${sample[@]}"; do
    a=$(curl -fs "http://127.0.0.1:${ports[0]}$path" | md5sum | cut -c1-12)
    b=$(curl -fs "http://127.0.0.1:${ports[1]}$path" | md5sum | cut -c1-12)
    if [ "$a" = "$b" ]; then verdict=same; else verdict=DIFFERENT; different=$((different + 1)); fi
    printf '  %-58s %s %s  %s\n' "$path" "$a" "$b" "$verdict"
done
[ "$different" -eq 0 ] || { echo "$different answers differ" >&2; exit 1; }

echo "== load"
# Paths drawn at random by wrk: 2,000 papers' pages, every listed day's page, 60 searches.
zcat "$listings" | grep -o '"id": "[^"]*"' | cut -d'"' -f4 | shuf -n 2000 --random-source=<(yes) |
    sed 's|^|/papers/|' >"$work/pages.txt"
zcat "$listings" | grep -o '"first_listed": "[^"]*"' | cut -d'"' -f4 | sort -u | sed 's|^|/papers/date/|' >>"$work/pages.txt"
for query in "diffusion models" "graph neural network" "large language model reasoning" "reinforcement learning" \
    "vision transformer" "retrieval augmented generation" "federated learning privacy" "speech recognition" \
    "point cloud segmentation" "code generation" "protein structure" "autonomous driving" "contrastive learning" \
    "in-context learning" "mixture of experts" "text to image" "medical image segmentation" "quantization" \
    "knowledge distillation" "multi-agent" "benchmark" "hallucination" "robot manipulation" "time series forecasting" \
    "anomaly detection" "question answering" "machine translation" "scaling laws" "adversarial robustness" "3d gaussian splatting"; do
    encoded=${query// /%20}
    echo "/api/papers/search?q=$encoded"
    echo "/api/papers/search?q=$encoded&limit=10"
done >"$work/search.txt"


cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    upstream sqlite { server 127.0.0.1:${ports[0]}; keepalive 64; }
    upstream one_replica { server 127.0.0.1:${ports[1]}; keepalive 64; }
    upstream two_replicas { server 127.0.0.1:${ports[1]}; server 127.0.0.1:${ports[2]}; keepalive 64; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server { listen 127.0.0.1:${proxy_ports[0]}; location / { proxy_pass http://sqlite; } }
    server { listen 127.0.0.1:${proxy_ports[1]}; location / { proxy_pass http://one_replica; } }
    server { listen 127.0.0.1:${proxy_ports[2]}; location / { proxy_pass http://two_replicas; } }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

load() { # PORT PATHS → "req/s p99 non-2xx"
    PATHS=$2 wrk -t2 -c"$connections" -d"$duration" --latency -s scripts/wrk-random-path.lua \
        "http://127.0.0.1:$1" >"$work/wrk.txt"
    local rps p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    errors=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
    echo "$rps $p99 ${errors:-0}"
}

echo "wrk -t2 -c$connections -d$duration through nginx; $(wc -l <"$work/pages.txt") page paths, $(wc -l <"$work/search.txt") searches"
printf '  %-22s %18s %18s %18s\n' "" "cached pages" "rendered pages" "search"
printf '  %-22s %18s %18s %18s\n' setup "req/s   p99" "req/s   p99" "req/s   p99"
names=("sqlite, 1 process" "postgres, 1 replica" "postgres, 2 replicas")
cached=() searched=() rendered=() errors=0
for i in 0 1 2; do
    # Warm: every page once on each server of the setup (each replica has its own cache).
    case $i in 0) warm=("${ports[0]}") ;; 1) warm=("${ports[1]}") ;; 2) warm=("${ports[1]}" "${ports[2]}") ;; esac
    for port in "${warm[@]}"; do
        xargs -P 8 -I{} curl -fs -o /dev/null "http://127.0.0.1:$port{}" <"$work/pages.txt"
    done
    read -r rps p99 failed < <(load "${proxy_ports[$i]}" "$work/pages.txt")
    cached+=("$rps $p99") errors=$((errors + failed))
    read -r rps p99 failed < <(load "${proxy_ports[$i]}" "$work/search.txt")
    searched+=("$rps $p99") errors=$((errors + failed))
done
# Pages rendered afresh (what the first visitor after a vote or an import gets): the same
# servers with their page caches off.
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
pids=()
PAPERBOY_PAGE_CACHE_MIB=0 serve_all
for i in 0 1 2; do
    read -r rps p99 failed < <(load "${proxy_ports[$i]}" "$work/pages.txt")
    rendered+=("$rps $p99") errors=$((errors + failed))
done
for i in 0 1 2; do
    read -r cached_rps cached_p99 <<<"${cached[$i]}"
    read -r rendered_rps rendered_p99 <<<"${rendered[$i]}"
    read -r search_rps search_p99 <<<"${searched[$i]}"
    printf '  %-22s %10s %7s %10s %7s %10s %7s\n' "${names[$i]}" "$cached_rps" "$cached_p99" \
        "$rendered_rps" "$rendered_p99" "$search_rps" "$search_p99"
done
[ "$errors" -eq 0 ] || echo "  ($errors answers were not 2xx)"
