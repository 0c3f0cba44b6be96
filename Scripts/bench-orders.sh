#!/usr/bin/env bash
# The orders benchmark: order creation (stock reserved, totals, timeline and outbox event, committed
# before the answer) against the real backoffice-orders over loopback, at a few concurrency levels.
#
#   Scripts/bench-orders.sh                         # 3 s per row after a 1 s warm-up
#   BENCH_SECONDS=5 BENCH_WARMUP=1 Scripts/bench-orders.sh
#   BENCH_BIN_DIR=.build/release Scripts/bench-orders.sh   # skip the build, use these binaries
#
# Builds backoffice-orders and backoffice-bench in release mode, starts the service on
# 127.0.0.1:0 with a fresh data directory and a random internal key, runs
# `backoffice-bench orders` per row, prints a table, and stops exactly the process it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MEASURE_SECONDS="${BENCH_SECONDS:-3}"
WARMUP_SECONDS="${BENCH_WARMUP:-1}"
# (connections, outstanding) pairs, in table order.
SHAPES=("1 1" "1 16" "4 64")

if [ -z "${BENCH_BIN_DIR:-}" ]; then
    swift build -c release --product backoffice-orders >&2
    swift build -c release --product backoffice-bench >&2
    BENCH_BIN_DIR="$(swift build -c release --show-bin-path)"
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bench-orders.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
BACKOFFICE_ORDERS_INTERNAL_KEY="$KEY" "$BENCH_BIN_DIR/backoffice-orders" \
    --listen 127.0.0.1:0 --data-dir "$WORK_DIR/data" --log-level warn --max-concurrent-calls 1000 \
    >"$WORK_DIR/stdout" 2>"$WORK_DIR/stderr" &
SERVER_PID=$!

ADDRESS=""
for _ in $(seq 1 100); do
    ADDRESS="$(sed -n 's/^LISTENING //p' "$WORK_DIR/stdout" | head -1)"
    [ -n "$ADDRESS" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ADDRESS" ]; then
    echo "bench-orders: backoffice-orders did not start:" >&2
    cat "$WORK_DIR/stderr" >&2
    exit 1
fi

echo "Order creation, backoffice-orders at $ADDRESS (release), ${MEASURE_SECONDS}s per row, 2 lines per order"
printf '%-12s %-12s %12s %10s %10s %8s\n' connections outstanding "orders/s" "p50 (us)" "p99 (us)" errors
for shape in "${SHAPES[@]}"; do
    read -r connections outstanding <<<"$shape"
    result="$(timeout $((MEASURE_SECONDS + WARMUP_SECONDS + 30)) "$BENCH_BIN_DIR/backoffice-bench" orders "$ADDRESS" "$KEY" \
        "$connections" "$outstanding" "$MEASURE_SECONDS" "$WARMUP_SECONDS" | grep '^RESULT')"
    rate="$(sed -n 's/.*orders_per_s=\([0-9.]*\).*/\1/p' <<<"$result")"
    p50="$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$result")"
    p99="$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$result")"
    errors="$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$result")"
    printf '%-12s %-12s %12s %10s %10s %8s\n' "$connections" "$outstanding" "$rate" "$p50" "$p99" "$errors"
done
