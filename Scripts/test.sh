#!/usr/bin/env bash
# Runs every test: installs what the build needs when missing, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
swift build --build-tests
swift test --skip-build "$@"
