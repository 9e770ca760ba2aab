#!/usr/bin/env bash
# Records the captures in Traces/ from real Linux network stacks: two network namespaces joined by a
# veth pair, "instance" (10.0.0.5 and 2001:db8:10::5, the ENI being analysed) and "peer"
# (203.0.113.1, 203.0.113.9, 198.51.100.7, 2001:db8:20::1, and 8.8.8.8 where a trace needs it), with
# tcpdump running on the instance side as it would on an EC2 instance. Offloads are off so frames
# are MTU-sized with correct checksums. The endpoints (servers, clients, a userspace GRE tunnel) are
# in record-tools.py next to this script; ping and curl are the real tools.
#
#   sudo Traces/record.sh NAME     # one trace, e.g. ssh-session-continues-after-revoke
#   sudo Traces/record.sh all      # every trace (about 10 minutes: the idle gaps are real)
#   Traces/record.sh               # lists the traces
#
# Each trace's capture.pcap is rewritten; its scenario.yaml, NOTES.md and expected/ are kept (after
# re-recording, check NOTES.md's frame numbers and re-record expected/ with RECORD_SNAPSHOTS=1).
#
# What AWS would drop. The namespaces have no security group, so where the scenario's verdict
# changes what an endpoint does (a request dropped by the SG is never answered, so the client
# retransmits), the recorder enforces that drop with nftables *behind* the capture point: on the
# instance, an input-hook drop (tcpdump has already seen the packet, as it was offered at the ENI);
# for the instance's own packets, a drop on input in the peer namespace. The capture then shows
# what was offered at the interface and the endpoints' real reactions (retransmissions, time-outs,
# resets). Each such drop is marked "aws:" below, at the scenario's time for it.
#
# Needs root, iproute2 (ip, tc), tcpdump, ethtool, iputils-ping, curl, nftables, python3.
# Nothing leaves the namespaces: every address used (8.8.8.8 included) belongs to one of them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=$here/record-tools.py
for tool in ip tc tcpdump ethtool ping curl nft python3; do
  command -v "$tool" >/dev/null || {
    echo "record.sh: needs $tool (apt-get install iproute2 tcpdump ethtool iputils-ping curl nftables python3)"; exit 2; }
done

I=sgr-instance P=sgr-peer M=sgr-mirror
cleanup() {
  for ns in $I $P $M; do
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  sleep 0.2
  for ns in $I $P $M; do ip netns del $ns 2>/dev/null || true; done
}
trap cleanup EXIT

setup() {
  cleanup
  ip netns add $I; ip netns add $P
  for ns in $I $P; do
    # No router solicitations or duplicate address detection on the new links: the captures then
    # hold the traffic of the trace, ARP, and nothing else.
    ip netns exec $ns sysctl -qw net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    ip -n $ns link set lo up
  done
  ip link add eni0 netns $I type veth peer name wan0 netns $P
  ip -n $I addr add 10.0.0.5/24 dev eni0
  ip -n $I -6 addr add 2001:db8:10::5/64 dev eni0 nodad
  ip -n $P addr add 203.0.113.1/24 dev wan0
  ip -n $P addr add 203.0.113.9/24 dev wan0
  ip -n $P addr add 198.51.100.7/24 dev wan0
  ip -n $P -6 addr add 2001:db8:20::1/64 dev wan0 nodad
  ip -n $I link set eni0 up; ip -n $P link set wan0 up
  # The instance reaches the peers' networks directly on the link; they reach it back.
  ip -n $I route add 203.0.113.0/24 dev eni0; ip -n $I route add 198.51.100.0/24 dev eni0
  ip -n $I -6 route add 2001:db8:20::/64 dev eni0
  ip -n $P route add 10.0.0.0/24 dev wan0; ip -n $P -6 route add 2001:db8:10::/64 dev wan0
  # IPv6 neighbours are static: no neighbour discovery in the captures (AWS answers it outside the
  # security groups, and SEMANTICS.md does not say how to judge it).
  ip -n $I -6 neigh add 2001:db8:20::1 lladdr "$(mac $P wan0)" dev eni0 nud permanent
  ip -n $P -6 neigh add 2001:db8:10::5 lladdr "$(mac $I eni0)" dev wan0 nud permanent
  ip netns exec $I ethtool -K eni0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $P ethtool -K wan0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  sleep 3  # the links' multicast listener reports are over before the capture starts
}
mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

