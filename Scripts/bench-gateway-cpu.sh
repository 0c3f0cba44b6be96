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
#   BENCH_MEASURE=ops Scripts/bench-gateway-cpu.sh     # heap allocations and reference-count
#                                                      # operations per call, counted exactly
#   BENCH_MEASURE=checks Scripts/bench-gateway-cpu.sh  # run-time exclusivity checks and array
#                                                      # storage checks per call, counted exactly
#
# With BENCH_MEASURE=ops it counts, per process and per call, the calls to `malloc` and to Swift's
# `swift_retain`, `swift_release`, `swift_bridgeObjectRetain` and `swift_bridgeObjectRelease`,
# with uprobes (`perf probe`, from Debian's linux-perf, installed if missing; root). Each counted
# call traps, so the load runs at a few thousand calls a second, but the counts per call do not
# depend on speed or on what else the machine does: a steady measure where timings on a shared
# machine swing by a tenth from one run to the next. BENCH_MEASURE=checks counts, the same way,
# `swift_beginAccess` (an exclusivity check made at run time) and
# `swift_isUniquelyReferenced_nonNull_native` (the check an array makes before it is changed).
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; only the processes this script
# started are stopped, by pid.
set -euo pipefail

BENCH_NAME=bench-gateway-cpu
STACK_PID=""
CLIENT_PID=""
COUNTERS=()
ADDED_PROBES=()
stop_processes() {
    for pid in "${COUNTERS[@]}" $CLIENT_PID $STACK_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for probe in "${ADDED_PROBES[@]}"; do perf probe -q -d "$probe" 2>/dev/null || true; done
}
source "$(dirname "${BASH_SOURCE[0]}")/bench-gateway-setup.sh"
RUNS="${BENCH_RUNS:-3}"

MEASURE="${BENCH_MEASURE:-cpu}"
case "$MEASURE" in
cpu)
    # CPU time of a process so far, in clock ticks (utime + stime).
    ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
    HZ="$(getconf CLK_TCK)"
    echo "| run | requests/s | gateway µs/call | echo µs/call | load client µs/call | total µs/call |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    ;;
ops | checks)
    command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
    LIBC="$(ldd "$BIN/backoffice-gateway" | awk '$1 == "libc.so.6" { print $3 }')"
    SWIFT_CORE="$(ldd "$BIN/backoffice-gateway" | awk '$1 == "libswiftCore.so" { print $3 }')"
    # The probes this script adds are deleted on exit; ones that were there already are kept.
    add_probe() {
        local group="$1" library="$2" function="$3"
        perf probe -l 2>/dev/null | grep -q "^ *$group:$function " && return
        perf probe -q -x "$library" "$function" || { echo "bench-gateway-cpu: cannot probe $function (uprobes, root)" >&2; exit 1; }
        ADDED_PROBES+=("$group:$function")
    }
    if [[ "$MEASURE" == ops ]]; then
        add_probe probe_libc "$LIBC" malloc
        RUNTIME_FUNCTIONS=(swift_retain swift_release swift_bridgeObjectRetain swift_bridgeObjectRelease)
        EVENTS="probe_libc:malloc"
        # Each column: its heading, and the pattern of the events it adds up.
        COLUMNS=("mallocs/call:malloc" "ref-counting/call:swift_(retain|release|bridgeObject)")
    else
        RUNTIME_FUNCTIONS=(swift_beginAccess swift_isUniquelyReferenced_nonNull_native)
        EVENTS=""
        COLUMNS=("exclusivity checks/call:swift_beginAccess" "array storage checks/call:swift_isUniquelyReferenced")
    fi
    for function in "${RUNTIME_FUNCTIONS[@]}"; do
        add_probe probe_libswiftCore "$SWIFT_CORE" "$function"
        EVENTS+="${EVENTS:+,}probe_libswiftCore:$function"
    done
    # Starts counting the probes' hits in process $1 into $WORK/$2.count.
    start_counting() {
        perf stat -x, -e "$EVENTS" -p "$1" -o "$WORK/$2.count" &
        COUNTERS+=($!)
    }
    # The hits of events matching $2 in $WORK/$1.count, per call.
    per_call() { awk -F, -v pattern="$2" -v calls="$3" '$3 ~ pattern { n += $1 } END { printf "%.1f", n / calls }' "$WORK/$1.count"; }
    heading="| run | requests/s"
    for process in gateway echo "load client"; do
        for column in "${COLUMNS[@]}"; do heading+=" | $process ${column%%:*}"; done
    done
    echo "$heading |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    ;;
