#!/usr/bin/env bash
# libFuzzer runs of sgreplay's parsers, built with AddressSanitizer:
#   Scripts/fuzz.sh [decoder|policy|writer|all] [SECONDS]      (default: all, 600 s each)
# Seeds: frames cut from ../shared/corpus when it is present, the traces' captures, the policy test
# fixtures, the traces' scenarios. Findings are written to Fuzz/Findings/<target>/ (crash-*, leak-*):
# turn each into a regression test. Run from the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}; seconds=${2:-600}
work=.build-fuzz; mkdir -p "$work"
bash Scripts/setup-debian.sh
(cd Fuzz && swift build -c release --scratch-path "../$work/build" -Xswiftc -sanitize=fuzzer,address >&2)
bin=$work/build/release

seed_decoder() {
  local dir=$work/corpus/decoder; mkdir -p "$dir"
  python3 Scripts/fuzz_seeds.py frames "$dir" Traces/*/capture.pcap ../shared/corpus/* 2>/dev/null || true
}
seed_policy() {
  local dir=$work/corpus/policy; mkdir -p "$dir"
  python3 Scripts/fuzz_seeds.py files "$dir" Traces/*/scenario.yaml Tests/PolicyFilesTests/Fixtures/*/* Tests/PolicyFilesTests/Fixtures/* ../shared/bench/*.json 2>/dev/null || true
}

seed_writer() {
  local dir=$work/corpus/writer; mkdir -p "$dir"
  printf '\x00\x05\x3c\x00\x01\x02\x03\x04helloAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' > "$dir/seed1"
}

run() {  # TARGET SEEDER
  local target=$1; $2
  local findings=Fuzz/Findings/$target; mkdir -p "$findings"
  echo "fuzz: $target for $seconds s" >&2
  "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work/corpus/${3}" 2>"$work/$target.log" || {
      tail -30 "$work/$target.log"; echo "fuzz: $target found a problem: see $findings/"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$work/$target.log" | tail -2 >&2
}

case "$which" in
  decoder) run FuzzDecoder seed_decoder decoder ;;
  policy) run FuzzPolicyFiles seed_policy policy ;;
  writer) run FuzzPcapngWriter seed_writer writer ;;
  all) run FuzzDecoder seed_decoder decoder; run FuzzPolicyFiles seed_policy policy; run FuzzPcapngWriter seed_writer writer ;;
  *) echo "usage: Scripts/fuzz.sh [decoder|policy|writer|all] [SECONDS]"; exit 2 ;;
esac
