# Shared by run.sh and profile.sh (sourced from the project root): tools, data sets and the
# definition of every measured row. Bash only; nothing here is built by `swift build`.

bench=$root/Benchmarks
work=${SGREPLAY_BENCH_DIR:-${TMPDIR:-/tmp}/sgreplay-bench}
shared=$root/../shared
mkdir -p "$work/bin" "$work/data"

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

# Release binary, bare libpcap loop, capture generator. One build at a time: this is the only one.
build_tools() {
  say "building: swift build -c release --product sgreplay"
  swift build -c release --product sgreplay >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "release build failed"; }
  bin=$(swift build -c release --show-bin-path)/sgreplay
  [ -x "$bin" ] || die "no binary at $bin"
  gcc -O2 -Wall -o "$work/bin/loop" "$bench/loop.c" -lpcap || die "cannot build loop.c (libpcap-dev installed?)"
  gcc -O2 -Wall -o "$work/bin/gencap" "$bench/gencap.c" || die "cannot build gencap.c"
  if [ -f "$shared/bench/gen.c" ]; then gcc -O2 -o "$work/bin/shared-gen" "$shared/bench/gen.c" || die "cannot build ../shared/bench/gen.c"; fi
}

# 2500000 → 2.5M
count_frames() { python3 -c "import sys; n=int(sys.argv[1]); print(f'{n/1e6:g}M' if n >= 1e6 else f'{n/1e3:g}k')" "$1"; }

# Free space check: need BYTES in $work.
need_space() {
  local free; free=$(df -B1 --output=avail "$work" | tail -1)
  [ "$free" -gt "$1" ] || die "$(( $1 / 1000000000 )) GB needed in $work, $(( free / 1000000000 )) GB free"
}

# dataset NAME GEN_ARGS...: $work/data/NAME with capture and policy from gen.py; regenerated only
# when missing or made with other arguments. Sets $dir.
dataset() {
  local name=$1; shift
  dir=$work/data/$name
  if [ -f "$dir/params.json" ] && [ "$(cat "$dir/args" 2>/dev/null)" = "$*" ]; then return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  local frames=10000000 a; for a in "$@"; do case $a in --frames=*) frames=${a#--frames=};; esac; done
  case " $* " in *" --policy-only "*) ;; *) need_space $(( frames * 110 + 2000000000 ));; esac
  say "generating $name: gen.py $*"
  python3 "$bench/gen.py" --out "$dir" --gencap "$work/bin/gencap" "$@" || die "gen.py failed for $name"
  printf '%s' "$*" >"$dir/args"
}

policy_args() { # the analyze arguments for a gen.py directory
  printf '%s\n' --policy "$1/security-groups.json" --policy "$1/network-acls.json" \
    --policy "$1/network-interfaces.json" --policy "$1/subnets.json" --timeline "$1/cloudtrail.json"
}

# Scenario names → measured rows.
rows_of() {
  case $1 in
    bench) echo bench ;;
    decode) echo decode ;;
    labels) echo labels ;;
    shared) echo shared ;;
    rules) echo rules-10 rules-1000 ;;
    conntrack) echo conntrack-base conntrack-1m ;;
    flows) echo flows-1m ;;
    length) echo length-1m length-10m length-50m ;;
    multi) echo multi ;;
    all) local s; for s in bench decode labels shared rules conntrack flows length multi; do rows_of "$s"; done | paste -sd' ' - ;;
    *) die "unknown scenario '$1' (bench decode labels shared rules conntrack flows length multi all)" ;;
  esac
}
default_scenarios="bench decode labels shared rules conntrack flows multi"

