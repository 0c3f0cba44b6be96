#!/usr/bin/env bash
# The content benchmark: the front office's "published item by slug" read
# (backoffice.content.PublicContent/GetPublishedItem) against a real backoffice-content process, over
# loopback, 64 calls outstanding by default. Prints a table row and a RESULT line.
#
#   Scripts/bench-content.sh                                     # 5 s after a 1 s warm-up, 4 connections x 64 outstanding
#   BENCH_SECONDS=10 BENCH_CONNECTIONS=1 BENCH_OUTSTANDING=16 Scripts/bench-content.sh
#   BENCH_BIN_DIR=/path/to/release/bin Scripts/bench-content.sh  # use prebuilt binaries
#
# Builds backoffice-content and backoffice-bench in release mode, starts the service on a free
# loopback port with a temporary data directory and a random internal key, runs the load, and stops
# exactly the process it started, by pid, including when interrupted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MEASURE_SECONDS="${BENCH_SECONDS:-5}"
WARMUP_SECONDS="${BENCH_WARMUP:-1}"
CONNECTIONS="${BENCH_CONNECTIONS:-4}"
OUTSTANDING="${BENCH_OUTSTANDING:-64}"
LISTEN_TIMEOUT_SECONDS=20

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-bench-content.XXXXXX")"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
    BIN="$BENCH_BIN_DIR"
else
    echo "bench-content: building backoffice-content and backoffice-bench (release)" >&2
    swift build -c release --product backoffice-content >"$WORK_DIR/build.log" 2>&1 &&
        swift build -c release --product backoffice-bench >>"$WORK_DIR/build.log" 2>&1 ||
        { cat "$WORK_DIR/build.log" >&2; exit 1; }
    BIN="$(swift build -c release --show-bin-path)"
fi

KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
BACKOFFICE_CONTENT_INTERNAL_KEY="$KEY" "$BIN/backoffice-content" --listen 127.0.0.1:0 \
    --data-dir "$WORK_DIR/data" --log-level error >"$WORK_DIR/server.out" 2>"$WORK_DIR/server.err" &
SERVER_PID=$!

PORT=""
for _ in $(seq 1 $((LISTEN_TIMEOUT_SECONDS * 10))); do
    PORT="$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$WORK_DIR/server.out" | head -1)"
    [[ -n "$PORT" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK_DIR/server.err" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$PORT" ]] || { echo "bench-content: the service did not report LISTENING" >&2; exit 1; }

timeout $((MEASURE_SECONDS + WARMUP_SECONDS + 30)) "$BIN/backoffice-bench" content 127.0.0.1 "$PORT" "$KEY" \
    "$CONNECTIONS" "$OUTSTANDING" "$MEASURE_SECONDS" "$WARMUP_SECONDS"
