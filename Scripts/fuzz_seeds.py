"""Seed corpora for the fuzzers. `frames DIR FILES…`: every frame of classic pcap files, one file
each, prefixed with the harness's link-type byte and an options byte. `files DIR FILES…`: each file,
prefixed with the harness's kind byte (policy or timeline, by name)."""
import os, struct, sys, hashlib

LINKS = {1: 0, 113: 1, 276: 2, 12: 3, 14: 3, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}

def pcap_frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            e = "<"
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            e = ">"
        else:
            return
        link = struct.unpack(e + "I", head[20:24])[0] & 0x0fffffff
        if link not in LINKS:
            return
        for _ in range(2000):
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, caplen, _ = struct.unpack(e + "IIII", rec)
            if caplen > 262144:
                return
            data = f.read(caplen)
            yield LINKS[link], data

def save(directory, blob):
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(directory, name), "wb") as out:
        out.write(blob)

mode, directory, files = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(directory, exist_ok=True)
for path in files:
    if not os.path.isfile(path):
        continue
    if mode == "frames":
        for link, data in pcap_frames(path):
            save(directory, bytes([link, 0]) + data)
    else:
        name = os.path.basename(path)
        kind = 2 if "trail" in name or "cloudtrail" in name else (4 if name.startswith("pl-") else (0 if name.endswith((".yaml", ".yml")) else 1))
        timeline = 0x80 if "trail" in name or "timeline" in name else 0
        with open(path, "rb") as f:
            save(directory, bytes([kind | timeline]) + f.read())
