#!/usr/bin/env python3
"""The endpoints that Traces/record.sh runs inside its network namespaces.

Servers run on the "instance", clients on the "peer". Every client schedules its actions at fixed
offsets (seconds) from its own start, which is within a few milliseconds of the capture's first
frame, so that the captures line up with the timeline edits of the scenarios (`at: +20s`).

    record-tools.py COMMAND [ARGS]     (see the argparse help of each command)

Standard library only. Nothing here sends to an address outside the namespaces record.sh creates.
"""
import argparse, fcntl, os, select, socket, struct, sys, threading, time


def wait_until(t0, offset):
    delay = t0 + offset - time.time()
    if delay > 0:
        time.sleep(delay)


def log(*parts):
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def abort(sock, *files):
    """Close with a RST, as a client that gives up does (SO_LINGER 0). The socket's makefile()
    objects must be closed too, or the descriptor stays open."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    for f in files:
        f.close()
    sock.close()


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def bound_socket(src, sport=0, kind=socket.SOCK_STREAM):
    s = socket.socket(family_of(src), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    return s


# --- HTTP ------------------------------------------------------------------------------------

def http_server(args):
    """HTTP/1.1 with keep-alive on every address (dual stack); each response is one segment."""
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", args.port))
    ls.listen(64)

    def serve(c):
        f = c.makefile("rb")
        while True:
            request = f.readline()
            if not request:
                break
            while f.readline() not in (b"\r\n", b"\n", b""):
                pass
            body = b"hello from the instance: " + request.split(b" ")[1] + b"\n"
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body))
        f.close()
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def http_request(sock, path):
    host = sock.getpeername()[0]
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sgreplay-trace\r\nAccept: */*\r\n\r\n"
                 % (path.encode(), host.encode()))
    with sock.makefile("rb") as f:
        length = 0
        while True:
            line = f.readline()
            if not line:
                raise ConnectionError("closed by the server")
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b"\n"):
                break
        f.read(length)


def http_client(args):
    """One keep-alive connection; a GET at START, START+EVERY, ... until COUNT requests or a
    request goes unanswered for TIMEOUT s. Then the client aborts (RST) and, with --retry, tries one
    new connection for RETRY s."""
    t0 = time.time()
    s = bound_socket(args.src)
    s.settimeout(args.timeout)
    s.connect((args.dst, args.port))
    for i in range(args.count):
        wait_until(t0, args.start + i * args.every)
        try:
            http_request(s, f"/request-{i + 1}")
            log(f"http {args.src} request {i + 1} answered")
        except socket.timeout:
            log(f"http {args.src} request {i + 1}: no answer in {args.timeout} s, giving up (RST)")
            abort(s)
            if args.retry:
                r = bound_socket(args.src)
                r.settimeout(args.retry)
                try:
                    r.connect((args.dst, args.port))
                    log(f"http {args.src} reconnected")
                except OSError as e:
                    log(f"http {args.src} reconnect failed: {e}")
                r.close()
            return
    s.close()


# --- line service (the "SSH" of the traces) -------------------------------------------------

def line_server(args):
    """Answers every line with "ok <line>"; the line "reset" is answered with a RST instead."""
    ls = bound_socket("0.0.0.0", args.port)
    ls.listen(64)

    def serve(c):
        f = c.makefile("rwb")
        for line in f:
            if line.strip() == b"reset":
                abort(c, f)
                return
            f.write(b"ok " + line)
            f.flush()
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def line_client(args):
    """A line at START, START+EVERY, ... (COUNT lines), then a clean close. A line unanswered for
    TIMEOUT s makes the client abort (RST) and, with --retry, try one new connection for RETRY s."""
    t0 = time.time()
    s = bound_socket(args.src, args.sport)
    s.settimeout(args.timeout)
    s.connect((args.dst, args.port))
    f = s.makefile("rwb")
    for i in range(args.count):
        wait_until(t0, args.start + i * args.every)
        try:
            f.write(b"keystroke %d\n" % i)
            f.flush()
            if not f.readline():
                raise ConnectionError("closed")
        except socket.timeout:
            log(f"line client {args.src}: keystroke {i} unanswered for {args.timeout} s, giving up (RST)")
            abort(s, f)
            if args.retry:
                r = bound_socket(args.src)
                r.settimeout(args.retry)
                try:
                    r.connect((args.dst, args.port))
                    log("line client reconnected")
                except OSError as e:
                    log(f"line client reconnect failed: {e}")
                r.close()
            return
    f.close()
    s.close()


def flows(args):
    """Opens N connections at once from source ports SPORT, SPORT+1, ... (STAGGER s apart). Those
    connected after 1 s send a line at START, START+EVERY, ... (COUNT rounds), then close; the
    others are left to the kernel's SYN retransmissions and given up (closed) after TIMEOUT s."""
    t0 = time.time()
    socks = []
    for i in range(args.n):
        s = bound_socket(args.src, args.sport + i)
        s.setblocking(False)
        s.connect_ex((args.dst, args.port))
        socks.append(s)
        time.sleep(args.stagger)
    wait_until(t0, 1)
    _, writable, _ = select.select([], socks, [], 0)
    connected = [s for s in socks if s in writable and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
    pending = [s for s in socks if s not in connected]
    log(f"{len(connected)} of {args.n} flows connected")
    for s in connected:
        s.setblocking(True)
    for r in range(args.count):
        wait_until(t0, args.start + r * args.every)
        for s in connected:
            s.sendall(b"round %d\n" % r)
        for s in connected:
            s.recv(100)
        if pending and time.time() >= t0 + args.timeout:
            for s in pending:
                log(f"flow from port {s.getsockname()[1]}: not connected after {args.timeout} s, giving up")
                s.close()
            pending = []
    for s in pending + connected:
        s.close()


def reset_clients(args):
    """The tcp-reset trace's three clients (ports SPORT, +1, +2 from SRC to DST:PORT):
    A and C say hello at 1 s and are reset by the server at RESET s; C reconnects from the same port
    at C_AGAIN s (inside the 10 s after-RST timeout) and A at A_AGAIN s (after it). B says hello at
    1 s, stays idle and says something again at A_AGAIN s, then closes."""
    t0 = time.time()
    a, b, c = (bound_socket(args.src, args.sport + i) for i in range(3))
    for s in (a, b, c):
        s.connect((args.dst, args.port))
        time.sleep(0.05)
    wait_until(t0, 1)
    for s in (a, b, c):
        s.sendall(b"hello\n"); s.recv(100)
        time.sleep(0.05)
    wait_until(t0, args.reset)
    for s in (a, c):
        s.sendall(b"reset\n")
        try:
            s.recv(100)
        except ConnectionResetError:
            log(f"port {s.getsockname()[1]}: reset by the server")
        s.close()
        time.sleep(0.05)
    wait_until(t0, args.c_again)
    c = bound_socket(args.src, args.sport + 2)
    c.settimeout(args.timeout)
    c.connect((args.dst, args.port))
    c.sendall(b"back again\n"); c.recv(100); c.close()
    log("C reconnected from the same port within 10 s of the reset")
    wait_until(t0, args.a_again)
    b.sendall(b"still here\n"); b.recv(100)
    a = bound_socket(args.src, args.sport)
    a.settimeout(args.timeout)
    try:
        a.connect((args.dst, args.port))
        log("A reconnected (unexpected)")
    except OSError as e:
        log(f"A could not reconnect: {e}")
    a.close()
    b.close()


# --- DNS -------------------------------------------------------------------------------------

def dns_name(query):
    labels, i = [], 12
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]])
        i += 1 + query[i]
    return b".".join(labels), i + 5


