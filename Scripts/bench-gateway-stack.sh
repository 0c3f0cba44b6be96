#!/usr/bin/env bash
# The server side of Scripts/bench.sh's "through the gateway" row: starts the release builds of
# backoffice-echo, backoffice-security and backoffice-gateway on free loopback ports with one fresh
# internal key, creates a benchmark account and logs it in through the gateway (token written to
# TOKEN_FILE), then prints "LISTENING <gateway port>" and waits. SIGTERM stops exactly the three
# processes it started, by pid.
#
#   Scripts/bench-gateway-stack.sh BIN_DIR WORK_DIR TOKEN_FILE
#   BENCH_UPSTREAM=bare Scripts/bench-gateway-stack.sh ...   # the bare echo server behind the gateway
#
# BENCH_UPSTREAM=bare puts `backoffice-bench serve` (the direct row's server: no signature check,
# no metrics, no access log) behind the gateway instead of backoffice-echo, to tell what the
# gateway costs from what the service's own per-call work costs. (It accepts unsigned calls, so
# it is never a deployment.)
set -euo pipefail

BIN="$1"
WORK="$2"
TOKEN_FILE="$3"
mkdir -p "$WORK"
STACK_DIR="$(mktemp -d "$WORK/gateway-stack.XXXXXX")"
BENCH_NAME=bench-gateway-stack
PROCESS_LOG_DIR="$STACK_DIR"
source "$(dirname "${BASH_SOURCE[0]}")/bench-processes.sh"
stop_on_exit_and_remove "$STACK_DIR"

KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BACKOFFICE_ECHO_INTERNAL_KEY="$KEY" BACKOFFICE_SECURITY_INTERNAL_KEY="$KEY" BACKOFFICE_GATEWAY_INTERNAL_KEY="$KEY"

case "${BENCH_UPSTREAM:-echo}" in
echo)
    start_listening echo "$BIN/backoffice-echo" --listen 127.0.0.1:0 --log-level warn --max-concurrent-calls 1000
    ECHO="$LISTENING"
    ;;
bare)
    start_listening echo "$BIN/backoffice-bench" serve --port 0
    ECHO="127.0.0.1:$LISTENING"
    ;;
*)
    echo "bench-gateway-stack: BENCH_UPSTREAM is echo or bare, not ${BENCH_UPSTREAM}" >&2
    exit 2
    ;;
esac
start_listening security "$BIN/backoffice-security" --listen 127.0.0.1:0 --log-level warn --data-dir "$STACK_DIR/security"
SECURITY="$LISTENING"
# Limits raised so that the benchmark measures forwarding, not the rate limiter.
start_listening gateway "$BIN/backoffice-gateway" --listen 127.0.0.1:0 --log-level warn --data-dir "$STACK_DIR/gateway" \
    --routes "backoffice.echo=$ECHO;backoffice.security=$SECURITY;backoffice.audit=$SECURITY" \
    --max-concurrent-calls 1000 --max-calls-per-principal 1000 \
    --principal-rate 10000000 --principal-burst 10000000 --address-rate 10000000 --address-burst 10000000
GATEWAY="$LISTENING"

timeout 30 "$BIN/backoffice-bench" gateway-login "$SECURITY" "$GATEWAY" "$KEY" >"$TOKEN_FILE"
echo "LISTENING ${GATEWAY##*:}"
while true; do sleep 1; done
