#!/usr/bin/env bash
# How Paperboy's costs grow with the corpus: the real listings (75 k papers), then corpora of
# 1 M and 2.8 M papers made from them by `paperboy-bench corpus` (new ids and list days, titles,
# abstracts and authors mixed, so text statistics stay arXiv's), each into a fresh instance.
#
#   scripts/bench-scale.sh [SIZE ...]        (default: 75000 1000000 2800000; 75000 = the real file)
#
# Per size: import (wall, peak RSS), keyword index build (`reindex`: wall, peak RSS, size),
# database size; search p50/p99 through the service and through tantivy's own query parser on
# the same index (`paperboy-bench search --instance`, which also times similar papers and date order);
# the daily digest for 2,000 subscribers (composed and written as files: the mail server's cost
# does not grow with the corpus); then a server: the day page under wrk against nginx serving
# the same bytes (the ceiling for a page), then rendered afresh (the page cache off; before, a query string the page cache
# has never seen: what the first visitor after a vote or an import gets) for the day and the
# month, paper pages and search pages, and the server's RSS after the load. Prints Markdown
# table rows per size. Needs wrk, nginx, curl, GNU time; about 35 minutes for the default sizes
# on 2 cores and 12 GB of free disk.
#
# Environment: LISTINGS, DAY (2026-02-13), DURATION (15s), CONNECTIONS (32), KEEP (keep the data).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/nginx-static.sh
source scripts/nginx-static.sh

listings=${LISTINGS:-../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(75000 1000000 2800000)
day=${DAY:-2026-02-13}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
port=18700
nginx_port=18701

for tool in wrk nginx curl /usr/bin/time; do
    if ! command -v "$tool" >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl time >/dev/null
        break
    fi
done
[ -f "$listings" ] || { echo "no listings file at $listings" >&2; exit 2; }

cargo build --release --quiet
paperboy=$PWD/target/release/paperboy
paperboy_bench=$PWD/target/release/paperboy-bench
work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as nobody and must reach www/
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
# wrk is one client address asking far more than a person: no read limit for it.
export PAPERBOY_ACCESS_LOG=false PAPERBOY_DIGEST_SCHEDULE=false PAPERBOY_HARVEST_SCHEDULE=false
export PAPERBOY_READS_PER_CLIENT=0

# "wall_seconds peak_rss_mb" of a command, its output to $work/out.txt.
timed() {
    /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >"$work/out.txt" 2>"$work/err.txt" ||
        { tail -5 "$work/err.txt" >&2; exit 1; }
    awk '{printf "%.1f %.0f\n", $1, $2 / 1024}' "$work/time.txt"
}

wrk_run() { # URL [PATHS] → "req/s p99"
    local script=()
    [ -n "${2:-}" ] && script=(-s scripts/wrk-random-path.lua)
    PATHS=${2:-} wrk -t2 -c"$connections" -d"$duration" --latency "${script[@]}" "$1" >"$work/wrk.txt"
    if grep -q "Non-2xx" "$work/wrk.txt"; then
        echo "non-2xx answers from $1: $(grep Non-2xx "$work/wrk.txt")" >&2
        exit 1
    fi
    # Answers slower than wrk's 2 s timeout are not in its percentiles: say how many there were.
    local p99 timeouts
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    timeouts=$(awk '/Socket errors/ { for (i = 1; i < NF; i++) if ($i == "timeout") print $(i + 1) }' "$work/wrk.txt")
    [ "${timeouts:-0}" -gt 0 ] && p99=">2s,${timeouts}-timed-out"
    echo "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") $p99"
}

nginx_static_conf "$work" "$nginx_port"
mkdir -p "$work/www"

