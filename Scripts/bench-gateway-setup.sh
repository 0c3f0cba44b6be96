# Sourced by the gateway benchmarks (Scripts/bench-gateway-cpu.sh, Scripts/bench-gateway-ratio.sh):
# the settings they share, the release executables (built here, or the prebuilt ones in
# BENCH_BIN_DIR), a fresh work directory, and the traps that clean up on every exit. The caller
# sets BENCH_NAME (for messages and the work directory's name) and defines `stop_processes`, which
# stops the processes it started (by pid); the work directory is removed after it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_MEASURED="${BENCH_SECONDS:-5}"
CONNECTIONS="${BENCH_CONNECTIONS:-4}"
OUTSTANDING="${BENCH_OUTSTANDING:-64}"

if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
    BIN="$BENCH_BIN_DIR"
else
    echo "$BENCH_NAME: building the release executables" >&2
    for product in backoffice-bench backoffice-echo backoffice-security backoffice-gateway; do
        swift build -c release --product "$product" >/dev/null
    done
    BIN="$(swift build -c release --show-bin-path)"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-$BENCH_NAME.XXXXXX")"

cleanup() {
    stop_processes
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
