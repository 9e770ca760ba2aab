#!/usr/bin/env bash
# Renders the HTML incident report of Traces/ssh-session-continues-after-revoke in headless Chromium
# (Debian's package), checks the DOM the browser built (the timeline SVG with a marker for the
# revoke, the still-flowing table listing the SSH flow) and the screenshot (the page is not blank:
# the verdict colours and the edit marker are on it), and saves the screenshot.
#
#   Scripts/check-report-in-browser.sh [SCREENSHOT.png]     # default: docs/report-screenshot.png
#
# SGREPLAY=path/to/sgreplay uses that binary instead of building one (the Swift test does this).
# Installs chromium when it is missing. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
screenshot=${1:-docs/report-screenshot.png}
case "$screenshot" in /*) ;; *) screenshot="$root/$screenshot" ;; esac

if ! command -v chromium >/dev/null; then
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    echo "check-report: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq chromium >&2
fi
command -v python3 >/dev/null || { echo "check-report: python3 is needed to read the DOM and the PNG" >&2; exit 1; }

bin=${SGREPLAY:-}
if [ -z "$bin" ]; then
    swift build --product sgreplay >&2
    bin="$(swift build --show-bin-path)/sgreplay"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd Traces/ssh-session-continues-after-revoke &&
    "$bin" analyze capture.pcap --policy scenario.yaml --report "$work/report.html" >/dev/null)

browse() {
    # No network is needed: every host resolves to nothing, so a fetch would fail visibly.
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run \
        --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
        --window-size=1280,2000 "$@" "file://$work/report.html" 2>"$work/chromium.log"
}
browse --dump-dom >"$work/dom.html" || { cat "$work/chromium.log" >&2; exit 1; }
mkdir -p "$(dirname "$screenshot")"
browse --screenshot="$work/shot.png" >/dev/null || { cat "$work/chromium.log" >&2; exit 1; }

python3 - "$work/dom.html" "$work/shot.png" <<'EOF'
import sys, zlib, struct
from html.parser import HTMLParser

dom_path, png_path = sys.argv[1], sys.argv[2]
failures = []

class DOM(HTMLParser):
    """Collects what the checks need from the DOM Chromium serialised."""
    def __init__(self):
        super().__init__()
        self.stack = []
        self.timeline = False
        self.markers = []          # data-edit of each g.edit-marker inside svg#timeline
        self.marker_text = []
        self.flow_rows = []        # (data-flow, text) of tr.flow inside table#still-flowing
        self.in_table = False
        self.row = None
        self.in_marker = False
        self.external = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href", "xlink:href", "srcset", "action"):
            if name in a:
                self.external.append(f"<{tag} {name}={a[name]!r}>")
        if tag == "svg" and a.get("id") == "timeline":
            self.timeline = True
        if tag == "g" and "edit-marker" in (a.get("class") or "").split() and self.timeline:
            self.markers.append(a.get("data-edit", ""))
            self.in_marker = True
        if tag == "table" and a.get("id") == "still-flowing":
            self.in_table = True
        if tag == "tr" and self.in_table and "flow" in (a.get("class") or "").split():
            self.row = [a.get("data-flow", ""), ""]
        self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag == "svg":
            self.timeline = False
        if tag == "g" and self.in_marker:
            self.in_marker = False
        if tag == "table":
            self.in_table = False
        if tag == "tr" and self.row is not None:
            self.flow_rows.append(tuple(self.row))
            self.row = None
        while self.stack and self.stack.pop() != tag:
            pass
    def handle_data(self, data):
        if self.row is not None:
            self.row[1] += data
        if self.in_marker and self.stack and self.stack[-1] == "text":
            self.marker_text.append(data)

dom = DOM()
dom.feed(open(dom_path, encoding="utf-8").read())
flow = "tcp 203.0.113.1:39611 > 10.0.0.5:22"
if not any(m == "revoke sg-admin/sgr-ssh" for m in dom.markers):
    failures.append(f"no edit marker for the revoke in svg#timeline (markers: {dom.markers})")
if not any("revoke sg-admin/sgr-ssh" in t for t in dom.marker_text):
    failures.append(f"the revoke marker has no visible label (labels: {dom.marker_text})")
if [r[0] for r in dom.flow_rows] != [flow]:
    failures.append(f"table#still-flowing should list exactly the SSH flow, found {[r[0] for r in dom.flow_rows]}")
elif flow not in " ".join(dom.flow_rows[0][1].split()):
    failures.append(f"the still-flowing row does not show the flow: {dom.flow_rows[0][1]!r}")
if dom.external:
    failures.append(f"references to other resources: {dom.external}")

def read_png(path):
    """Width, height and rows of RGB(A) pixels of an 8-bit PNG (what Chromium writes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            ul = previous[x - channels] if x >= channels else 0
            if f == 1: line[x] = (line[x] + left) & 255
            elif f == 2: line[x] = (line[x] + up) & 255
            elif f == 3: line[x] = (line[x] + (left + up) // 2) & 255
            elif f == 4:
                p = left + up - ul; pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
        rows.append(bytes(line)); previous = line
    return width, height, channels, rows

width, height, channels, rows = read_png(png_path)
if (width, height) != (1280, 2000):
    failures.append(f"screenshot is {width}x{height}, expected 1280x2000")
def count(rgb, tolerance=12, y_range=None):
    n = 0
    for y in range(*(y_range or (0, height))):
        row = rows[y]
        for x in range(0, width * channels, channels):
            if all(abs(row[x + k] - rgb[k]) <= tolerance for k in range(3)):
                n += 1
    return n
# The timeline's bars: allowed-by-rule green and allowed-by-tracking amber, as the CSS and SVG draw them.
green, amber = count((0x2f, 0x9e, 0x55)), count((0xee, 0xa2, 0x0c))
if green < 2000: failures.append(f"too few allowed-by-rule (green) pixels: {green}")
if amber < 2000: failures.append(f"too few allowed-by-tracking (amber) pixels: {amber}")
# The edit marker: a dark vertical line at least 150 px tall somewhere in the page.
dark = (0x1d, 0x24, 0x30)
best = 0
for x in range(0, width):
    run = longest = 0
    for y in range(0, height):
        p = rows[y][x * channels:x * channels + 3]
        if all(abs(p[k] - dark[k]) <= 40 for k in range(3)):
            run += 1; longest = max(longest, run)
        else:
            run = 0
    best = max(best, longest)
if best < 150: failures.append(f"no edit-marker line in the screenshot (longest dark vertical run {best} px)")

if failures:
    print("check-report: FAILED", *failures, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"check-report: DOM ok (timeline, revoke marker, {flow} in #still-flowing); "
      f"screenshot ok ({green} green, {amber} amber pixels, edit marker {best} px)")
EOF
cp "$work/shot.png" "$screenshot"
echo "check-report: screenshot saved to ${screenshot#"$root/"}"
