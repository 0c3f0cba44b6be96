#!/usr/bin/env bash
# The gateway's throughput target, measured so that the machine's drift cancels out: starts the
# direct echo server (`backoffice-bench serve`) and the real gateway stack
# (Scripts/bench-gateway-stack.sh) side by side, then runs the closed-loop client against each in
# turn, several times, and prints each pair's requests/s and ratio, then the median ratio.
# (Scripts/bench.sh runs each row once, minutes apart; on a shared virtual machine whose speed
# drifts, its ratio moves more than either row.)
#
#   Scripts/bench-gateway-ratio.sh                         # 4 connections x 64 outstanding, 5 pairs of 5 s
#   BENCH_PAIRS=9 BENCH_SECONDS=3 Scripts/bench-gateway-ratio.sh
#   BENCH_BIN_DIR=/path/to/release/bin Scripts/bench-gateway-ratio.sh   # prebuilt binaries
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; only the processes this script
# started are stopped, by pid.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PAIRS="${BENCH_PAIRS:-5}"
SECONDS_MEASURED="${BENCH_SECONDS:-5}"
WARMUP="${BENCH_WARMUP:-1}"
CONNECTIONS="${BENCH_CONNECTIONS:-4}"
OUTSTANDING="${BENCH_OUTSTANDING:-64}"

if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
    BIN="$BENCH_BIN_DIR"
else
    echo "bench-gateway-ratio: building the release executables" >&2
    for product in backoffice-bench backoffice-echo backoffice-security backoffice-gateway; do
        swift build -c release --product "$product" >/dev/null
    done
    BIN="$(swift build -c release --show-bin-path)"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-bench-ratio.XXXXXX")"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a server command writing "LISTENING <port>" on its output; prints the port.
start() {
    local name="$1"
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
    PIDS+=($!)
    local pid=$! port=""
    for _ in $(seq 1 400); do
        port="$(sed -n 's/^LISTENING \([0-9.:]*:\)\{0,1\}\([0-9][0-9]*\)$/\2/p' "$WORK/$name.out" | head -n 1)"
        [[ -n "$port" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [[ -n "$port" ]] || { echo "bench-gateway-ratio: $name did not start:" >&2; tail -n 5 "$WORK/$name.err" >&2; exit 1; }
    echo "$port"
}

DIRECT_PORT="$(start direct "$BIN/backoffice-bench" serve --port 0)"
GATEWAY_PORT="$(start gateway "$ROOT/Scripts/bench-gateway-stack.sh" "$BIN" "$WORK" "$WORK/token")"

# Requests/s of one client run, or the reason it failed.
run() {
    local name="$1"
    shift
    local output
    output="$(timeout $((SECONDS_MEASURED + WARMUP + 30)) "$@" 127.0.0.1 "$PORT" "$CONNECTIONS" "$OUTSTANDING" \
        "$SECONDS_MEASURED" "$WARMUP" 100 2>"$WORK/$name-client.err")" || true
    local rps
    rps="$(sed -n 's/^RESULT .*rps=\([0-9.]*\).*/\1/p' <<<"$output")"
    [[ -n "$rps" ]] || { echo "bench-gateway-ratio: the $name client failed:" >&2; tail -n 5 "$WORK/$name-client.err" >&2; exit 1; }
    printf '%.0f' "$rps"
}

echo "| pair | direct requests/s | through the gateway requests/s | ratio |"
echo "| ---: | ---: | ---: | ---: |"
RATIOS=()
for pair in $(seq 1 "$PAIRS"); do
    PORT="$DIRECT_PORT"
    direct="$(run direct "$BIN/backoffice-bench" load)"
    PORT="$GATEWAY_PORT"
    gateway="$(run gateway "$BIN/backoffice-bench" load-authorized "$WORK/token")"
    ratio="$(awk -v g="$gateway" -v d="$direct" 'BEGIN { printf "%.3f", g / d }')"
    RATIOS+=("$ratio")
    echo "| $pair | $direct | $gateway | $ratio |"
done
echo
median="$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{ values[NR] = $1 } END { print (NR % 2) ? values[(NR + 1) / 2] : (values[NR / 2] + values[NR / 2 + 1]) / 2 }')"
echo "$CONNECTIONS connections x $OUTSTANDING outstanding unary echo calls, ${SECONDS_MEASURED} s per run after ${WARMUP} s warm-up, $(nproc) cores"
echo "Median gateway/direct throughput ratio over $PAIRS pairs: $median"
