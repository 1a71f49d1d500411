#!/usr/bin/env bash
# Digest delivery: the daily digest for 10,000 confirmed subscribers, composed from the demo
# sample and delivered over SMTP to a local aiosmtpd that discards what it gets, against a
# baseline of the same number of ready-made messages sent over the same connections.
#
#   scripts/bench-digest.sh [SUBSCRIBERS]
set -euo pipefail
cd "$(dirname "$0")/.."

subscribers=${1:-10000}
port=18525
python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install --quiet aiosmtpd

cargo build --release --quiet
python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink &
smtp_pid=$!
trap 'kill $smtp_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
./target/release/paperboy-bench digest --subscribers "$subscribers" --smtp-url "smtp://127.0.0.1:$port"
