#!/usr/bin/env bash
# The replica benchmark's sample of API answers, saved to files: run it with the binary before
# and after a change that must not change what users see, then `diff -r` the two directories.
#
#   scripts/api-snapshot.sh PAPERBOY_BINARY OUT_DIR [LISTINGS.jsonl.gz [HF_DAILY_PAPERS.json]]
#
# Imports the listings and Hugging Face's votes into a fresh SQLite instance, serves it, and
# writes each answer of scripts/bench-replicas.sh's sample to OUT_DIR (one file per path).
# A single paper and search results are scored as of the moment they are asked for, so the
# server runs with its wall clock stopped at AT (default 2026-03-01 12:00:00 UTC) by libfaketime
# (Debian's `faketime`; the monotonic clock, which timers use, runs on). That works for any
# binary, old or new; binaries since the Clock also read PAPERBOY_CLOCK, but older ones would
# refuse it as an unknown setting.
set -euo pipefail
cd "$(dirname "$0")/.."
paperboy=$(realpath "$1")
out=$2
listings=${3:-../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz}
votes=${4:-../shared/data/hf/daily_papers-2026-02.json}
port=${PORT:-18690}
at=${AT:-2026-03-01 12:00:00}
faketime_library=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1 || true)
if [ -z "$faketime_library" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
    faketime_library=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1)
fi
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export PAPERBOY_ACCESS_LOG=false PAPERBOY_DIGEST_SCHEDULE=false PAPERBOY_HARVEST_SCHEDULE=false PAPERBOY_READS_PER_CLIENT=0

if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "something already answers on port $port (set PORT to another one)" >&2
    exit 2
fi
"$paperboy" --data-dir "$work/data" import "$listings" "$votes" | tail -1
TZ=UTC DONT_FAKE_MONOTONIC=1 FAKETIME="$at" LD_PRELOAD="$faketime_library" \
    "$paperboy" --data-dir "$work/data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
mkdir -p "$out"
for path in \
    "/api/daily_papers?date=2026-02-13" \
    "/api/daily_papers?week=2026-W07&p=2" \
    "/api/daily_papers?month=2025-11&cat=cs.CL&limit=50" \
    "/api/daily_papers?month=2026-02&sort=trending&limit=100" \
    "/api/daily_papers?date=2025-06-02&sort=new" \
    "/api/papers/2503.11677" \
    "/api/papers/search?q=diffusion%20transformer" \
    "/api/categories"; do
    curl -fs "http://127.0.0.1:$port$path" >"$out/$(echo "$path" | tr -c 'A-Za-z0-9.=-' _)"
done
ls -l "$out" | tail -n +2 | awk '{print $5, $9}'
