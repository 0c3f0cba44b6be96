#!/usr/bin/env bash
# The security benchmark: login throughput (Argon2id-bound) and Authenticate beside it, against the
# real backoffice-security executable over loopback TCP, signed with a fresh internal key.
#
#   Scripts/bench-security.sh                  # 3 s per row
#   BENCH_SECONDS=2 Scripts/bench-security.sh
#
# Builds backoffice-security and backoffice-bench in release mode, starts the service on a free
# loopback port with a temporary data directory, runs `backoffice-bench security-login`, and stops
# exactly the process it started (by pid), also when interrupted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_PER_ROW="${BENCH_SECONDS:-3}"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bench-security.XXXXXX")"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n "$SERVER_PID" ]] && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "bench-security: building (release)" >&2
swift build -c release --product backoffice-security >"$WORK_DIR/build.log" 2>&1 &&
    swift build -c release --product backoffice-bench >>"$WORK_DIR/build.log" 2>&1 ||
    { tail -n 20 "$WORK_DIR/build.log" >&2; exit 1; }
BIN="$(swift build -c release --show-bin-path)"

KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
BACKOFFICE_SECURITY_INTERNAL_KEY="$KEY" "$BIN/backoffice-security" --listen 127.0.0.1:0 \
    --data-dir "$WORK_DIR/data" --log-level warn >"$WORK_DIR/server.out" 2>"$WORK_DIR/server.err" </dev/null &
SERVER_PID=$!

ADDRESS=""
for _ in $(seq 1 200); do
    ADDRESS="$(sed -n 's/^LISTENING \(.*\)$/\1/p' "$WORK_DIR/server.out" | head -n 1)"
    [[ -n "$ADDRESS" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
[[ -n "$ADDRESS" ]] || { echo "bench-security: the service did not start" >&2; cat "$WORK_DIR/server.err" >&2; exit 1; }

echo "bench-security: backoffice-security at $ADDRESS, $SECONDS_PER_ROW s per row, $(nproc) cores" >&2
timeout $((SECONDS_PER_ROW * 5 + 60)) "$BIN/backoffice-bench" security-login "${ADDRESS%:*}" "${ADDRESS##*:}" "$KEY" "$SECONDS_PER_ROW"
