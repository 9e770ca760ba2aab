#!/usr/bin/env python3
"""Benchmark inputs: a synthetic capture and the AWS policy and CloudTrail timeline that match it.

    gen.py --out DIR [--frames N] [--flows F] [--rules R] [--classes C] [--groups G] [--edits E]
           [--mix TCP,UDP,ICMP,OTHER] [--ipv6 SHARE] [--outbound SHARE] [--unmatched SHARE]
           [--nacl N] [--nacl-denied SHARE] [--gap-us US] [--open-all] [--seed S] [--host N]
           [--gencap BINARY | --policy-only]

writes into DIR:
  classes.txt               the traffic classes (gencap's input)
  security-groups.json      describe-security-groups: R inbound rules over G groups + 2 outbound
  network-acls.json         describe-network-acls: N entries, associated with the instance's subnet
  network-interfaces.json   describe-network-interfaces: 10.0.0.5 and 2001:db8:0:1::5 (--host), the G groups
  subnets.json              describe-subnets: 10.0.0.0/24, 2001:db8:0:1::/64
  cloudtrail.json           CloudTrail log: E RevokeSecurityGroupIngress of rules in use, spread evenly
  capture.pcap              FRAMES frames over FLOWS flows (unless --policy-only)
  params.json               the arguments, to tell whether DIR is up to date

The traffic is C classes (default C = R): a class is a protocol, a family and a peer block (an IPv4
/16 or an IPv6 /48) with a service port or port range. Classes are laid out per (protocol, family)
segment in contiguous address and port space, and the R rules split each segment's classes into
contiguous chunks, one rule per chunk (the smallest CIDR and port range covering it). So with C = R
every rule is one class, and with C = 1000 the policies of 10 and of 1000 rules give the same
verdicts to the same capture: only the rule count differs. Every rule is matched by traffic; every
peer rule is narrower than 0.0.0.0/0, so every permitted TCP and UDP flow is tracked.

Flows pick a class by weight (the protocol mix times the family share, spread evenly over the
segment's classes); --unmatched of the flows come from 150.0.0.0/15 (no rule: dropped) and
--nacl-denied from the blocks the NACL's deny entries name (185.k.0.0/16); these two kinds are
one-way (the instance never answers), so every one of their frames is dropped. Deterministic: the same
arguments give the same files, byte for byte.
"""
import argparse
import ipaddress
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timezone

START = 1700000000  # 2023-11-14T22:13:20Z, the first frame's time (gencap and ../shared/bench/gen.c)
SUBNET4, SUBNET6 = "10.0.0.0/24", "2001:db8:0:1::/64"
PROTOCOLS = ("tcp", "udp", "icmp", "other")
BASE4 = {"tcp": 64 << 24, "udp": 80 << 24, "icmp": 96 << 24, "other": 112 << 24}   # each a /4
BASE6 = {"tcp": 0x26001F10, "udp": 0x26001F20, "icmp": 0x26001F30, "other": 0x26001F40}  # each a /32
WELL_KNOWN = {"tcp": [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9200, 27017],
              "udp": [53, 123, 161, 500, 514, 1194, 4500, 5060, 8125, 11211]}
MAX_CLASSES = 4096  # per segment: /16s in a /4, and the port plan below


def apportion(total, weights, minimum):
    """Split total over weights (largest remainder), at least `minimum` for each nonzero weight."""
    live = [i for i, w in enumerate(weights) if w > 0]
    counts = [0] * len(weights)
    if not live:
        return counts
    for i in live:
        counts[i] = minimum
    rest = total - minimum * len(live)
    if rest < 0:
        raise SystemExit(f"gen.py: {total} is too few for {len(live)} protocol/family segments")
    s = sum(weights[i] for i in live)
    exact = {i: rest * weights[i] / s for i in live}
    for i in live:
        counts[i] += int(exact[i])
    left = total - sum(counts)
    for i in sorted(live, key=lambda i: exact[i] - int(exact[i]), reverse=True)[:left]:
        counts[i] += 1
    return counts