def dns_server(args):
    """Answers every A query with 192.0.2.53 (a real DNS response, TTL 60)."""
    s = bound_socket("0.0.0.0", args.port, socket.SOCK_DGRAM)
    while True:
        q, peer = s.recvfrom(512)
        _, end = dns_name(q)
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.53")
        s.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:end] + answer, peer)


def dns_client(args):
    """Queries NAME from SRC:SPORT at each offset of --at; an unanswered query is retried once
    after TIMEOUT s."""
    t0 = time.time()
    s = bound_socket(args.src, args.sport, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    qname = b"".join(bytes([len(p)]) + p for p in args.name.encode().split(b".")) + b"\x00"
    for n, at in enumerate(args.at):
        wait_until(t0, at)
        query = struct.pack("!HHHHHH", 0x1000 + n, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
        for attempt in range(2):
            s.sendto(query, (args.dst, 53))
            try:
                s.recvfrom(512)
                log(f"dns {args.sport} query {n + 1} answered")
                break
            except socket.timeout:
                log(f"dns {args.sport} query {n + 1} attempt {attempt + 1}: no answer")


# --- GRE (RFC 2784) over a TUN device --------------------------------------------------------

def gre_tunnel(args):
    """A point-to-point GRE tunnel: IPv4 packets routed to the TUN device NAME are sent to REMOTE
    in GRE (protocol 47, no key, no checksum) from LOCAL; GRE from REMOTE is unwrapped into NAME.
    The outer IPv4 header is built by the kernel (raw socket). This stands in for `ip tunnel add
    NAME mode gre`, which needs the ip_gre module."""
    TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", args.name.encode(), IFF_TUN | IFF_NO_PI))
    os.system(f"sysctl -qw net.ipv6.conf.{args.name}.disable_ipv6=1")
    os.system(f"ip addr add {args.inner} dev {args.name} && ip link set {args.name} mtu 1476 up")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    raw.bind((args.local, 0))
    log(f"gre {args.name}: {args.local} -> {args.remote}, inner {args.inner}")
    while True:
        ready, _, _ = select.select([tun, raw], [], [])
        if tun in ready:
            packet = os.read(tun, 65535)
            if packet[0] >> 4 == 4:
                raw.sendto(b"\x00\x00\x08\x00" + packet, (args.remote, 0))
        if raw in ready:
            data, (source, _) = raw.recvfrom(65535)
            header = (data[0] & 15) * 4
            if source == args.remote and data[header:header + 4] == b"\x00\x00\x08\x00":
                os.write(tun, data[header + 4:])


# --- capture timing --------------------------------------------------------------------------

def wait_offset(args):
    """Returns at the capture's first frame + SECONDS (pcap being written by tcpdump -U)."""
    while True:
        try:
            with open(args.pcap, "rb") as f:
                header = f.read(40)
            if len(header) == 40:
                break
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    magic = header[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    seconds, fraction = struct.unpack(endian + "II", header[24:32])
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    first = seconds + fraction / (1e9 if nano else 1e6)
    wait_until(first, args.seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("http-server"); c.add_argument("port", type=int); c.set_defaults(run=http_server)
    c = sub.add_parser("http-client")
    for name in ("src", "dst"):
        c.add_argument(name)
    c.add_argument("port", type=int)
    c.add_argument("--start", type=float, default=1); c.add_argument("--every", type=float, default=2)
    c.add_argument("--count", type=int, default=10); c.add_argument("--timeout", type=float, default=8)
    c.add_argument("--retry", type=float, default=0); c.set_defaults(run=http_client)

    c = sub.add_parser("line-server"); c.add_argument("port", type=int); c.set_defaults(run=line_server)
    c = sub.add_parser("line-client")
    for name in ("src", "dst"):
        c.add_argument(name)
    c.add_argument("port", type=int); c.add_argument("--sport", type=int, default=0)
    c.add_argument("--start", type=float, default=0); c.add_argument("--every", type=float, default=2)
    c.add_argument("--count", type=int, default=10); c.add_argument("--timeout", type=float, default=None)
    c.add_argument("--retry", type=float, default=0); c.set_defaults(run=line_client)

    c = sub.add_parser("flows")
    for name in ("src", "dst"):
        c.add_argument(name)
    c.add_argument("port", type=int); c.add_argument("--n", type=int, required=True)
    c.add_argument("--sport", type=int, required=True); c.add_argument("--stagger", type=float, default=0.1)
    c.add_argument("--timeout", type=float, default=10); c.add_argument("--start", type=float, default=2)
    c.add_argument("--every", type=float, default=3); c.add_argument("--count", type=int, default=5)
    c.set_defaults(run=flows)

    c = sub.add_parser("reset-clients")
    for name in ("src", "dst"):
        c.add_argument(name)
    c.add_argument("port", type=int); c.add_argument("--sport", type=int, required=True)
    c.add_argument("--reset", type=float, required=True); c.add_argument("--c-again", type=float, required=True)
    c.add_argument("--a-again", type=float, required=True); c.add_argument("--timeout", type=float, default=5)
    c.set_defaults(run=reset_clients)

    c = sub.add_parser("dns-server"); c.add_argument("port", type=int); c.set_defaults(run=dns_server)
    c = sub.add_parser("dns-client")
    for name in ("src", "dst"):
        c.add_argument(name)
    c.add_argument("--sport", type=int, required=True); c.add_argument("--name", default="app.example.internal")
    c.add_argument("--at", type=float, nargs="+", required=True); c.add_argument("--timeout", type=float, default=2)
    c.set_defaults(run=dns_client)

    c = sub.add_parser("gre-tunnel")
    for name in ("name", "local", "remote", "inner"):
        c.add_argument(name)
    c.set_defaults(run=gre_tunnel)

    c = sub.add_parser("wait-offset"); c.add_argument("pcap"); c.add_argument("seconds", type=float)
    c.set_defaults(run=wait_offset)

    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
