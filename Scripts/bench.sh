#!/usr/bin/env bash
# The benchmark: our Swift RPC stack against a minimal C echo server and client speaking the same
# framing (the protocol with no library around it), over loopback, unary echo calls of 100-byte payloads,
# directly, through a minimal C relay (the cost of the extra hop alone), and through the gateway
# (real gateway, echo and security processes; a real session).
#
#   Scripts/bench.sh                      # 5 s per row after a 1 s warm-up
#   BENCH_SECONDS=10 BENCH_WARMUP=2 Scripts/bench.sh
#   BENCH_SWIFT_BINARY=/path/to/backoffice-bench Scripts/bench.sh   # use a prebuilt binary
#   BENCH_ONLY=gateway Scripts/bench.sh        # only the rows whose label contains "gateway"
#
# Builds Benchmarks/c/*.c with gcc into Benchmarks/c/bin/ and the Swift `backoffice-bench`
# product in release mode. The Swift rows run only when `backoffice-bench --help` succeeds
# (its `serve --port 0` and `load ...` subcommands exist); otherwise the C rows are printed alone.
#
# Safety: everything listens on 127.0.0.1; every wait is bounded; the script stops exactly the
# server processes it started, by pid, including when interrupted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MEASURE_SECONDS="${BENCH_SECONDS:-5}"
WARMUP_SECONDS="${BENCH_WARMUP:-1}"
PAYLOAD_BYTES=100
HOST=127.0.0.1
LISTEN_TIMEOUT_SECONDS=10
# The client must finish within its run time plus this slack, or it is stopped.
CLIENT_SLACK_SECONDS=30

# (connections, outstanding) pairs, in table order.
SHAPES=("1 1" "1 16" "4 16" "1 64" "4 64")

C_BIN="$ROOT/Benchmarks/c/bin"

# ---- cleanup: only the processes this script started -------------------------------------
STARTED_PIDS=()
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-bench.XXXXXX")"

