#!/usr/bin/env bash
# Where does sgreplay's time go on a benchmark row? Prints the top functions (self time, demangled).
#
#   Benchmarks/profile.sh [--callgrind] ROW [FRAMES]
#
# ROW is a row of run.sh (bench, labels, shared, rules-10, rules-1000, conntrack-1m, flows-1m,
# length-1m, …; a scenario name picks its first row). With perf (default): `perf record` (the
# cpu-clock software event: this VM has no hardware counters) over the row's own capture, or one of
# FRAMES frames. With --callgrind: valgrind's callgrind over a capture of FRAMES frames (default 1M:
# instructions, exact and repeatable, ~50× slower than native). Captures up to 64 MiB (~700k frames)
# are read twice by sgreplay (a first pass for --assume-established), so smaller ones profile that
# pass too. Output files in $SGREPLAY_BENCH_DIR (default /tmp/sgreplay-bench): perf.data or callgrind.out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
# shellcheck source=lib.sh
source "$root/Benchmarks/lib.sh"
tool=perf
[ "${1:-}" = --callgrind ] && { tool=callgrind; shift; }
[ $# -ge 1 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
row=$1; frames_override=${2:-}
[ "$tool" = callgrind ] && frames_override=${frames_override:-1000000}
case $row in bench|decode|labels|shared|rules-*|conntrack-*|flows-1m|length-*) ;; *) read -r row _ <<<"$(rows_of "$row")" ;; esac

build_tools
row_setup "$row" "$frames_override"
[ -n "$cap" ] || die "$row: nothing to profile ($note)"
extra=(); [ -z "$labels_file" ] || extra=(--labels "$labels_file")
[ ${#caps[@]} -gt 0 ] || caps=("$cap")
cmd=("$bin" analyze "${caps[@]}" "${args[@]}" "${extra[@]}" --format json)
say "profiling ($tool) $row: $frames frames, $flows flows, $rules rules"
"$work/bin/loop" "${caps[@]}" >/dev/null   # the file in the page cache

demangle() { swift demangle --simplified 2>/dev/null || cat; }
if [ "$tool" = perf ]; then
  perf record -q -e cpu-clock -F 1999 -g -o "$work/perf.data" -- "${cmd[@]}" >/dev/null 2>"$work/perf.err" \
    || { cat "$work/perf.err" >&2; die "perf record failed"; }
  echo "== share by library (self time)"
  perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8
  echo
  echo "== top functions (self time)"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.4 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -"${TOP:-40}" | demangle | cut -c1-180 | sed 's/ *$//'
  echo
  echo "== top functions including callees (frame-pointer call graphs: approximate)"
  perf report -i "$work/perf.data" --children --sort symbol --stdio -g none --percent-limit 3 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -25 | demangle | cut -c1-180 | sed 's/ *$//'
  echo
  echo "(perf report -i $work/perf.data for the full profile; add -g caller for call chains)"
else
  # valgrind 3.19 cannot read the DWARF that swiftc writes ("possibly corrupted debuginfo"): profile a
  # copy without debug sections (the symbol table, hence the function names, stays).
  objcopy --strip-debug "$bin" "$work/bin/sgreplay-nodebug"
  cmd[0]=$work/bin/sgreplay-nodebug
  tidy() { sed -n '/PROGRAM TOTALS/p; /file:function/,$p' | grep -v -e 'file:function' -e '^---' -e '^$' \
    | sed -E 's/\?\?\?://; s/ \[[^]]*\]$//; s#[^ ]*/sysdeps/[^:]*:##'; }
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" -- "${cmd[@]}" >/dev/null 2>"$work/callgrind.err" \
    || { tail -5 "$work/callgrind.err" >&2; die "callgrind failed"; }
  echo "== top functions (instructions, self)"
  callgrind_annotate --inclusive=no "$work/callgrind.out" 2>/dev/null | tidy | head -"${TOP:-40}" | demangle | cut -c1-180 | sed 's/ *$//'
  echo
  echo "== top functions (instructions, inclusive)"
  callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null | tidy | head -25 | demangle | cut -c1-180 | sed 's/ *$//'
  echo
  echo "(callgrind_annotate $work/callgrind.out, or kcachegrind, for the full profile)"
fi
