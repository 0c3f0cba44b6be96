# Sourced by the benchmark scripts that start servers: starts each in the background, waits
# (bounded) for the "LISTENING <address or port>" line it prints, and stops exactly the processes
# started this way, by pid. The sourcing script sets PROCESS_LOG_DIR (where each server's output
# goes) and BENCH_NAME (for messages).
PIDS=()

# Starts "$@" with its output in PROCESS_LOG_DIR/$1.out and .err; sets LISTENING to what it
# printed after "LISTENING ", or exits when it stops or prints nothing within 20 s. (Not to be run
# in a command substitution: the server must be this shell's child, so that stop_started stops it.)
start_listening() {
    local name="$1"
    shift
    "$@" >"$PROCESS_LOG_DIR/$name.out" 2>"$PROCESS_LOG_DIR/$name.err" </dev/null &
    local pid=$!
    PIDS+=("$pid")
    LISTENING=""
    for _ in $(seq 1 400); do
        LISTENING="$(sed -n 's/^LISTENING \(.*\)$/\1/p' "$PROCESS_LOG_DIR/$name.out" | head -n 1)"
        [[ -n "$LISTENING" ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "$BENCH_NAME: $name did not start:" >&2
    tail -n 5 "$PROCESS_LOG_DIR/$name.err" >&2
    exit 1
}

# Stops every process start_listening started: SIGTERM, then SIGKILL after 5 s.
stop_started() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# For a script that only starts servers and waits: on any exit (SIGTERM and SIGINT included),
# stops them and removes the directory $1.
stop_on_exit_and_remove() {
    STOP_REMOVES="$1"
    trap 'stop_started; rm -rf "$STOP_REMOVES"' EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
}
