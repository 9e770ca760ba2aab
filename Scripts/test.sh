#!/usr/bin/env bash
# Runs every test: installs what the build and tests need when missing (tshark too), then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The annotated-pcapng tests read the output back with tshark: install it too.
SGREPLAY_SETUP_TSHARK=1 bash Scripts/setup-debian.sh
swift build --build-tests
swift test --skip-build "$@"