*)
    echo "bench-gateway-cpu: BENCH_MEASURE is cpu, ops or checks, not $MEASURE" >&2
    exit 2
    ;;
esac
# The result line of the load client's output in $WORK/client.out, or the end of the benchmark.
client_result() {
    local field="$1" value
    value="$(sed -n "s/^RESULT .*$field=\\([0-9.]*\\).*/\\1/p" "$WORK/client.out")"
    [[ -n "$value" ]] || { echo "bench-gateway-cpu: the load client failed:" >&2; tail -n 5 "$WORK/client.err" >&2; exit 1; }
    echo "$value"
}

# One run measuring CPU time: the client runs 1 s of warm-up, then longer than the window.
time_run() {
    timeout $((SECONDS_MEASURED + 30)) "$BIN/backoffice-bench" load-authorized "$WORK/token" 127.0.0.1 "$PORT" \
        "$CONNECTIONS" "$OUTSTANDING" $((SECONDS_MEASURED + 2)) 1 100 >"$WORK/client.out" 2>"$WORK/client.err" &
    CLIENT_PID=$!
    sleep 1.5
    LOAD_PID="$(pgrep -P "$CLIENT_PID" -f backoffice-bench)"  # the client itself, under timeout
    local echo0 gateway0 client0 echo1 gateway1 client1 started ended rps
    echo0="$(ticks "$ECHO_PID")" gateway0="$(ticks "$GATEWAY_PID")" client0="$(ticks "$LOAD_PID")"
    started="$(date +%s.%N)"
    sleep "$SECONDS_MEASURED"
    echo1="$(ticks "$ECHO_PID")" gateway1="$(ticks "$GATEWAY_PID")" client1="$(ticks "$LOAD_PID")"
    ended="$(date +%s.%N)"
    wait "$CLIENT_PID" || true
    CLIENT_PID=""
    rps="$(client_result rps)"
    awk -v run="$1" -v rps="$rps" -v started="$started" -v ended="$ended" -v hz="$HZ" \
        -v g=$((gateway1 - gateway0)) -v e=$((echo1 - echo0)) -v c=$((client1 - client0)) 'BEGIN {
            calls = rps * (ended - started); per = 1e6 / hz / calls
            printf "| %d | %.0f | %.2f | %.2f | %.2f | %.2f |\n", run, rps, g * per, e * per, c * per, (g + e + c) * per
        }'
}

# One run counting: the gateway's and echo's counters attach first (a uprobe takes a moment to
# be in place), then the client runs under its own counter, without warm-up, and every call it
# made is counted in all three.
count_run() {
    start_counting "$GATEWAY_PID" gateway
    start_counting "$ECHO_PID" echo
    sleep 2
    timeout $((SECONDS_MEASURED + 30)) perf stat -x, -e "$EVENTS" -o "$WORK/client.count" -- \
        "$BIN/backoffice-bench" load-authorized "$WORK/token" 127.0.0.1 "$PORT" "$CONNECTIONS" "$OUTSTANDING" \
        "$SECONDS_MEASURED" 0 100 >"$WORK/client.out" 2>"$WORK/client.err" || true
    kill -INT "${COUNTERS[@]}" 2>/dev/null || true
    wait "${COUNTERS[@]}" 2>/dev/null || true
    COUNTERS=()
    local calls row
    calls="$(client_result calls)"
    row="| $1 | $(printf '%.0f' "$(client_result rps)")"
    for process in gateway echo client; do
        for column in "${COLUMNS[@]}"; do row+=" | $(per_call "$process" "${column#*:}" "$calls")"; done
    done
    echo "$row |"
}

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
    if [[ "$MEASURE" == cpu ]]; then time_run "$run"; else count_run "$run"; fi
    kill -TERM "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
    STACK_PID=""
done
echo
echo "$CONNECTIONS connections x $OUTSTANDING outstanding unary echo calls through the gateway, $SECONDS_MEASURED s per run, $(nproc) cores"
