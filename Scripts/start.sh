#!/usr/bin/env bash
# Starts the whole suite on this machine: installs missing system packages, builds, starts every
# service executable on loopback, prints where each listens, and stops them all on Ctrl-C.
#
# The suite so far is the echo service and the security service; each service issue adds its
# executable to SERVICES (and its flags to service_args), and the `backoffice up` launcher will
# take this script's place. Databases live under ./data.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=(backoffice-echo:7100 backoffice-security:7200 backoffice-users:7300 backoffice-content:7400 backoffice-stats:7600 backoffice-orders:7500 backoffice-gateway:7000)

# The flags a service takes besides --listen, one per word.
service_args() {
    case "$1" in
    backoffice-security) echo "--data-dir ./data/security" ;;
    backoffice-users) echo "--data-dir ./data/users --security 127.0.0.1:7200" ;;
    backoffice-content) echo "--data-dir ./data/content" ;;
    backoffice-orders) echo "--data-dir ./data/orders --stats 127.0.0.1:7600" ;;
    backoffice-stats) echo "--data-dir ./data/stats" ;;
    backoffice-gateway)
        echo "--data-dir ./data/gateway --routes backoffice.echo=127.0.0.1:7100;backoffice.security=127.0.0.1:7200;backoffice.audit=127.0.0.1:7200;backoffice.users=127.0.0.1:7300;backoffice.content=127.0.0.1:7400;backoffice.orders=127.0.0.1:7500;backoffice.stats=127.0.0.1:7600"
        ;;
    esac
}

Scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"

pids=()
stop() {
    trap - INT TERM
    echo "stopping ${#pids[@]} process(es)..." >&2
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped" >&2
}
trap 'stop; exit 0' INT TERM

# One fresh internal key per start, shared by every process through its environment variable
# (never on a command line): the gateway signs with it, the services check it.
internal_key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

for entry in "${SERVICES[@]}"; do
    name="${entry%%:*}"
    port="${entry##*:}"
    key_variable="$(echo "$name" | tr 'a-z-' 'A-Z_')_INTERNAL_KEY"
    # shellcheck disable=SC2046 # word splitting of service_args is intended
    env "$key_variable=$internal_key" "$bin/$name" --listen "127.0.0.1:$port" $(service_args "$name") &
    pids+=("$!")
done

echo "suite running: ${SERVICES[*]} (Ctrl-C stops everything)" >&2
wait