def service_ports(protocol, k):
    """Class k's port range in its segment (0, 0 for ICMP and other protocols). Every service port is
    below 32768, where the instance's own ephemeral ports start (gencap), so a reply to a flow the
    instance opened never matches an inbound rule, however coarse."""
    if protocol not in WELL_KNOWN:
        return 0, 0
    if k < len(WELL_KNOWN[protocol]):
        p = WELL_KNOWN[protocol][k]
        return p, p
    if k % 10 == 9 and k < 128:  # every tenth of the first classes is a port range
        lo = (30000 + 16 * k) if protocol == "tcp" else (26000 + 8 * k)
        return lo, lo + (15 if protocol == "tcp" else 7)
    p = (10000 if protocol == "tcp" else 20000) + k
    return p, p


def block(protocol, family, k):
    """Class k's peer block as (integer network, prefix length)."""
    if family == 4:
        return BASE4[protocol] + (k << 16), 16
    return (BASE6[protocol] << 96) | (k << 80), 48


def covering(protocol, family, first, last):
    """The smallest CIDR covering the blocks of classes first..last."""
    bits = 32 if family == 4 else 128
    lo, plen = block(protocol, family, first)
    hi_net, _ = block(protocol, family, last)
    hi = hi_net | ((1 << (bits - plen)) - 1)
    prefix = bits - (lo ^ hi).bit_length()
    network = lo & ~((1 << (bits - prefix)) - 1) & ((1 << bits) - 1)
    cls = ipaddress.IPv4Network if family == 4 else ipaddress.IPv6Network
    return str(cls((network, prefix)))


def hex_address(value, family):
    return f"{value:08x}" if family == 4 else f"{value:032x}"


