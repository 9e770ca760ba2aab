#!/usr/bin/env bash
# Installs what sgreplay needs on Debian/Ubuntu when it is missing: libpcap and zlib headers (the
# build links both), and tshark for the tests that read annotated captures back. Safe to rerun.
set -euo pipefail
need=()
pkg-config --exists libpcap 2>/dev/null || need+=(libpcap-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ "${SGREPLAY_SETUP_TSHARK:-0}" = 1 ]; then command -v tshark >/dev/null || need+=(tshark); fi
[ ${#need[@]} -eq 0 ] && exit 0
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark's package asks whether non-root users may capture; answer no up front so nothing blocks.
if printf '%s\n' "${need[@]}" | grep -qx tshark; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
fi
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
