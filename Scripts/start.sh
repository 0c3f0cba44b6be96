#!/usr/bin/env bash
# Starts the whole suite on this machine: installs missing system packages, builds (release), and
# runs `backoffice up`, which starts the gateway and the five services on loopback with a fresh
# internal key, prints where the gateway listens, creates the admin on first start, and stops
# everything on Ctrl-C. Data lives in ./data. Arguments go to `backoffice up`:
#   Scripts/start.sh --gateway-port 7000 --data-dir ./data
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build -c release
exec "$(swift build -c release --show-bin-path)/backoffice" up "$@"