def permission(protocol, family, cidr, lo, hi):
    """One describe-security-groups IpPermission with one peer."""
    p = {"IpProtocol": protocol if protocol in ("tcp", "udp") else
         ("icmp" if family == 4 else "icmpv6") if protocol == "icmp" else "47",
         "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
    if protocol in ("tcp", "udp"):
        p["FromPort"], p["ToPort"] = lo, hi
    elif protocol == "icmp":
        p["FromPort"], p["ToPort"] = (8 if family == 4 else 128), -1  # echo request, any code
    if family == 4:
        p["IpRanges"].append({"CidrIp": cidr})
    else:
        p["Ipv6Ranges"].append({"CidrIpv6": cidr})
    return p


def cloudtrail_revoke(group, p, when):
    """A RevokeSecurityGroupIngress record for permission p, as CloudTrail logs it."""
    item = {"ipProtocol": p["IpProtocol"], "groups": {}, "prefixListIds": {}}
    if "FromPort" in p:
        item["fromPort"], item["toPort"] = p["FromPort"], p["ToPort"]
    item["ipRanges"] = {"items": [{"cidrIp": r["CidrIp"]} for r in p["IpRanges"]]} if p["IpRanges"] else {}
    item["ipv6Ranges"] = {"items": [{"cidrIpv6": r["CidrIpv6"]} for r in p["Ipv6Ranges"]]} if p["Ipv6Ranges"] else {}
    return {"eventVersion": "1.08", "eventTime": when, "eventSource": "ec2.amazonaws.com",
            "eventName": "RevokeSecurityGroupIngress", "awsRegion": "us-east-1",
            "requestParameters": {"groupId": group, "ipPermissions": {"items": [item]}},
            "responseElements": {"_return": True}}


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--out", required=True)
    a.add_argument("--frames", type=int, default=10_000_000)
    a.add_argument("--flows", type=int, default=200_000)
    a.add_argument("--rules", type=int, default=300, help="inbound security group rules")
    a.add_argument("--classes", type=int, default=0, help="traffic classes (default: --rules)")
    a.add_argument("--groups", type=int, default=4)
    a.add_argument("--edits", type=int, default=2, help="revokes of rules in use, spread over the capture")
    a.add_argument("--mix", default="70,20,8,2", help="TCP,UDP,ICMP,other flow shares")
    a.add_argument("--ipv6", type=float, default=0.1, help="share of IPv6 flows")
    a.add_argument("--outbound", type=float, default=0.1, help="share of flows the instance initiates")
    a.add_argument("--unmatched", type=float, default=0.01, help="share of flows no rule permits")
    a.add_argument("--nacl", type=int, default=20, help="NACL entries (4 allow-all, the rest inbound denies)")
    a.add_argument("--nacl-denied", type=float, default=0.01, help="share of flows from NACL-denied blocks")
    a.add_argument("--gap-us", type=int, default=10, help="mean gap between frames, microseconds")
    a.add_argument("--open-all", action="store_true", help="the first FLOWS frames open every flow")
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--host", type=int, default=5,
                   help="the instance is 10.0.0.HOST and 2001:db8:0:1::HOST (hex), interface eni-0gen (eni-0genHOST unless 5)")
    a.add_argument("--gencap", help="the compiled gencap.c")
    a.add_argument("--policy-only", action="store_true")
    o = a.parse_args()
    if not 1 <= o.host <= 254:
        raise SystemExit("gen.py: --host must be 1..254")
    instance4, instance6 = f"10.0.0.{o.host}", f"2001:db8:0:1::{o.host:x}"
    eni_id = "eni-0gen" if o.host == 5 else f"eni-0gen{o.host}"
    classes_total = o.classes or o.rules
    mix = [float(x) for x in o.mix.split(",")]
    if len(mix) != 4 or min(mix) < 0 or sum(mix) <= 0:
        raise SystemExit("gen.py: --mix takes four non-negative shares: TCP,UDP,ICMP,other")
    if classes_total < o.rules:
        raise SystemExit("gen.py: --classes must be at least --rules (every rule gets traffic)")
    if o.nacl < 4 or o.nacl - 4 > 256:
        raise SystemExit("gen.py: --nacl must be 4..260")
    if not 0 <= o.unmatched + o.nacl_denied < 1:
        raise SystemExit("gen.py: --unmatched + --nacl-denied must be below 1")
    if not o.policy_only and not o.gencap:
        raise SystemExit("gen.py: give --gencap (or --policy-only)")
    os.makedirs(o.out, exist_ok=True)
    rng = random.Random(o.seed)

    # Segments: (protocol, family) with their flow share.
    segments = []
    for protocol, share in zip(PROTOCOLS, mix):
        for family, fshare in ((4, 1 - o.ipv6), (6, o.ipv6)):
            segments.append((protocol, family, share / sum(mix) * fshare))
    weights = [s[2] for s in segments]
    rule_counts = apportion(o.rules, weights, 1)
    class_counts = [r + e for r, e in zip(rule_counts, apportion(classes_total - o.rules, weights, 0))]
    if max(class_counts) > MAX_CLASSES:
        raise SystemExit(f"gen.py: at most {MAX_CLASSES} classes per protocol and family")

    lines = [f"# gen.py {' '.join(sys.argv[1:])}",
             f"instance {hex_address(int(ipaddress.IPv4Address(instance4)), 4)} "
             f"{hex_address(int(ipaddress.IPv6Address(instance6)), 6)}"]
    permitted_share = 1 - o.unmatched - o.nacl_denied
    rules = []  # (permission, segment index)
    for si, ((protocol, family, share), n_rules, n_classes) in enumerate(zip(segments, rule_counts, class_counts)):
        if share <= 0:
            continue
        number = {"tcp": 6, "udp": 17, "icmp": 1 if family == 4 else 58, "other": 47}[protocol]
        for k in range(n_classes):
            net, plen = block(protocol, family, k)
            lo, hi = service_ports(protocol, k)
            lines.append(f"class {share * permitted_share / n_classes:.12g} {number} {family} "
                         f"{hex_address(net, family)} {plen} {lo} {hi} {o.outbound}")
        for j in range(n_rules):
            first, last = j * n_classes // n_rules, (j + 1) * n_classes // n_rules - 1
            ports = [service_ports(protocol, k) for k in range(first, last + 1)]
            rules.append(permission(protocol, family, covering(protocol, family, first, last),
                                    min(p[0] for p in ports), max(p[1] for p in ports)))
    # Traffic no rule permits (dropped by the groups) and traffic the NACL denies.
    if o.unmatched > 0:
        lines.append(f"class {o.unmatched * 0.7:.12g} 6 4 {hex_address(150 << 24, 4)} 16 23 23 -1")
        lines.append(f"class {o.unmatched * 0.3:.12g} 17 4 {hex_address((150 << 24) | (1 << 16), 4)} 16 1900 1900 -1")
    denies = o.nacl - 4
    if o.nacl_denied > 0:
        if denies == 0:
            raise SystemExit("gen.py: --nacl-denied needs deny entries (--nacl above 4)")
        used = min(denies, 8)
        for k in range(used):  # the last entries before the allow: each packet walks most of the list
            b = (185 << 24) | ((denies - 1 - k) << 16)
            lines.append(f"class {o.nacl_denied / used:.12g} 6 4 {hex_address(b, 4)} 16 443 443 -1")
    with open(os.path.join(o.out, "classes.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # Security groups: inbound rules dealt round-robin over the groups; outbound all in the first.
    n_groups = max(1, min(o.groups, len(rules)))
    group_ids = [f"sg-0gen{g:012d}" for g in range(n_groups)]
    groups = [{"Description": f"benchmark group {g}", "GroupName": f"bench-{g}", "GroupId": group_ids[g],
               "OwnerId": "123456789012", "VpcId": "vpc-0gen", "IpPermissions": [], "IpPermissionsEgress": []}
              for g in range(n_groups)]
    owner = []
    for r, p in enumerate(rules):
        groups[r % n_groups]["IpPermissions"].append(p)
        owner.append(group_ids[r % n_groups])
    groups[0]["IpPermissionsEgress"].append(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
         "PrefixListIds": [], "UserIdGroupPairs": []})

    entries = []
    for k in range(denies):
        entries.append({"RuleNumber": 100 + 10 * k, "Protocol": "-1", "RuleAction": "deny", "Egress": False,
                        "CidrBlock": f"185.{k}.0.0/16"})
    entries += [
        {"RuleNumber": 30000, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 30001, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "Ipv6CidrBlock": "::/0"},
        {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "Ipv6CidrBlock": "::/0"},
        {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": True, "CidrBlock": "0.0.0.0/0"},
    ]
    acl = {"NetworkAcls": [{"NetworkAclId": "acl-0gen", "IsDefault": False, "VpcId": "vpc-0gen",
                            "Associations": [{"NetworkAclAssociationId": "aclassoc-0gen", "NetworkAclId": "acl-0gen",
                                              "SubnetId": "subnet-0gen"}],
                            "Entries": entries}]}
    eni = {"NetworkInterfaces": [{
        "NetworkInterfaceId": eni_id, "SubnetId": "subnet-0gen", "VpcId": "vpc-0gen",
        "PrivateIpAddress": instance4, "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": instance4}],
        "Ipv6Addresses": [{"Ipv6Address": instance6}],
        "Groups": [{"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in groups],
        "Status": "in-use", "InterfaceType": "interface"}]}
    subnets = {"Subnets": [{"SubnetId": "subnet-0gen", "CidrBlock": SUBNET4, "VpcId": "vpc-0gen",
                            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": SUBNET6,
                                                             "Ipv6CidrBlockState": {"State": "associated"}}]}]}

    # Timeline: E revokes of distinct rules, at whole seconds spread evenly over the capture.
    duration = o.frames * o.gap_us / 1e6
    chosen = rng.sample(range(len(rules)), min(o.edits, len(rules)))
    records = []
    for j, r in enumerate(chosen):
        when = datetime.fromtimestamp(START + int(duration * (j + 1) / (len(chosen) + 1)), timezone.utc)
        records.append(cloudtrail_revoke(owner[r], rules[r], when.strftime("%Y-%m-%dT%H:%M:%SZ")))

    def write(name, value):
        with open(os.path.join(o.out, name), "w") as f:
            json.dump(value, f, indent=1)
            f.write("\n")
    write("security-groups.json", {"SecurityGroups": groups})
    write("network-acls.json", acl)
    write("network-interfaces.json", eni)
    write("subnets.json", subnets)
    write("cloudtrail.json", {"Records": records})
    print(f"gen.py: {len(rules)} inbound rules + 2 outbound in {n_groups} groups, {sum(class_counts)} classes, "
          f"{o.nacl} NACL entries, {len(records)} revokes over {duration:.0f} s", file=sys.stderr)

    if not o.policy_only:
        capture = os.path.join(o.out, "capture.pcap")
        subprocess.run([o.gencap, str(o.frames), str(o.flows), os.path.join(o.out, "classes.txt"), capture + ".part",
                        str(o.seed), str(o.gap_us), "1" if o.open_all else "0"], check=True)
        os.replace(capture + ".part", capture)
    # --host joined later: left out at its default, so that existing data sets stay up to date.
    write("params.json", {k: v for k, v in vars(o).items() if k not in ("out", "gencap") and not (k == "host" and v == 5)})


if __name__ == "__main__":
    main()