rows=()
rows2=()
for size in "${sizes[@]}"; do
    data=$work/data-$size
    echo "== $size papers" >&2
    if [ "$size" = 75000 ]; then
        read -r import_s import_mb < <(timed "$paperboy" --data-dir "$data" import "$listings")
        zcat "$listings" | grep -o '"id": "[^"]*"' | cut -d'"' -f4 | shuf -n 2000 --random-source=<(yes) |
            sed 's|^|/papers/|' >"$work/papers.txt"
    else
        # The generator runs beside the import (a pipe); its own cost is small (about 8 s of
        # CPU per million papers).
        read -r import_s import_mb < <(timed bash -c "set -o pipefail;
            '$paperboy_bench' corpus --papers $size '$listings' | '$paperboy' --data-dir '$data' import -")
        per_month=$((size / 144))
        awk -v n=2000 -v per="$per_month" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
            m = int(rand() * 144); printf "/papers/%02d%02d.%05d\n", 15 + int(m / 12), m % 12 + 1, 1 + int(rand() * per) } }' \
            >"$work/papers.txt"
    fi
    echo "import: $import_s s, peak $import_mb MB; $(tail -1 "$work/out.txt")" >&2
    read -r index_s index_mb < <(timed "$paperboy" --data-dir "$data" reindex)
    index_size=$(du -sm "$data/search-index" | cut -f1)
    # With its write-ahead log, should anything be left in it.
    db_size=$(du -cb "$data"/paperboy.db* | tail -1 | awk '{printf "%.0f", $1 / 1048576}')
    echo "index: $index_s s, peak $index_mb MB, $index_size MB; database $db_size MB" >&2

    "$paperboy_bench" --data-dir "$data" search --instance "$data" --queries 1000 \
        --write-queries "$work/queries.txt" >"$work/search.txt" 2>/dev/null
    read -r search_p50 search_p99 < <(awk '/^  keyword/ {print $5, $8}' "$work/search.txt")
    read -r tantivy_p50 tantivy_p99 < <(awk '/^  baseline/ {print $8, $11}' "$work/search.txt")
    echo "search: p50 $search_p50 ms p99 $search_p99 ms; tantivy p50 $tantivy_p50 ms p99 $tantivy_p99 ms" >&2
    grep -E "^    |newest|similar" "$work/search.txt" >&2
    read -r similar_p50 similar_p99 < <(awk '/^  similar/ {print $7, $10}' "$work/search.txt")
    read -r newest_p50 newest_p99 < <(awk '/^  newest/ {print $8, $11}' "$work/search.txt")

    seq -f "reader%05g@example.org" 1 1000 >"$work/readers.txt"
    seq -f "vision%05g@example.org" 1 1000 >"$work/readers-cv.txt"
    "$paperboy" --data-dir "$data" subscribers import "$work/readers.txt" >/dev/null
    "$paperboy" --data-dir "$data" subscribers import "$work/readers-cv.txt" --categories cs.CV >/dev/null
    read -r digest_s _ < <(timed "$paperboy" --data-dir "$data" digest run --frequency daily --date "$day")
    digest_ms=$(awk -v s="$digest_s" 'BEGIN { printf "%.1f", 1000 * s / 2000 }')
    echo "digest: 2,000 subscribers in $digest_s s ($digest_ms ms each); $(head -1 "$work/out.txt")" >&2

    "$paperboy" --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
    curl -fs "http://127.0.0.1:$port/papers/date/$day" -o "$work/www/day.html"
    day_bytes=$(wc -c <"$work/www/day.html")
    [ -f "$work/nginx.pid" ] || nginx -c "$work/nginx.conf" -p "$work"
    sleep 0.5
    read -r nginx_rps nginx_p99 < <(wrk_run "http://127.0.0.1:$nginx_port/day.html")
    read -r day_rps day_p99 < <(wrk_run "http://127.0.0.1:$port/papers/date/$day")
    # Pages rendered afresh, what the first visitor after a vote or an import gets: the same
    # server with its page cache off.
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    PAPERBOY_PAGE_CACHE_MIB=0 "$paperboy" --data-dir "$data" serve --addr "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
    read -r paper_rps paper_p99 < <(wrk_run "http://127.0.0.1:$port" "$work/papers.txt")
    echo "/papers/date/$day" >"$work/day-path.txt"
    read -r day_fresh_rps day_fresh_p99 < <(wrk_run "http://127.0.0.1:$port" "$work/day-path.txt")
    echo "/papers/month/${day:0:7}" >"$work/month-path.txt"
    read -r month_fresh_rps month_fresh_p99 < <(wrk_run "http://127.0.0.1:$port" "$work/month-path.txt")
    # The search page for the benchmark's queries (title words, authors, phrases, abstracts).
    head -300 "$work/queries.txt" |
        python3 -c 'import sys, urllib.parse; [print("/search?q=" + urllib.parse.quote(l.strip())) for l in sys.stdin]' \
            >"$work/search-paths.txt"
    read -r search_rps search_http_p99 < <(wrk_run "http://127.0.0.1:$port" "$work/search-paths.txt")
    rss_mb=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    ratio=$(awk -v a="$day_rps" -v b="$nginx_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    echo "day page ($day_bytes bytes): $day_rps req/s p99 $day_p99 (nginx $nginx_rps, $ratio); rendered: day $day_fresh_rps ($day_fresh_p99), month $month_fresh_rps ($month_fresh_p99), paper pages $paper_rps ($paper_p99), search pages $search_rps ($search_http_p99); server RSS $rss_mb MB" >&2
    rows+=("| $size | $import_s s / $import_mb MB | $index_s s / $index_mb MB / $index_size MB | $db_size MB | $day_rps ($day_p99), nginx $nginx_rps ($nginx_p99), $ratio | $search_p50 / $search_p99 ms, tantivy $tantivy_p50 / $tantivy_p99 ms | $rss_mb MB |")
    rows2+=("| $size | $day_fresh_rps ($day_fresh_p99) | $month_fresh_rps ($month_fresh_p99) | $paper_rps ($paper_p99) | $search_rps ($search_http_p99) | $similar_p50 / $similar_p99 ms | $newest_p50 / $newest_p99 ms | $digest_ms ms |")
    [ -n "${KEEP:-}" ] || rm -rf "$data"
done

echo "| papers | import (wall / peak RSS) | keyword index (wall / peak RSS / size) | database | day page req/s (p99) vs nginx | keyword search p50 / p99, tantivy's parser p50 / p99 | server RSS after load |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| papers | day page rendered req/s (p99) | month page rendered | paper pages rendered | search pages | similar papers p50 / p99 | search by date p50 / p99 | digest per subscriber |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows2[@]}"