# row_setup ROW [FRAMES]: generates what ROW needs and sets cap, frames, flows, rules, edits, args
# (sgreplay's arguments after the capture), note. FRAMES overrides the frame count (profile.sh).
row_setup() {
  local row=$1 f=${2:-}
  local common=(--rules=300 --edits=2)   # the shared bench's shape: ~300 rules, two revokes
  note=""; args=(); labels_file=""; caps=()
  case $row in
    bench|labels|length-10m)
      frames=${f:-10000000}; flows=200000
      dataset "mix-$frames-$flows" --frames="$frames" --flows="$flows" "${common[@]}"
      [ "$row" = labels ] && { labels_file=$work/labels.jsonl; note="labels to a file"; } ;;
    decode)
      # The bench capture with an instance address that is in no frame: read, decode, skip.
      frames=${f:-10000000}; flows=200000
      dataset "mix-$frames-$flows" --frames="$frames" --flows="$flows" "${common[@]}"
      cap=$dir/capture.pcap; rules=0; edits=0
      args=(--instance 192.0.2.1 --remedies off)
      note="--instance not in the capture: every frame decoded and skipped"
      return ;;
    length-1m|length-50m)
      frames=${f:-$([ "$row" = length-1m ] && echo 1000000 || echo 50000000)}; flows=200000
      dataset "mix-$frames-$flows" --frames="$frames" --flows="$flows" "${common[@]}" ;;
    shared)
      [ -f "$shared/bench/gen.c" ] || { cap=""; note="../shared/bench not present"; return; }
      frames=${f:-10000000}; flows=200000
      dir=$work/data/shared-$frames-$flows; mkdir -p "$dir"
      if [ ! -s "$dir/capture.pcap" ]; then
        need_space $(( frames * 100 + 1000000000 ))
        say "generating shared-$frames-$flows: ../shared/bench/gen.c"
        "$work/bin/shared-gen" "$frames" "$flows" "$dir/capture.pcap.part" && mv "$dir/capture.pcap.part" "$dir/capture.pcap"
      fi
      cap=$dir/capture.pcap; rules="~300"; edits=2
      args=(--policy "$shared/bench/security-groups.json" --policy "$shared/bench/network-interfaces.json"
            --timeline "$shared/bench/cloudtrail.json" --remedies off)
      note="../shared/bench inputs: IPv4, 70/20/10 TCP/UDP/ICMP"
      return ;;
    rules-10|rules-1000)
      # One capture with 1000 traffic classes; two policies: one rule per class, or 10 covering rules.
      # Same verdict for every frame (checked), no edits: only the rule count differs.
      frames=${f:-10000000}; flows=200000
      dataset "rules1000-$frames-$flows" --frames="$frames" --flows="$flows" --rules=1000 --edits=0
      local captureDir=$dir
      if [ "$row" = rules-10 ]; then
        dataset "rules10-$frames-$flows" --frames="$frames" --flows="$flows" --rules=10 --classes=1000 --edits=0 --policy-only
        diff <(grep -v '^#' "$dir/classes.txt") <(grep -v '^#' "$captureDir/classes.txt") >/dev/null \
          || die "rules-10 and rules-1000 do not describe the same traffic"
      fi
      cap=$captureDir/capture.pcap; rules=${row#rules-}; edits=0
      mapfile -t args < <(policy_args "$dir"); args+=(--remedies off)
      note="same capture, same verdicts"
      return ;;
    conntrack-1m|conntrack-base)
      # Every flow opened in the first FLOWS frames (--open-all), then 1 more packet per flow on
      # average; no edits, so that only the tracking table grows with the flow count.
      frames=${f:-2000000}; flows=$([ "$row" = conntrack-1m ] && echo 1000000 || echo 1000)
      dataset "conntrack-$frames-$flows" --frames="$frames" --flows="$flows" --rules=300 --edits=0 --open-all
      note="all flows opened first; no edits" ;;
    flows-1m)
      frames=${f:-10000000}; flows=1000000
      dataset "mix-$frames-$flows" --frames="$frames" --flows="$flows" "${common[@]}" ;;
    multi)
      # MULTI_CAPTURES (default 4) captures of FRAMES/4 frames each (default 2.5M), each of its own
      # instance (10.0.0.5, .6, …: different seeds, so different traffic) under the same groups,
      # NACL and timeline, with one NetworkInterfaces file listing every interface and no --eni:
      # analyze matches each capture to its interface and replays the interfaces in parallel.
      local n=${MULTI_CAPTURES:-4} k d per
      per=$(( ${f:-10000000} / n )); frames=$(( per * n )); flows=50000; caps=()
      local enis=()
      for ((k = 0; k < n; k++)); do
        dataset "multi-$per-$flows-host$((5 + k))" --frames="$per" --flows="$flows" "${common[@]}" --seed=$((1 + k)) --host=$((5 + k))
        caps+=("$dir/capture.pcap"); enis+=("$dir/network-interfaces.json")
      done
      d=$work/data/multi-$per-$flows-host5
      python3 - "$d/../multi-$per-network-interfaces.json" "${enis[@]}" <<'PY'
import json, sys
merged = {"NetworkInterfaces": [i for path in sys.argv[2:] for i in json.load(open(path))["NetworkInterfaces"]]}
json.dump(merged, open(sys.argv[1], "w"), indent=1)
PY
      cap=${caps[0]}
      rules=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rules'])" "$d/params.json")
      edits=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['edits'])" "$d/params.json")
      args=(--policy "$d/security-groups.json" --policy "$d/network-acls.json"
            --policy "$work/data/multi-$per-network-interfaces.json" --policy "$d/subnets.json"
            --timeline "$d/cloudtrail.json" --remedies off)
      note="$n captures of $(count_frames "$per") frames, one instance each, in parallel"
      return ;;
    *) die "unknown row $row" ;;
  esac
  cap=$dir/capture.pcap; caps=("$cap")
  rules=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rules'])" "$dir/params.json")
  edits=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['edits'])" "$dir/params.json")
  mapfile -t args < <(policy_args "$dir"); args+=(--remedies off)
}
