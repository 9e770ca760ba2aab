#!/usr/bin/env python3
"""run.sh's bookkeeping: records measured rows (JSON Lines) and renders the table and targets.

    report.py machine RESULTS --binary BIN [--busy NAMES]
    report.py add RESULTS --row ROW [--frames N --flows N --rules N --loop "S S S" --sgreplay "S S S"
                  --loop-kb "KB…" --sgreplay-kb "KB…" --summary SUMMARY.json] [--note TEXT] [--busy NAMES]
    report.py render RESULTS --markdown OUT.md --command "Benchmarks/run.sh …"
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

DESCRIPTIONS = {
    "bench": "(a) 10M frames, 200k flows, 300 rules, 2 revokes; labels off",
    "decode": "the capture of (a), every frame decoded and skipped (no frame is the instance's)",
    "labels": "(b) as (a), with --labels FILE",
    "shared": "(a) ../shared/bench inputs (bench-vs-libpcap)",
    "rules-10": "(c) 10 rules",
    "rules-1000": "(c) 1000 rules, same capture",
    "conntrack-base": "(d) baseline: 1k flows",
    "conntrack-1m": "(d) 1M concurrent tracked flows",
    "flows-1m": "(e) 10M frames over 1M flows",
    "length-1m": "(f) 1M frames, 200k flows",
    "length-10m": "(f) 10M frames, 200k flows",
    "length-50m": "(f) 50M frames, 200k flows",
    "multi": "(g) several captures in one run, one instance each: replayed in parallel; the loop reads them one after the other",
}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cmd_machine(o):
    cpu = next((l.split(":", 1)[1].strip() for l in sh("lscpu").splitlines() if l.startswith("Model name")),
               platform.processor())
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    # The last commit that changed what the binary is built from (the suite's own commits do not).
    commit = sh("git", "log", "-1", "--format=%h", "--", "Sources", "Package.swift", "Package.resolved")
    dirty = " (with uncommitted changes)" if sh("git", "status", "--porcelain", "--", "Sources", "Package.swift") else ""
    swift = sh("swift", "--version").splitlines()
    record = {"machine": True, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem / 1024 / 1024, 1),
              "kernel": platform.release(), "swift": swift[0] if swift else "?",
              "commit": commit + dirty, "load": open("/proc/loadavg").read().split()[:3], "busy": o.busy,
              "libpcap": sh("sh", "-c", "pkg-config --modversion libpcap")}
    with open(o.results, "a") as f:
        f.write(json.dumps(record) + "\n")


def floats(text):
    return [float(x) for x in text.split()] if text else []


def cmd_add(o):
    r = {"row": o.row, "note": o.note or "", "busy": o.busy or ""}
    if o.frames:
        s = json.load(open(o.summary))
        if s["frames"] != o.frames:
            sys.exit(f"report.py: {o.row}: sgreplay judged {s['frames']} frames, expected {o.frames}")
        r.update(frames=o.frames, flows=o.flows, rules=o.rules, edits=o.edits, capture_bytes=sum(os.path.getsize(c) for c in o.capture.split()),
                 captures=o.captures or 1,
                 loop_s=floats(o.loop), sgreplay_s=floats(o.sgreplay), loop_kb=floats(o.loop_kb),
                 sgreplay_kb=floats(o.sgreplay_kb), sgreplay_cpu=floats(o.sgreplay_cpu), verdicts=s["verdicts"],
                 labels_bytes=o.labels_bytes,
                 # Several captures: one tracking table per interface, all live at once.
                 peak_entries=s["conntrack"].get("peak_entries")
                 or sum(i["conntrack"]["peak_entries"] for i in s.get("interfaces", [])))
    with open(o.results, "a") as f:
        f.write(json.dumps(r) + "\n")


def derived(r):
    """Medians and ratios of one measured row."""
    loop, sg = statistics.median(r["loop_s"]), statistics.median(r["sgreplay_s"])
    ratios = [s / max(l, 1e-3) for l, s in zip(r["loop_s"], r["sgreplay_s"])]
    cpu = statistics.median(r["sgreplay_cpu"]) if r.get("sgreplay_cpu") else float("nan")
    return {"loop": loop, "sg": sg, "cpu": cpu, "fps": r["frames"] / sg, "ns": sg / r["frames"] * 1e9,
            "ratio": statistics.median(ratios), "ratios": ratios, "rss_mb": max(r["sgreplay_kb"]) / 1024,
            "loop_rss_mb": max(r["loop_kb"]) / 1024}


def count(n):
    if n is None or n == "":
        return ""
    n = int(n)
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % (size // 10) == 0:
            v = n / size
            return f"{v:g}{unit}"
    return f"{n:,}"


def cmd_render(o):
    records = [json.loads(l) for l in open(o.results) if l.strip()]
    machine = next((r for r in records if r.get("machine")), {})
    rows = {r["row"]: r for r in records if not r.get("machine")}
    d = {k: derived(r) for k, r in rows.items() if "frames" in r}

    # Bytes per live tracking entry: RSS difference over the difference in peak entries.
    per_entry = {}
    if "conntrack-1m" in d and "conntrack-base" in d:
        a, b = rows["conntrack-1m"], rows["conntrack-base"]
        per_entry["conntrack-1m"] = ((max(a["sgreplay_kb"]) - max(b["sgreplay_kb"])) * 1024
                                     / max(1, a["peak_entries"] - b["peak_entries"]))
    if "flows-1m" in d and ("bench" in d or "length-10m" in d):
        a, b = rows["flows-1m"], rows["bench" if "bench" in d else "length-10m"]
        per_entry["flows-1m"] = ((max(a["sgreplay_kb"]) - max(b["sgreplay_kb"])) * 1024
                                 / max(1, a["peak_entries"] - b["peak_entries"]))

    header = ["scenario", "frames", "flows", "rules", "loop s", "sgreplay s", "CPU s", "frames/s", "ns/frame",
              "× loop", "peak RSS", "peak entries", "B/entry", "notes"]
    table = []
    for name, r in rows.items():
        if name not in d:
            table.append([name] + [""] * (len(header) - 2) + [r["note"]])
            continue
        x = d[name]
        notes = [r["note"]] if r["note"] else []
        if r.get("labels_bytes"):
            notes.append(f"{r['labels_bytes'] / 1e9:.1f} GB of labels")
        if r.get("captures", 1) > 1:
            notes.append(f"CPU {x['cpu'] / x['sg']:.2f}× wall")
        if r["busy"]:
            notes.append(f"BUSY: {r['busy']}")
        table.append([name, count(r["frames"]), count(r["flows"]), str(r["rules"]), f"{x['loop']:.2f}",
                      f"{x['sg']:.2f}", f"{x['cpu']:.2f}", f"{x['fps'] / 1e6:.2f} M", f"{x['ns']:.0f}", f"{x['ratio']:.2f}",
                      f"{x['rss_mb']:.0f} MB", f"{r['peak_entries']:,}",
                      f"{per_entry[name]:.0f}" if name in per_entry else "", "; ".join(notes)])

    # Targets of issue 7.
    targets = []
    def target(what, value, ok):
        targets.append((what, value, "met" if ok else "NOT met"))
    for name in ("shared", "bench"):
        if name in d:
            target(f"{name}: time ratio ≤ 2.0, labels off", f"{d[name]['ratio']:.2f}", d[name]["ratio"] <= 2.0)
            target(f"{name}: peak RSS ≤ 150 MB", f"{d[name]['rss_mb']:.0f} MB", d[name]["rss_mb"] <= 150)
    if "labels" in d:
        targets.append(("labels: ratio with --labels FILE (reported)", f"{d['labels']['ratio']:.2f}", "—"))
    if "rules-10" in d and "rules-1000" in d:
        diff = (d["rules-1000"]["fps"] / d["rules-10"]["fps"] - 1) * 100
        target("rules: throughput with 1000 rules within 20% of 10", f"{diff:+.1f}%", diff >= -20)
    if "conntrack-1m" in per_entry:
        target("flows: ≤ 64 bytes per live tracking entry", f"{per_entry['conntrack-1m']:.0f} B", per_entry["conntrack-1m"] <= 64)
    if "flows-1m" in d:
        target("flows: 10M frames over 1M flows ≤ 3× the loop", f"{d['flows-1m']['ratio']:.2f}", d["flows-1m"]["ratio"] <= 3)
    lengths = [n for n in ("length-1m", "length-10m", "length-50m") if n in d]
    if len(lengths) >= 2:
        first, last = d[lengths[0]]["rss_mb"], d[lengths[-1]]["rss_mb"]
        target(f"length: RSS flat from {lengths[0][7:].upper()} to {lengths[-1][7:].upper()} frames (growth ≤ 10%)",
               f"{first:.0f} → {last:.0f} MB ({(last / first - 1) * 100:+.0f}%)", last <= first * 1.1)
    if "multi" in d:
        # Every core used: CPU time over wall time near min(cores, captures).
        cores = min(machine.get("nproc") or 1, rows["multi"].get("captures", 1))
        use = d["multi"]["cpu"] / d["multi"]["sg"]
        target(f"many captures: every core ({cores} usable), per capture and total",
               f"CPU {use:.2f}× wall; {d['multi']['ratio']:.2f}× the loop reading them one after the other", use >= 0.8 * cores)
    elif "multi" in rows:
        targets.append(("many captures: every core, per capture and total", rows["multi"]["note"], "not measured"))

    m = machine
    head = (f"{m.get('date', '?')} · {m.get('nproc', '?')} cores · {m.get('cpu', '?')} · "
            f"{m.get('memory_gb', '?')} GB · Linux {m.get('kernel', '?')} · {m.get('swift', '?')} · "
            f"libpcap {m.get('libpcap', '?')} · sgreplay {m.get('commit', '?')} (release)")
    load = " ".join(m.get("load", []))
    busy_rows = [name for name, r in rows.items() if r.get("busy")]
    if m.get("busy"):
        idle = f"NOT idle at the start: {m['busy']} running (load {load})"
    elif busy_rows:
        idle = f"idle at the start (load {load}), but busy during {', '.join(busy_rows)}"
    else:
        idle = f"idle at the start (load {load}) and no fuzzer or Swift build ran before or after any row"

    md = ["# Benchmark results", "",
          f"Produced by `{o.command}` (see [README.md](README.md) for the method).", "",
          f"Machine: {head}. The machine was {idle}.", "",
          "| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table]
    md += ["", "What the rows are:", ""]
    md += [f"- `{name}`: {DESCRIPTIONS.get(name, name)}" for name in rows]
    md += ["", "Targets of issue 7:", "", "| target | measured | |", "| --- | --- | --- |"]
    md += [f"| {w} | {v} | {t} |" for w, v, t in targets]
    md += ["", "Per-run times (loop / sgreplay, seconds):", ""]
    md += [f"- `{name}`: " + ", ".join(f"{l:.2f} / {s:.2f}" for l, s in zip(rows[name]["loop_s"], rows[name]["sgreplay_s"]))
           for name in d]
    with open(o.markdown, "w") as f:
        f.write("\n".join(md) + "\n")
    # Text table.
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(header)]
    print(head)
    print(idle)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print()
    for what, value, verdict in targets:
        print(f"  {verdict:12} {what}: {value}")

    print(f"\n(written to {o.markdown})")


def main():
    a = argparse.ArgumentParser()
    sub = a.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("machine"); m.add_argument("results"); m.add_argument("--binary"); m.add_argument("--busy", default="")
    ad = sub.add_parser("add"); ad.add_argument("results"); ad.add_argument("--row", required=True)
    for k in ("capture", "loop", "loop-kb", "sgreplay", "sgreplay-kb", "sgreplay-cpu", "summary", "note", "busy", "rules", "edits"):
        ad.add_argument("--" + k, default="")
    for k in ("frames", "flows", "labels-bytes", "captures"):
        ad.add_argument("--" + k, type=int, default=0)
    r = sub.add_parser("render"); r.add_argument("results"); r.add_argument("--markdown", required=True)
    r.add_argument("--command", default="Benchmarks/run.sh")
    o = a.parse_args()
    {"machine": cmd_machine, "add": cmd_add, "render": cmd_render}[o.cmd](o)


if __name__ == "__main__":
    main()
