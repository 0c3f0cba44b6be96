#!/usr/bin/env bash
# Where the CPU goes when calls go through the gateway: starts the real gateway stack
# (Scripts/bench-gateway-stack.sh), keeps unary echo calls outstanding through the gateway, and
# prints, per process, the CPU time it spent per call (user + system, from /proc/<pid>/stat over
# the measured seconds). The three processes share the machine's cores, so the total bounds the
# throughput: 2 cores / total µs per call.
#
#   Scripts/bench-gateway-cpu.sh                       # 4 connections x 64 outstanding, 5 s, 3 runs
#   BENCH_SECONDS=10 BENCH_RUNS=5 Scripts/bench-gateway-cpu.sh
#   BENCH_BIN_DIR=/path/to/release/bin Scripts/bench-gateway-cpu.sh   # prebuilt binaries
#   BENCH_UPSTREAM=bare Scripts/bench-gateway-cpu.sh   # the bare echo server behind the gateway
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; only the processes this script
# started are stopped, by pid.
set -euo pipefail

BENCH_NAME=bench-gateway-cpu
STACK_PID=""
CLIENT_PID=""
stop_processes() {
    for pid in $CLIENT_PID $STACK_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
source "$(dirname "${BASH_SOURCE[0]}")/bench-gateway-setup.sh"
RUNS="${BENCH_RUNS:-3}"

# CPU time of a process so far, in clock ticks (utime + stime).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ="$(getconf CLK_TCK)"

echo "| run | requests/s | gateway µs/call | echo µs/call | load client µs/call | total µs/call |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for run in $(seq 1 "$RUNS"); do
    "$ROOT/Scripts/bench-gateway-stack.sh" "$BIN" "$WORK" "$WORK/token" >"$WORK/stack.out" 2>"$WORK/stack.err" &
    STACK_PID=$!
    for _ in $(seq 1 400); do
        grep -q '^LISTENING ' "$WORK/stack.out" 2>/dev/null && break
        kill -0 "$STACK_PID" 2>/dev/null || break
        sleep 0.05
    done
    PORT="$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$WORK/stack.out")"
    [[ -n "$PORT" ]] || { echo "bench-gateway-cpu: the stack did not start:" >&2; tail -n 5 "$WORK/stack.err" >&2; exit 1; }
    # The upstream server: backoffice-echo, or backoffice-bench with BENCH_UPSTREAM=bare (process
    # names are cut to 15 characters).
    ECHO_PID="$(pgrep -P "$STACK_PID" '^backoffice-(echo|benc)$')"
    GATEWAY_PID="$(pgrep -P "$STACK_PID" -f backoffice-gateway)"
    # The client runs 1 s of warm-up, then longer than the measured window.
    timeout $((SECONDS_MEASURED + 30)) "$BIN/backoffice-bench" load-authorized "$WORK/token" 127.0.0.1 "$PORT" \
        "$CONNECTIONS" "$OUTSTANDING" $((SECONDS_MEASURED + 2)) 1 100 >"$WORK/client.out" 2>"$WORK/client.err" &
    CLIENT_PID=$!
    sleep 1.5
    LOAD_PID="$(pgrep -P "$CLIENT_PID" -f backoffice-bench)"  # the client itself, under timeout
    echo0="$(ticks "$ECHO_PID")" gateway0="$(ticks "$GATEWAY_PID")" client0="$(ticks "$LOAD_PID")"
    started="$(date +%s.%N)"
    sleep "$SECONDS_MEASURED"
    echo1="$(ticks "$ECHO_PID")" gateway1="$(ticks "$GATEWAY_PID")" client1="$(ticks "$LOAD_PID")"
    ended="$(date +%s.%N)"
    wait "$CLIENT_PID" || true
    CLIENT_PID=""
    rps="$(sed -n 's/^RESULT .*rps=\([0-9.]*\).*/\1/p' "$WORK/client.out")"
    [[ -n "$rps" ]] || { echo "bench-gateway-cpu: the load client failed:" >&2; tail -n 5 "$WORK/client.err" >&2; exit 1; }
    awk -v run="$run" -v rps="$rps" -v started="$started" -v ended="$ended" -v hz="$HZ" \
        -v g=$((gateway1 - gateway0)) -v e=$((echo1 - echo0)) -v c=$((client1 - client0)) 'BEGIN {
            calls = rps * (ended - started); per = 1e6 / hz / calls
            printf "| %d | %.0f | %.2f | %.2f | %.2f | %.2f |\n", run, rps, g * per, e * per, c * per, (g + e + c) * per
        }'
    kill -TERM "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
    STACK_PID=""
done
echo
echo "$CONNECTIONS connections x $OUTSTANDING outstanding unary echo calls through the gateway, $SECONDS_MEASURED s per run, $(nproc) cores"
