#!/usr/bin/env bash
# The server side of Scripts/bench.sh's "through the C relay" row: the direct row's Swift echo
# server (`backoffice-bench serve`) behind the minimal C relay (Benchmarks/c/relay.c), both on free
# loopback ports. The relay forwards every call and checks nothing, so its row is what one extra
# hop costs on this machine with no gateway work in it: the floor the gateway's row is read
# against. Prints "LISTENING <relay port>" and waits; SIGTERM stops exactly the two processes it
# started, by pid.
#
#   Scripts/bench-relay-stack.sh BACKOFFICE_BENCH RELAY [KEY=VALUE ...]   # pairs: added by the relay
set -euo pipefail

BENCH_BINARY="$1"
RELAY_BINARY="$2"
shift 2
WORK="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-relay-stack.XXXXXX")"
BENCH_NAME=bench-relay-stack
PROCESS_LOG_DIR="$WORK"
source "$(dirname "${BASH_SOURCE[0]}")/bench-processes.sh"
stop_on_exit_and_remove "$WORK"

start_listening server "$BENCH_BINARY" serve --port 0
start_listening relay "$RELAY_BINARY" 0 "$LISTENING" "$@"
echo "LISTENING $LISTENING"
while true; do sleep 1; done