stop_pid() {
    local pid="$1"
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "bench: server $pid ignored SIGTERM for 5 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
    STARTED_PIDS=()
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build --------------------------------------------------------------------------------
echo "bench: building the C baseline" >&2
mkdir -p "$C_BIN"
for program in echo_server echo_client relay; do
    gcc -O2 -Wall -Wextra -pthread -o "$C_BIN/$program" "Benchmarks/c/$program.c"
done

SWIFT_BENCH=""
if [[ -n "${BENCH_SWIFT_BINARY:-}" ]]; then
    # A prebuilt backoffice-bench (or a stand-in, to test this script): no swift build.
    if "$BENCH_SWIFT_BINARY" --help >/dev/null 2>&1; then SWIFT_BENCH="$BENCH_SWIFT_BINARY"; fi
elif echo "bench: building backoffice-bench (release)" >&2 &&
    swift build -c release --product backoffice-bench >"$WORK_DIR/swift-build.log" 2>&1; then
    # The gateway row needs the real executables too; without them it is left out.
    for product in backoffice-echo backoffice-security backoffice-gateway; do
        swift build -c release --product "$product" >>"$WORK_DIR/swift-build.log" 2>&1 || true
    done
    candidate="$(swift build -c release --show-bin-path)/backoffice-bench"
    # Supported when --help succeeds and names the serve subcommand (a placeholder main that
    # exits 0 for anything does not count).
    if [[ -x "$candidate" ]] && help_text="$(timeout 10 "$candidate" --help 2>&1)" && grep -q 'serve' <<<"$help_text"; then
        SWIFT_BENCH="$candidate"
    else
        echo "bench: backoffice-bench does not support serve/load yet; C rows only" >&2
    fi
else
    echo "bench: backoffice-bench did not build; C rows only (last lines of the build log:)" >&2
    tail -n 5 "$WORK_DIR/swift-build.log" >&2 || true
fi

# ---- the rows -----------------------------------------------------------------------------
# One line per server: "label|server command (prints LISTENING <port>)|client command (gets
# HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP PAYLOAD, prints a RESULT line)".
# Commands are split on spaces.
C_LABEL="C echo"
SWIFT_LABEL="Swift echo direct"
RELAY_LABEL="Swift echo through the C relay"
GATEWAY_LABEL="Swift echo through the gateway"
SERVERS=("$C_LABEL|$C_BIN/echo_server 0|$C_BIN/echo_client")
if [[ -n "$SWIFT_BENCH" ]]; then
    SERVERS+=("$SWIFT_LABEL|$SWIFT_BENCH serve --port 0|$SWIFT_BENCH load")
    # The same server behind the C relay: one more hop, no gateway work.
    SERVERS+=("$RELAY_LABEL|$ROOT/Scripts/bench-relay-stack.sh $SWIFT_BENCH $C_BIN/relay|$SWIFT_BENCH load")
    # Through the gateway: the real gateway, echo and security executables, a real session token.
    BIN_DIR="$(dirname "$SWIFT_BENCH")"
    if [[ -x "$BIN_DIR/backoffice-gateway" && -x "$BIN_DIR/backoffice-echo" && -x "$BIN_DIR/backoffice-security" ]]; then
        SERVERS+=("$GATEWAY_LABEL|$ROOT/Scripts/bench-gateway-stack.sh $BIN_DIR $WORK_DIR $WORK_DIR/gateway-token|$SWIFT_BENCH load-authorized $WORK_DIR/gateway-token")
    fi
fi

# Starts a server command in the background; sets SERVER_PID and SERVER_PORT, or returns 1.
start_server() {
    local log="$1"
    shift
    "$@" >"$log" 2>&1 </dev/null &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    SERVER_PORT=""
    local deadline=$((SECONDS + LISTEN_TIMEOUT_SECONDS))
    while ((SECONDS < deadline)); do
        SERVER_PORT="$(sed -n 's/^LISTENING \([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)"
        [[ -n "$SERVER_PORT" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench: server \"$*\" did not print LISTENING within ${LISTEN_TIMEOUT_SECONDS} s; its output:" >&2
    tail -n 5 "$log" >&2 || true
    return 1
}

# Stops the server started last.
stop_server() {
    stop_pid "$SERVER_PID"
    local kept=() pid
    for pid in "${STARTED_PIDS[@]}"; do
        if [[ "$pid" != "$SERVER_PID" ]]; then kept+=("$pid"); fi
    done
    STARTED_PIDS=("${kept[@]+"${kept[@]}"}")
}

# Reads one field (rps, p50_us...) of a RESULT line.
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }

declare -A RPS_AT
# Rows by "server index,shape index", printed server by server. They are measured shape by shape
# instead: the rows a ratio compares run seconds apart, not minutes, so that the drift of a shared
# machine's speed weighs less on them.
declare -A RESULTS
declare -A SERVER_BROKEN
row_index=0
for shape_index in "${!SHAPES[@]}"; do
    read -r connections outstanding <<<"${SHAPES[$shape_index]}"
    for server_index in "${!SERVERS[@]}"; do
        IFS='|' read -r label server_command client_command <<<"${SERVERS[$server_index]}"
        if [[ -n "${BENCH_ONLY:-}" && "$label" != *"$BENCH_ONLY"* ]]; then continue; fi
        read -r -a server_argv <<<"$server_command"
        read -r -a client_argv <<<"$client_command"
        key="$server_index,$shape_index"
        row_index=$((row_index + 1))
        log="$WORK_DIR/server-$row_index.log"
        if [[ -n "${SERVER_BROKEN[$server_index]:-}" ]]; then
            RESULTS[$key]="| $label | $connections | $outstanding | skipped: server failed to start | | | |"
            continue
        fi
        echo "bench: $label, $connections connections x $outstanding outstanding" >&2
        if ! start_server "$log" "${server_argv[@]}"; then
            stop_server
            SERVER_BROKEN[$server_index]=yes
            RESULTS[$key]="| $label | $connections | $outstanding | server failed to start | | | |"
            continue
        fi
        limit=$((MEASURE_SECONDS + WARMUP_SECONDS + CLIENT_SLACK_SECONDS))
        if output="$(timeout "$limit" "${client_argv[@]}" "$HOST" "$SERVER_PORT" "$connections" "$outstanding" \
            "$MEASURE_SECONDS" "$WARMUP_SECONDS" "$PAYLOAD_BYTES" 2>"$WORK_DIR/client-$row_index.log")" &&
            result="$(grep -m 1 '^RESULT ' <<<"$output")"; then
            rps="$(field rps "$result")"
            errors="$(field errors "$result")"
            note=""
            if [[ "$errors" != "0" ]]; then note=" ($errors errors)"; fi
            RESULTS[$key]="| $label | $connections | $outstanding | $(printf '%.0f' "$rps")$note | $(field p50_us "$result") | $(field p99_us "$result") | $(field p999_us "$result") |"
            RPS_AT["$label/$connections/$outstanding"]="$rps"
        else
            echo "bench: the client failed; its errors:" >&2
            tail -n 5 "$WORK_DIR/client-$row_index.log" >&2 || true
            RESULTS[$key]="| $label | $connections | $outstanding | client failed | | | |"
        fi
        stop_server
    done
done

# ---- report -------------------------------------------------------------------------------
echo
echo "Unary echo, ${PAYLOAD_BYTES}-byte payload, loopback, $(nproc) cores, ${MEASURE_SECONDS} s after ${WARMUP_SECONDS} s warm-up"
echo
echo "| server | connections | outstanding | requests/s | p50 µs | p99 µs | p99.9 µs |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for server_index in "${!SERVERS[@]}"; do
    for shape_index in "${!SHAPES[@]}"; do
        key="$server_index,$shape_index"
        if [[ -n "${RESULTS[$key]:-}" ]]; then echo "${RESULTS[$key]}"; fi
    done
done
echo
c_rps="${RPS_AT["$C_LABEL/4/64"]:-}"
swift_rps="${RPS_AT["$SWIFT_LABEL/4/64"]:-}"
if [[ -n "$c_rps" && -n "$swift_rps" ]]; then
    echo "Swift/C throughput ratio at 4 connections × 64 outstanding: $(awk -v s="$swift_rps" -v c="$c_rps" 'BEGIN { printf "%.2f", s / c }')"
else
    echo "Swift/C throughput ratio at 4 connections × 64 outstanding: n/a (no Swift row)"
fi
relay_rps="${RPS_AT["$RELAY_LABEL/4/64"]:-}"
if [[ -n "$relay_rps" && -n "$swift_rps" ]]; then
    echo "C relay/direct throughput ratio at 4 connections × 64 outstanding: $(awk -v r="$relay_rps" -v s="$swift_rps" 'BEGIN { printf "%.2f", r / s }')"
fi
for shape in "4 connections:4" "1 connection:1"; do
    connections="${shape#*:}"
    gateway_rps="${RPS_AT["$GATEWAY_LABEL/$connections/64"]:-}"
    direct_rps="${RPS_AT["$SWIFT_LABEL/$connections/64"]:-}"
    if [[ -n "$gateway_rps" && -n "$direct_rps" ]]; then
        echo "Gateway/direct throughput ratio at ${shape%:*} × 64 outstanding: $(awk -v g="$gateway_rps" -v s="$direct_rps" 'BEGIN { printf "%.2f", g / s }')"
    fi
done
