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
#   BENCH_UPSTREAM=bare Scripts/bench-gateway-ratio.sh   # the bare echo server behind the gateway
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; only the processes this script
# started are stopped, by pid.
set -euo pipefail

BENCH_NAME=bench-gateway-ratio
PIDS=()
stop_processes() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
source "$(dirname "${BASH_SOURCE[0]}")/bench-gateway-setup.sh"
PAIRS="${BENCH_PAIRS:-5}"
WARMUP="${BENCH_WARMUP:-1}"

# Starts a server command writing "LISTENING <port>" on its output; sets STARTED_PORT. (Not run in
# a command substitution: its server must be this shell's child, so that cleanup stops it.)
start() {
    local name="$1"
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
    local pid=$!
    PIDS+=("$pid")
    STARTED_PORT=""
    for _ in $(seq 1 400); do
        STARTED_PORT="$(sed -n 's/^LISTENING \([0-9][0-9]*\)$/\1/p' "$WORK/$name.out" | head -n 1)"
        [[ -n "$STARTED_PORT" ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench-gateway-ratio: $name did not start:" >&2
    tail -n 5 "$WORK/$name.err" >&2
    exit 1
}

start direct "$BIN/backoffice-bench" serve --port 0
DIRECT_PORT="$STARTED_PORT"
start gateway "$ROOT/Scripts/bench-gateway-stack.sh" "$BIN" "$WORK" "$WORK/token"
GATEWAY_PORT="$STARTED_PORT"

# Runs the client once against PORT; sets RUN_RPS to its requests/s, or stops the benchmark.
run() {
    local name="$1"
    shift
    local output
    output="$(timeout $((SECONDS_MEASURED + WARMUP + 30)) "$@" 127.0.0.1 "$PORT" "$CONNECTIONS" "$OUTSTANDING" \
        "$SECONDS_MEASURED" "$WARMUP" 100 2>"$WORK/$name-client.err")" || true
    RUN_RPS="$(sed -n 's/^RESULT .*rps=\([0-9.]*\).*/\1/p' <<<"$output")"
    if [[ -z "$RUN_RPS" ]]; then
        echo "bench-gateway-ratio: the $name client failed:" >&2
        tail -n 5 "$WORK/$name-client.err" >&2
        exit 1
    fi
    RUN_RPS="$(printf '%.0f' "$RUN_RPS")"
}

echo "| pair | direct requests/s | through the gateway requests/s | ratio |"
echo "| ---: | ---: | ---: | ---: |"
RATIOS=()
for pair in $(seq 1 "$PAIRS"); do
    PORT="$DIRECT_PORT"
    run direct "$BIN/backoffice-bench" load
    direct="$RUN_RPS"
    PORT="$GATEWAY_PORT"
    run gateway "$BIN/backoffice-bench" load-authorized "$WORK/token"
    gateway="$RUN_RPS"
    ratio="$(awk -v g="$gateway" -v d="$direct" 'BEGIN { printf "%.3f", g / d }')"
    RATIOS+=("$ratio")
    echo "| $pair | $direct | $gateway | $ratio |"
done
echo
median="$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{ values[NR] = $1 } END { print (NR % 2) ? values[(NR + 1) / 2] : (values[NR / 2] + values[NR / 2 + 1]) / 2 }')"
echo "$CONNECTIONS connections x $OUTSTANDING outstanding unary echo calls, ${SECONDS_MEASURED} s per run after ${WARMUP} s warm-up, $(nproc) cores"
echo "Median gateway/direct throughput ratio over $PAIRS pairs: $median"
