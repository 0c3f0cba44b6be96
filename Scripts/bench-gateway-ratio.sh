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
#   BENCH_HOP=c-relay Scripts/bench-gateway-ratio.sh     # the minimal C relay instead of the gateway:
#                                                        # the ratio one extra hop allows at best
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; only the processes this script
# started are stopped, by pid.
set -euo pipefail

BENCH_NAME=bench-gateway-ratio
stop_processes() { stop_started; }
source "$(dirname "${BASH_SOURCE[0]}")/bench-processes.sh"
source "$(dirname "${BASH_SOURCE[0]}")/bench-gateway-setup.sh"
PROCESS_LOG_DIR="$WORK"
PAIRS="${BENCH_PAIRS:-5}"
WARMUP="${BENCH_WARMUP:-1}"

start_listening direct "$BIN/backoffice-bench" serve --port 0
DIRECT_PORT="$LISTENING"
case "${BENCH_HOP:-gateway}" in
gateway)
    start_listening gateway "$ROOT/Scripts/bench-gateway-stack.sh" "$BIN" "$WORK" "$WORK/token"
    HOP_CLIENT=(load-authorized "$WORK/token")
    ;;
c-relay)
    gcc -O2 -Wall -Wextra -pthread -o "$WORK/relay" "$ROOT/Benchmarks/c/relay.c"
    start_listening gateway "$ROOT/Scripts/bench-relay-stack.sh" "$BIN/backoffice-bench" "$WORK/relay"
    HOP_CLIENT=(load)
    ;;
*)
    echo "bench-gateway-ratio: BENCH_HOP is gateway or c-relay, not ${BENCH_HOP}" >&2
    exit 2
    ;;
esac
GATEWAY_PORT="$LISTENING"

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

echo "| pair | direct requests/s | through the ${BENCH_HOP:-gateway} requests/s | ratio |"
echo "| ---: | ---: | ---: | ---: |"
RATIOS=()
for pair in $(seq 1 "$PAIRS"); do
    PORT="$DIRECT_PORT"
    run direct "$BIN/backoffice-bench" load
    direct="$RUN_RPS"
    PORT="$GATEWAY_PORT"
    run gateway "$BIN/backoffice-bench" "${HOP_CLIENT[@]}"
    gateway="$RUN_RPS"
    ratio="$(awk -v g="$gateway" -v d="$direct" 'BEGIN { printf "%.3f", g / d }')"
    RATIOS+=("$ratio")
    echo "| $pair | $direct | $gateway | $ratio |"
done
echo
median="$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{ values[NR] = $1 } END { print (NR % 2) ? values[(NR + 1) / 2] : (values[NR / 2] + values[NR / 2 + 1]) / 2 }')"
echo "$CONNECTIONS connections x $OUTSTANDING outstanding unary echo calls, ${SECONDS_MEASURED} s per run after ${WARMUP} s warm-up, $(nproc) cores"
echo "Median ${BENCH_HOP:-gateway}/direct throughput ratio over $PAIRS pairs: $median"
