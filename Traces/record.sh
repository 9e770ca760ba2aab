#!/usr/bin/env bash
# Records the captures in Traces/ from real Linux network stacks: two network namespaces joined by a
# veth pair, "instance" (10.0.0.5, the ENI being analysed) and "peer" (203.0.113.1 and friends), with
# tcpdump running on the instance side as it would on an EC2 instance. Offloads are off so frames
# are MTU-sized with correct checksums. Needs root, iproute2, tcpdump, ethtool, iputils-ping, python3.
#
#   sudo Traces/record.sh ssh-session-continues-after-revoke     # one trace
#   sudo Traces/record.sh all                                    # every trace (takes minutes: real idle gaps)
#
# Each trace's capture.pcap is rewritten; its scenario and expected outputs are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in ip tcpdump ethtool ping python3; do
  command -v "$tool" >/dev/null || { echo "record.sh: needs $tool (apt-get install iproute2 tcpdump ethtool iputils-ping)"; exit 2; }
done

I=sgr-instance P=sgr-peer
cleanup() {
  ip netns pids $I 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids $P 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del $I 2>/dev/null || true
  ip netns del $P 2>/dev/null || true
}
trap cleanup EXIT

setup() {
  cleanup
  ip netns add $I; ip netns add $P
  ip link add eni0 netns $I type veth peer name wan0 netns $P
  ip -n $I addr add 10.0.0.5/24 dev eni0
  ip -n $I -6 addr add 2001:db8:10::5/64 dev eni0 nodad
  ip -n $P addr add 203.0.113.1/24 dev wan0
  ip -n $P addr add 203.0.113.9/24 dev wan0
  ip -n $P addr add 198.51.100.7/24 dev wan0
  ip -n $P -6 addr add 2001:db8:20::1/64 dev wan0 nodad
  for ns in $I $P; do ip -n $ns link set lo up; done
  ip -n $I link set eni0 up; ip -n $P link set wan0 up
  # The instance reaches the peers' networks directly on the link; they reach it back.
  ip -n $I route add 203.0.113.0/24 dev eni0; ip -n $I route add 198.51.100.0/24 dev eni0
  ip -n $I -6 route add 2001:db8:20::/64 dev eni0
  ip -n $P route add 10.0.0.0/24 dev wan0; ip -n $P -6 route add 2001:db8:10::/64 dev wan0
  ip netns exec $I ethtool -K eni0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $P ethtool -K wan0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  sleep 1
}

# start_capture DIR: tcpdump on the instance's interface into DIR/capture.pcap (microsecond pcap).
start_capture() {
  ip netns exec $I tcpdump -i eni0 -U -s 0 -w "$1/capture.pcap.tmp" 2>/dev/null &
  capture_pid=$!
  sleep 1
}
stop_capture() {
  sleep 1; kill -INT "$capture_pid"; wait "$capture_pid" 2>/dev/null || true
  mv "$1/capture.pcap.tmp" "$1/capture.pcap"
  echo "recorded $1/capture.pcap: $(stat -c %s "$1/capture.pcap") bytes"
}

# A line-based TCP service on the instance: answers every line with "ok <line>".
tcp_server() {  # PORT
  ip netns exec $I python3 -c '
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
def serve(c):
    f = c.makefile("rwb")
    for line in f:
        f.write(b"ok " + line); f.flush()
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$1" &
  sleep 0.5
}

# A TCP client in the peer namespace: COUNT lines every INTERVAL seconds, then a clean close.
tcp_client() {  # FROM TO PORT COUNT INTERVAL
  ip netns exec $P python3 -c '
import socket, sys, time
src, dst, port, count, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
c = socket.create_connection((dst, port), source_address=(src, 0))
f = c.makefile("rwb")
for i in range(count):
    f.write(b"keystroke %d\n" % i); f.flush(); f.readline(); time.sleep(interval)
c.close()
' "$@"
}

record_ssh_session_continues_after_revoke() {
  local d=$here/ssh-session-continues-after-revoke
  mkdir -p "$d"; setup; start_capture "$d"
  tcp_server 22
  # An interactive session from the admin's address: a keystroke every 2 s for a minute.
  tcp_client 203.0.113.1 10.0.0.5 22 30 2
  stop_capture "$d"
}

case "${1:-}" in
  all) for f in $(declare -F | awk '{print $3}' | grep '^record_'); do $f; done ;;
  "") echo "usage: record.sh TRACE|all"; declare -F | awk '{print $3}' | grep '^record_' | sed 's/^record_/  /; s/_/-/g'; exit 2 ;;
  *) fn=record_${1//-/_}; declare -F "$fn" >/dev/null || { echo "record.sh: no trace named $1"; exit 2; }; $fn ;;
esac