# start_capture DIR [NAMESPACE [INTERFACE [TCPDUMP-OPTIONS...]]]: tcpdump (default: on the
# instance's eni0, whole frames) into DIR/capture.pcap, microsecond pcap.
start_capture() {
  local dir=$1 ns=${2:-$I} ifc=${3:-eni0}
  shift $(( $# < 3 ? $# : 3 ))
  local options=("$@"); [[ " ${options[*]} " == *" -s "* ]] || options+=(-s 0)
  capture=$dir/capture.pcap.tmp; rm -f "$capture"
  ip netns exec "$ns" tcpdump -i "$ifc" -U "${options[@]}" -w "$capture" 2>/dev/null &
  capture_pid=$!
  sleep 1
}
stop_capture() {
  sleep 1; kill -INT "$capture_pid"; wait "$capture_pid" 2>/dev/null || true
  mv "$1/capture.pcap.tmp" "$1/capture.pcap"
  echo "recorded $1/capture.pcap: $(stat -c %s "$1/capture.pcap") bytes"
}
# at SECONDS: returns at the capture's first frame + SECONDS (the scenarios' "+SECONDS").
at() { python3 "$tools" wait-offset "$capture" "$1"; }

# aws_drop NAMESPACE NFT-MATCH...: from now on, NAMESPACE drops matching packets after tcpdump has
# seen them (input hook). aws_undrop NAMESPACE: stops that.
aws_drop() {
  local ns=$1; shift
  ip netns exec "$ns" nft add table inet aws
  ip netns exec "$ns" nft add chain inet aws input '{ type filter hook input priority 0; policy accept; }'
  ip netns exec "$ns" nft add rule inet aws input "$@" drop
}
aws_undrop() { ip netns exec "$1" nft flush chain inet aws input; }

# run NAMESPACE TOOL-COMMAND ARGS...: one of record-tools.py's endpoints, in the foreground.
run() { local ns=$1; shift; ip netns exec "$ns" python3 "$tools" "$@"; }
# server NAMESPACE TOOL-COMMAND ARGS...: the same in the background, left running until cleanup.
server() { local ns=$1; shift; ip netns exec "$ns" python3 "$tools" "$@" & disown; sleep 0.5; }
curl_from() { ip netns exec $P curl -sS -o /dev/null --interface "$1" "${@:2}"; }

trace_dir() { local d=$here/$1; mkdir -p "$d"; echo "$d"; }

# --- Seed 000: SSH from one address is tracked, and survives the revoke -----------------------
record_ssh_session_continues_after_revoke() {
  local d; d=$(trace_dir ssh-session-continues-after-revoke)
  setup; start_capture "$d"
  server $I line-server 22
  # An interactive session from the admin's address: a keystroke every 2 s for a minute.
  run $P line-client 203.0.113.1 10.0.0.5 22 --start 1 --count 30 --every 2   # odd seconds: +30 s falls between
  stop_capture "$d"
}

# --- Seed 000: HTTP open to the world is untracked: revoking the rule cuts it at once ----------
record_http_open_to_world_cut_at_revoke() {
  local d; d=$(trace_dir http-open-to-world-cut-at-revoke)
  setup; server $I http-server 80; start_capture "$d"
  # Two keep-alive connections, IPv4 and IPv6, a GET every 2 s; a request unanswered for 8 s makes
  # the client abort (RST) and try one new connection for 4 s.
  run $P http-client 203.0.113.9 10.0.0.5 80 --start 1 --every 2 --count 15 --timeout 8 --retry 4 & local c4=$!
  run $P http-client 2001:db8:20::1 2001:db8:10::5 80 --start 1.5 --every 2 --count 15 --timeout 8 --retry 4 & local c6=$!
  at 20; aws_drop $I tcp dport 80          # aws: +20 s the HTTP rules are revoked (untracked flows)
  wait $c4 $c6
  stop_capture "$d"
}

# --- Seeds 000, 001: ICMP is always tracked: pings outlive the revoke until 30 s idle ----------
record_ping_continues_after_icmp_revoke() {
  local d; d=$(trace_dir ping-continues-after-icmp-revoke)
  setup; start_capture "$d"
  local ping=(ip netns exec $P ping -n -e 4242 -I 203.0.113.1)   # one identifier, as Windows' ping
  "${ping[@]}" -c 20 10.0.0.5 >/dev/null                          # +0..+19 s; the rule goes at +10.5 s
  at 21; "${ping[@]}" -c 5 10.0.0.5 >/dev/null                    # ping restarted 2 s later
  at 60; aws_drop $I ip saddr 203.0.113.1 icmp type echo-request  # aws: the entry expired at ~+55 s
  at 65; "${ping[@]}" -c 5 -W 1 10.0.0.5 >/dev/null || true      # after 40 s idle: no answer
  stop_capture "$d"
}

# --- Seed 000: removing the all-open outbound rule makes HTTP tracked ---------------------------
record_http_tracked_after_outbound_rule_removed() {
  local d; d=$(trace_dir http-tracked-after-outbound-rule-removed)
  setup; server $I http-server 80; start_capture "$d"
  # The outbound rules go at +20 s; nothing is dropped, so the endpoints see no difference.
  run $P http-client 203.0.113.9 10.0.0.5 80 --start 1 --every 2 --count 15 & local c4=$!
  run $P http-client 2001:db8:20::1 2001:db8:10::5 80 --start 1.5 --every 2 --count 15 & local c6=$!
  wait $c4 $c6
  stop_capture "$d"
}

# --- Seed 001 (update): SSH open to the world is untracked: cut at the revoke -------------------
record_ssh_open_to_world_cut_at_revoke() {
  local d; d=$(trace_dir ssh-open-to-world-cut-at-revoke)
  setup; server $I line-server 22; start_capture "$d"
  run $P line-client 203.0.113.1 10.0.0.5 22 --start 1 --every 2 --count 20 --timeout 8 --retry 4 & local c=$!
  at 20; aws_drop $I tcp dport 22          # aws: +20 s the SSH rule (0.0.0.0/0) is revoked
  wait $c
  stop_capture "$d"
}

# --- Seed 002: replies leave without an outbound rule; the instance's own ping does not ---------
record_http_reply_without_outbound_rule() {
  local d; d=$(trace_dir http-reply-without-outbound-rule)
  setup
  ip -n $P addr add 8.8.8.8/32 dev wan0; ip -n $I route add 8.8.8.8/32 dev eni0   # 8.8.8.8 is the peer namespace
  server $I http-server 80; start_capture "$d"
  # The tutorial's order: ping 8.8.8.8 from the instance (answered on the wire, as the brief asks:
  # the model drops the requests and the replies), then browse to the instance three times.
  ip netns exec $I ping -n -c 3 8.8.8.8 >/dev/null || true
  at 4; curl_from 198.51.100.7 http://10.0.0.5/
  at 6; curl_from 198.51.100.7 http://10.0.0.5/
  at 8; curl_from 198.51.100.7 http://10.0.0.5/
  stop_capture "$d"
}

# --- Seed 002: a NACL that denies the ephemeral ports outbound drops the replies ---------------
record_nacl_denies_ephemeral_replies() {
  local d; d=$(trace_dir nacl-denies-ephemeral-replies)
  setup; server $I http-server 80
  aws_drop $P ip saddr 10.0.0.5 tcp sport 80 tcp dport 1024-65535   # aws: NACL outbound rule 100
  start_capture "$d"
  curl_from 198.51.100.7 --max-time 8 http://10.0.0.5/ || true      # hangs: no SYN-ACK gets through
  at 40; aws_undrop $P                                               # aws: +40 s rule 100 deleted
  at 42; curl_from 198.51.100.7 http://10.0.0.5/
  stop_capture "$d"
}

# --- Seed 000: GRE sent by the instance opens the way back for 600 s ---------------------------
record_gre_reply_accepted_by_tracking() {
  local d; d=$(trace_dir gre-reply-accepted-by-tracking)
  setup
  # GRE tunnels 10.0.0.5 <-> 203.0.113.9 (inner 192.168.100.1 <-> .2), and one from 198.51.100.7
  # that the instance never talked to. The kernel here has no ip_gre, so the endpoints are
  # record-tools.py's RFC 2784 GRE over TUN devices; the outer IPv4 packets are the kernel's.
  server $I gre-tunnel gre1 10.0.0.5 203.0.113.9 192.168.100.1/30
  server $P gre-tunnel gre1 203.0.113.9 10.0.0.5 192.168.100.2/30
  server $P gre-tunnel gre2 198.51.100.7 10.0.0.5 192.168.101.2/30
  aws_drop $I ip saddr 198.51.100.7 ip protocol gre   # aws: no inbound rule and no tracking entry for it
  start_capture "$d"
  ip netns exec $I ping -n -c 5 192.168.100.2 >/dev/null                     # the instance sends GRE
  at 25; ip netns exec $P ping -n -c 3 192.168.100.1 >/dev/null              # the peer initiates, 20 s later
  at 30; ip netns exec $P ping -n -c 3 -W 1 192.168.101.1 >/dev/null || true # another peer: dropped
  stop_capture "$d"
}

# --- Seed 000 (throttling): more new tracked flows than the allowance --------------------------
record_conntrack_allowance_exhausted() {
  local d; d=$(trace_dir conntrack-allowance-exhausted)
  setup; server $I line-server 8080
  aws_drop $I ip saddr 203.0.113.1 tcp sport 40006-40008   # aws: the flows beyond conntrack-max 5
  start_capture "$d"
  # 8 connections opened 0.1 s apart from ports 40001-40008; the 5 that connect exchange a line
  # every 3 s (+2..+14 s) and close; the 3 others retransmit their SYNs and give up after 10 s.
  run $P flows 203.0.113.1 10.0.0.5 8080 --n 8 --sport 40001 --stagger 0.1 --timeout 10 --start 2 --every 3 --count 5
  stop_capture "$d"
}

# --- UDP: a single request-response lives 30 s, a stream 180 s ---------------------------------
record_udp_dns_flow_expires_after_30s_idle() {
  local d; d=$(trace_dir udp-dns-flow-expires-after-30s-idle)
  setup; server $I dns-server 53; start_capture "$d"
  # Resolver A (port 40053): one query at +0 s, the next at +47 s. Resolver B (port 40054): queries
  # at +1, +12 (after the revoke at +5 s: a second transaction makes it a stream) and +48 s.
  run $P dns-client 203.0.113.1 10.0.0.5 --sport 40053 --at 0 47 & local a=$!
  run $P dns-client 203.0.113.1 10.0.0.5 --sport 40054 --at 1 12 48 & local b=$!
  at 40; aws_drop $I ip saddr 203.0.113.1 udp sport 40053 udp dport 53   # aws: A's entry expired at ~+30 s
  wait $a $b
  stop_capture "$d"
}

# --- TCP: after a RST the entry lives 10 s ------------------------------------------------------
record_tcp_reset_entry_expires_after_10s() {
  local d; d=$(trace_dir tcp-reset-entry-expires-after-10s)
  setup; server $I line-server 8080; start_capture "$d"
  # Three connections from ports 41001 (A), 41002 (B), 41003 (C); the rule goes at +4 s; the
  # server resets A and C at +7 s; C comes back from the same port at +11 s, A at +20 s; B is
  # idle from +1 s to +20 s.
  run $P reset-clients 203.0.113.1 10.0.0.5 8080 --sport 41001 --reset 7 --c-again 11 --a-again 20 & local c=$!
  at 18; aws_drop $I ip saddr 203.0.113.1 tcp sport 41001   # aws: A's entry expired at ~+17 s
  wait $c
  stop_capture "$d"
}

# --- VPC Traffic Mirroring: the capture is the mirror target's, VXLAN (UDP 4789, VNI 42) --------
record_vxlan_traffic_mirroring() {
  local d; d=$(trace_dir vxlan-traffic-mirroring)
  setup
  # A third namespace is the mirror target, 10.0.1.100, on its own link. tc mirrors every frame
  # in and out of eni0 into vxlan0, which sends it from 10.0.0.5 to the target, as a mirror
  # session does. The target's own vxlan device takes the packets (no ICMP port unreachable).
  ip netns add $M
  ip netns exec $M sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
  ip netns exec $I sysctl -qw net.ipv6.conf.default.disable_ipv6=1   # for the links created below
  ip link add mir0 netns $I type veth peer name tgt0 netns $M
  ip -n $M link set lo up; ip -n $M addr add 10.0.1.100/24 dev tgt0; ip -n $M link set tgt0 up
  ip -n $M route add 10.0.0.5/32 dev tgt0
  ip -n $I link set mir0 up; ip -n $I route add 10.0.1.100/32 dev mir0 src 10.0.0.5
  ip -n $I link add vxlan0 type vxlan id 42 dstport 4789 local 10.0.0.5 remote 10.0.1.100 nolearning
  ip -n $I link set vxlan0 up
  ip -n $M link add vxlan0 type vxlan id 42 dstport 4789 local 10.0.1.100 nolearning
  ip -n $M link set vxlan0 up
  ip netns exec $I ethtool -K mir0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $M ethtool -K tgt0 tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $I tc qdisc add dev eni0 clsact
  for hook in ingress egress; do
    ip netns exec $I tc filter add dev eni0 $hook protocol all u32 match u32 0 0 action mirred egress mirror dev vxlan0
  done
  server $I line-server 22
  start_capture "$d" $M tgt0
  # The SSH session of seed 000, shorter: a keystroke every 2 s for 24 s; the rule goes at +10 s.
  run $P line-client 203.0.113.1 10.0.0.5 22 --count 12 --every 2
  stop_capture "$d"
}

# --- tcpdump -i any: Linux cooked captures (SLL2 is tcpdump's default, SLL with -y LINUX_SLL) ---
cooked_capture() {  # DIR TCPDUMP-OPTIONS...
  local d=$1; shift
  setup; server $I http-server 80; start_capture "$d" $I any "$@"
  curl_from 198.51.100.7 http://10.0.0.5/
  at 2; ip netns exec $I curl -sS -o /dev/null http://127.0.0.1/health   # a local health check, on lo
  at 4; curl_from 198.51.100.7 http://10.0.0.5/
  stop_capture "$d"
}
record_linux_cooked_capture() { cooked_capture "$(trace_dir linux-cooked-capture)"; }
record_linux_cooked_v1_capture() { cooked_capture "$(trace_dir linux-cooked-v1-capture)" -y LINUX_SLL; }

# --- tcpdump -s 60: every frame cut after 60 bytes ---------------------------------------------
record_snaplen_truncated_frames() {
  local d; d=$(trace_dir snaplen-truncated-frames)
  setup; server $I http-server 80; start_capture "$d" $I eni0 -s 60
  curl_from 198.51.100.7 http://10.0.0.5/                               # IPv4: headers fit in 60 bytes
  at 2; curl_from 2001:db8:20::1 'http://[2001:db8:10::5]/'             # IPv6: only 6 bytes of TCP
  at 4; ip netns exec $P ping -n -c 2 -I 198.51.100.7 10.0.0.5 >/dev/null  # echo payload cut
  stop_capture "$d"
}

traces() { declare -F | awk '{print $3}' | grep '^record_' | sed 's/^record_//; s/_/-/g'; }
case "${1:-}" in
  all) for t in $(traces); do echo "== $t"; "record_${t//-/_}"; done ;;
  "") echo "usage: record.sh TRACE|all"; traces | sed 's/^/  /'; exit 2 ;;
  *) fn=record_${1//-/_}; declare -F "$fn" >/dev/null || { echo "record.sh: no trace named $1"; exit 2; }; $fn ;;
esac
