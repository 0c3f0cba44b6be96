#!/usr/bin/env bash
# Runs every test: installs missing system packages, builds everything (executables included, the
# integration tests start them), then runs the unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build --build-tests
# The heap-measuring tests get the process to themselves: tests allocating in parallel would blur
# what they measure. Then everything else, in parallel.
swift test --skip-build --filter DecodingMemoryTests
swift test --skip-build --skip DecodingMemoryTests "$@"
