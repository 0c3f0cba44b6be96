#!/usr/bin/env bash
# Runs every test: installs missing system packages, builds everything (executables included, the
# integration tests start them), then runs the unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
