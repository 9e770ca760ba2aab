#!/usr/bin/env bash
# The main job on a bundled capture: an SSH session whose security-group rule is revoked at +30 s.
# Installs libpcap-dev if missing, builds the release binary, and analyses the trace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
swift build -c release --product sgreplay >&2
trace=Traces/ssh-session-continues-after-revoke
args=(analyze "$trace/capture.pcap" --labels /tmp/sgreplay-demo-labels.jsonl)
[ -f "$trace/scenario.yaml" ] && args+=(--policy "$trace/scenario.yaml")
.build/release/sgreplay "${args[@]}" "$@"
echo "(per-frame labels: /tmp/sgreplay-demo-labels.jsonl)" >&2
