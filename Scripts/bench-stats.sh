#!/usr/bin/env bash
# The stats benchmark: batched ingestion and 30-day queries against the real backoffice-stats.
#
#   Scripts/bench-stats.sh                                   # 10,000,000 events (a few minutes)
#   STATS_BENCH_EVENTS=1000000 Scripts/bench-stats.sh        # a shorter run
#   STATS_BENCH_SKIP_BUILD=1 Scripts/bench-stats.sh          # reuse .build/release
#   STATS_BENCH_DAYS=3 STATS_BENCH_EVENTS=1000000 ...        # events spread over 3 days instead of 30
#
# Builds backoffice-stats and backoffice-bench in release mode, starts backoffice-stats on a
# free loopback port with a temporary data directory (no internal key: development mode), runs
# `backoffice-bench stats`, which loads STATS_BENCH_EVENTS events spread over the last STATS_BENCH_DAYS (30) days
# (the first STATS_BENCH_UNARY_EVENTS by IngestBatch in batches of 1,000, the rest by
# IngestStream in batches of 10,000) and times STATS_BENCH_QUERIES queries over those days, then stops
# the process it started, by pid, and deletes the data directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

EVENTS="${STATS_BENCH_EVENTS:-10000000}"
UNARY_EVENTS="${STATS_BENCH_UNARY_EVENTS:-200000}"
QUERIES="${STATS_BENCH_QUERIES:-50}"
DAYS="${STATS_BENCH_DAYS:-30}"
LISTEN_TIMEOUT_SECONDS=20

if [ "$UNARY_EVENTS" -gt "$EVENTS" ]; then UNARY_EVENTS="$EVENTS"; fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-bench-stats.XXXXXX")"
SERVER_PID=""

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${STATS_BENCH_SKIP_BUILD:-}" ]; then
    echo "bench-stats: building release (this takes a while)" >&2
    swift build -c release --product backoffice-stats >&2
    swift build -c release --product backoffice-bench >&2
fi
BIN="$(swift build -c release --show-bin-path)"

"$BIN/backoffice-stats" --listen 127.0.0.1:0 --data-dir "$WORK_DIR/data" --log-level warn \
    >"$WORK_DIR/stdout" 2>"$WORK_DIR/stderr" &
SERVER_PID=$!

ADDRESS=""
for _ in $(seq 1 $((LISTEN_TIMEOUT_SECONDS * 10))); do
    ADDRESS="$(sed -n 's/^LISTENING //p' "$WORK_DIR/stdout" | head -n 1)"
    [ -n "$ADDRESS" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ADDRESS" ]; then
    echo "bench-stats: backoffice-stats did not report LISTENING; its stderr:" >&2
    cat "$WORK_DIR/stderr" >&2
    exit 1
fi
HOST="${ADDRESS%:*}"
PORT="${ADDRESS##*:}"

echo "bench-stats: backoffice-stats (pid $SERVER_PID) on $ADDRESS; $EVENTS events, $QUERIES queries per row" >&2
"$BIN/backoffice-bench" stats "$HOST" "$PORT" "$EVENTS" "$UNARY_EVENTS" "$QUERIES" "$DAYS"
echo ""
echo "database after the run: $(du -sh "$WORK_DIR/data" | cut -f1)"
# CPU the server used (user + system), a figure that holds when the machine is shared.
read -r -a STAT < "/proc/$SERVER_PID/stat" || true
if [ "${#STAT[@]}" -gt 14 ]; then
    TICKS="$(getconf CLK_TCK)"
    echo "backoffice-stats CPU time: $(( (STAT[13] + STAT[14]) * 1000 / TICKS )) ms"
fi
