#!/usr/bin/env bash
# The benchmark's rows for the gateway: unary echo directly and through the gateway (real
# backoffice-gateway, backoffice-echo and backoffice-security processes, a real session token),
# at every shape of Scripts/bench.sh. Same environment variables as Scripts/bench.sh.
set -euo pipefail
BENCH_ONLY="${BENCH_ONLY:-Swift echo}" exec "$(dirname "${BASH_SOURCE[0]}")/bench.sh" "$@"
