#!/usr/bin/env bash
# The benchmark suite of issue 7: sgreplay against a bare libpcap read loop over the same file.
#
#   Benchmarks/run.sh [SCENARIO...]     default: bench decode labels shared rules conntrack flows multi
#   Benchmarks/run.sh length            adds the 50M-frame capture (~4.5 GB in $SGREPLAY_BENCH_DIR)
#   Benchmarks/run.sh all               every scenario
#   Benchmarks/run.sh clean             deletes the generated captures
#   Benchmarks/run.sh --prepare [SCENARIO...]   only generates the captures (no measurement)
#
# Scenarios (Benchmarks/README.md has the details and the method):
#   bench      10M frames, 200k flows, 300 rules in 4 groups, 20 NACL entries, 2 CloudTrail revokes
#   decode     the same capture, no frame on the instance: read, decode and skip only
#   labels     the same with --labels FILE
#   shared     ../shared/bench's own capture, policy and timeline (what bench-vs-libpcap measures)
#   rules      one 10M-frame capture judged by 10 rules and by 1000 (same verdicts), edits off
#   conntrack  1M concurrent tracked flows against 1k: bytes per live tracking entry
#   flows      10M frames over 1M flows
#   length     1M, 10M, 50M frames over 200k flows: peak RSS must not grow
#   multi      4 captures of 2.5M frames, one instance each, in one `sgreplay analyze` (MULTI_CAPTURES=N)
#
# For each row: one untimed warm-up read, then RUNS (default 3) alternations of the loop and
# `sgreplay analyze … --format json`, medians of wall time, peak RSS from /usr/bin/time. Prints the
# table and writes it to Benchmarks/results.md. Data in $SGREPLAY_BENCH_DIR (default /tmp/sgreplay-bench).
# WAIT_IDLE=SECONDS waits up to that long before each row while fuzzers or Swift builds run.
# FRAMES=N gives every row N frames: a quick check of the suite itself, not figures to compare.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
# shellcheck source=lib.sh
source "$root/Benchmarks/lib.sh"
runs=${RUNS:-3}
results=$work/results.jsonl

if [ "${1:-}" = clean ]; then
  say "deleting $work/data"; rm -rf "$work/data"; exit 0
fi
prepare=""; [ "${1:-}" = --prepare ] && { prepare=1; shift; }
scenarios=("$@"); [ ${#scenarios[@]} -gt 0 ] || read -ra scenarios <<<"$default_scenarios"
rows=(); for s in "${scenarios[@]}"; do read -ra r <<<"$(rows_of "$s")"; rows+=("${r[@]}"); done

busy_pattern='Fuzz(Decoder|PolicyFiles|PcapngWriter)|swift-(frontend|build|test)|xctest|\.xctest'
busy() { pgrep -af "$busy_pattern" | grep -v -e "pgrep" -e "Benchmarks/run.sh" | awk '{print $2}' | xargs -r -n1 basename | sort -u | paste -sd, - || true; }
wait_idle() {
  local waited=0 b
  b=$(busy)
  while [ -n "$b" ] && [ "$waited" -lt "${WAIT_IDLE:-0}" ]; do
    say "busy ($b): waiting"; sleep 30; waited=$((waited + 30)); b=$(busy)
  done
  [ -z "$b" ] || say "warning: measuring while busy: $b (the figures are not reliable)"
  busy_now=$b
}

# seconds elapsed since $1 (an $EPOCHREALTIME)
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.4f}')" "$1" "$EPOCHREALTIME"; }

measure_row() {
  local row=$1
  row_setup "$row" "${FRAMES:-}"
  [ -z "$prepare" ] || return 0
  if [ -z "$cap" ]; then python3 "$bench/report.py" add "$results" --row "$row" --note "skipped: $note"; return; fi
  [ ${#caps[@]} -gt 0 ] || caps=("$cap")
  wait_idle
  local shown="CAPTURE"; [ ${#caps[@]} -eq 1 ] || shown="CAPTURE×${#caps[@]}"
  say "== $row: $(basename "$(dirname "$cap")"), sgreplay analyze $shown ${args[*]}${labels_file:+ --labels $labels_file}"
  "$work/bin/loop" "${caps[@]}" >/dev/null   # warm-up: the files in the page cache for both contenders
  local loop_s=() loop_kb=() sg_s=() sg_kb=() sg_cpu=() t i extra=() kb user sys
  [ -z "$labels_file" ] || { extra=(--labels "$labels_file"); need_space $(( frames * 600 )); }
  for ((i = 1; i <= runs; i++)); do
    t=$EPOCHREALTIME
    /usr/bin/time -f %M -o "$work/rss" "$work/bin/loop" "${caps[@]}" >"$work/loop.out"
    loop_s+=("$(since "$t")"); loop_kb+=("$(tail -1 "$work/rss")")
    t=$EPOCHREALTIME
    /usr/bin/time -f '%M %U %S' -o "$work/rss" "$bin" analyze "${caps[@]}" "${args[@]}" "${extra[@]}" --format json \
      >"$work/summary.json" 2>"$work/err" || { cat "$work/err" >&2; die "$row: sgreplay analyze failed"; }
    sg_s+=("$(since "$t")"); read -r kb user sys < <(tail -1 "$work/rss"); sg_kb+=("$kb")
    sg_cpu+=("$(python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.2f}')" "$user" "$sys")")
    [ -z "$labels_file" ] || { labels_bytes=$(stat -c %s "$labels_file"); rm -f "$labels_file"; }
    say "   run $i: loop ${loop_s[-1]} s, sgreplay ${sg_s[-1]} s (CPU ${sg_cpu[-1]} s), ${sg_kb[-1]} KB"
  done
  local after; after=$(busy)   # something started during the row?
  [ -z "$after" ] || { say "warning: busy during the row: $after"; busy_now=${busy_now:+$busy_now,}$after; }
  local loop_frames; loop_frames=$(awk '{print $1}' "$work/loop.out")
  [ "$loop_frames" = "$frames" ] || die "$row: the loop read $loop_frames frames, expected $frames"
  python3 "$bench/report.py" add "$results" --row "$row" --capture "${caps[*]}" --captures "${#caps[@]}" --frames "$frames" --flows "$flows" \
    --rules "$rules" --edits "$edits" --loop "${loop_s[*]}" --loop-kb "${loop_kb[*]}" --sgreplay "${sg_s[*]}" \
    --sgreplay-kb "${sg_kb[*]}" --sgreplay-cpu "${sg_cpu[*]}" --summary "$work/summary.json" --note "$note" --busy "$busy_now" \
    ${labels_file:+--labels-bytes "$labels_bytes"}
  # Captures over 1 GB are not kept (the 50M one is 4.5 GB).
  if [ "$(stat -c %s "$cap")" -gt 1000000000 ] && [ -z "${KEEP:-}" ]; then say "   deleting $cap (over 1 GB; KEEP=1 keeps it)"; rm -rf "$(dirname "$cap")"; fi
}

build_tools
: >"$results"
python3 "$bench/report.py" machine "$results" --binary "$bin" --busy "$(busy)"
for row in "${rows[@]}"; do measure_row "$row"; done
[ -z "$prepare" ] || { say "data ready in $work/data"; exit 0; }
python3 "$bench/report.py" render "$results" --markdown "$bench/results.md" \
  --command "Benchmarks/run.sh ${scenarios[*]}"
