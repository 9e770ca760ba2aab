// Synthetic benchmark capture: N Ethernet frames over F flows between one instance and the peers of
// a list of traffic classes (written by gen.py, which also writes the matching policy).
//
//   gencap FRAMES FLOWS CLASSES.txt OUT.pcap [SEED] [MEAN_GAP_US] [OPEN_ALL]
//
// CLASSES.txt:
//   instance <IPv4 as 8 hex digits> <IPv6 as 32 hex digits>
//   class <weight> <protocol> <4|6> <peer block, hex> <prefix length> <port low> <port high> <outbound share>
//
// Each flow f gets, from a hash of (seed, f): a class (by weight), a peer address inside the class's
// block, and a service port in the class's range (TCP and UDP; ICMP: echo, identifier = f; other
// protocols: addresses only). The initiator's port is 1024 + f mod 64000 for a peer, and
// 32768 + f mod 28232 for the instance. A flow is initiated by the peer
// (inbound to the service port) or, with the class's outbound share, by the instance (outbound to
// it); a negative outbound share makes the class one-way: only the peer sends (TCP: SYNs, a scan
// that nothing answers). Frames pick a flow uniformly at random (like ../shared/bench/gen.c); with OPEN_ALL=1 the first
// F frames open flows 0..F-1 in order, so that every flow is live early. The first packet of a
// flow is sent by its initiator (TCP: SYN), the second by the responder (TCP: SYN-ACK), then either
// side at random (TCP: ACK). Inter-frame gaps are 1..2·MEAN_GAP_US-1 µs (default mean 10 µs).
// Classic pcap, microsecond timestamps, start 1700000000 (2023-11-14T22:13:20Z). Deterministic.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double cumulative;
    int protocol, family, prefix, portLow, portHigh;
    double outboundShare;
    uint8_t block[16];
} Class;

static uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t state = 88172645463325252ULL;
static uint64_t rnd(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

static int hexBytes(const char *text, uint8_t *out, int n) {
    if ((int)strlen(text) != 2 * n) return -1;
    for (int i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static uint16_t checksum(const uint8_t *p, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void le32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: gencap FRAMES FLOWS CLASSES.txt OUT.pcap [SEED] [MEAN_GAP_US] [OPEN_ALL]\n");
        return 2;
    }
    long frames = atol(argv[1]), flows = atol(argv[2]);
    uint64_t seed = argc > 5 ? strtoull(argv[5], 0, 10) : 1;
    long gap = argc > 6 ? atol(argv[6]) : 10;
    int openAll = argc > 7 && atoi(argv[7]) != 0;
    if (frames < 0 || flows < 1 || gap < 1) { fprintf(stderr, "gencap: bad arguments\n"); return 2; }

    FILE *in = fopen(argv[3], "r");
    if (!in) { perror(argv[3]); return 1; }
    uint8_t instance4[4], instance6[16];
    int haveInstance = 0, count = 0, capacity = 64;
    Class *classes = malloc(sizeof(Class) * capacity);
    double total = 0;
    char line[512];
    while (fgets(line, sizeof line, in)) {
        char a[64], b[64];
        double weight, outbound;
        Class c;
        if (sscanf(line, "instance %63s %63s", a, b) == 2) {
            if (hexBytes(a, instance4, 4) || hexBytes(b, instance6, 16)) { fprintf(stderr, "gencap: bad instance line\n"); return 2; }
            haveInstance = 1;
        } else if (sscanf(line, "class %lf %d %d %63s %d %d %d %lf", &weight, &c.protocol, &c.family, a, &c.prefix,
                          &c.portLow, &c.portHigh, &outbound) == 8) {
            memset(c.block, 0, 16);
            if (hexBytes(a, c.block, c.family == 4 ? 4 : 16)) { fprintf(stderr, "gencap: bad block %s\n", a); return 2; }
            if (weight <= 0) continue;
            total += weight;
            c.cumulative = total;
            c.outboundShare = outbound;
            if (count == capacity) classes = realloc(classes, sizeof(Class) * (capacity *= 2));
            classes[count++] = c;
        }
    }
    fclose(in);
    if (!haveInstance || count == 0) { fprintf(stderr, "gencap: %s has no instance or no class\n", argv[3]); return 2; }

    FILE *out = fopen(argv[4], "wb");
    if (!out) { perror(argv[4]); return 1; }
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    uint8_t header[24];
    le32(header, 0xa1b2c3d4); header[4] = 2; header[5] = 0; header[6] = 4; header[7] = 0;
    le32(header + 8, 0); le32(header + 12, 0); le32(header + 16, 65535); le32(header + 20, 1);
    fwrite(header, 1, 24, out);

    uint8_t *packets = calloc((size_t)flows, 1);  // packets sent so far per flow, saturating at 255
    state ^= splitmix(seed);
    uint64_t t = 1700000000ULL * 1000000ULL;
    uint8_t frame[160];
    for (long i = 0; i < frames; i++) {
        long f = (openAll && i < flows) ? i : (long)(rnd() % (uint64_t)flows);
        uint64_t h = splitmix(seed * 0x100000001b3ULL ^ (uint64_t)f);
        double u = (double)(h >> 11) / 9007199254740992.0 * total;
        int lo = 0, hi = count - 1;
        while (lo < hi) { int mid = (lo + hi) / 2; if (classes[mid].cumulative > u) hi = mid; else lo = mid + 1; }
        const Class *c = &classes[lo];
        uint64_t h2 = splitmix(h), h3 = splitmix(h2);
        int oneWay = c->outboundShare < 0;
        int outboundFlow = !oneWay && (double)(h3 >> 11) / 9007199254740992.0 < c->outboundShare;

        // Who sends this packet: the initiator first, the responder second, then either at random.
        int n = packets[f];
        if (n < 255) packets[f] = (uint8_t)(n + 1);
        int fromInitiator = oneWay || n == 0 ? 1 : n == 1 ? 0 : (int)(rnd() & 1);
        int fromPeer = fromInitiator != outboundFlow;

        uint8_t peer[16];
        int bytes = c->family == 4 ? 4 : 16;
        for (int k = 0; k < bytes; k++) {
            int bitsLeft = c->prefix - 8 * k;
            uint8_t mask = bitsLeft >= 8 ? 0xff : bitsLeft <= 0 ? 0 : (uint8_t)(0xff << (8 - bitsLeft));
            uint8_t random = (uint8_t)(k < 8 ? (h2 >> (8 * k)) : (h3 >> (8 * (k - 8))));
            peer[k] = (uint8_t)((c->block[k] & mask) | (random & ~mask));
        }
        const uint8_t *instance = c->family == 4 ? instance4 : instance6;
        const uint8_t *src = fromPeer ? peer : instance, *dst = fromPeer ? instance : peer;
        unsigned service = (unsigned)(c->portLow + (long)((h3 >> 20) % (uint64_t)(c->portHigh - c->portLow + 1)));
        // The initiator's port: a peer's anywhere in 1024-65023, the instance's in Linux's ephemeral
        // range 32768-60999 (gen.py keeps every service port below 32768).
        unsigned ephemeral = (unsigned)(outboundFlow ? 32768 + f % 28232 : 1024 + f % 64000);

        memset(frame, 0, sizeof frame);
        memcpy(frame, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
        uint8_t *ip = frame + 14, *l4;
        int l4Length;
        switch (c->protocol) {
        case 6: l4Length = 20 + 16; break;
        case 17: l4Length = 8 + 16; break;
        case 1: case 58: l4Length = 8 + 16; break;
        default: l4Length = 4 + 16; break;  // GRE: 4-byte header, then payload
        }
        int ipLength;
        if (c->family == 4) {
            put16(frame + 12, 0x0800);
            ipLength = 20 + l4Length;
            ip[0] = 0x45; put16(ip + 2, (unsigned)ipLength); put16(ip + 4, (unsigned)i); ip[8] = 64; ip[9] = (uint8_t)c->protocol;
            memcpy(ip + 12, src, 4); memcpy(ip + 16, dst, 4);
            put16(ip + 10, checksum(ip, 20));
            l4 = ip + 20;
        } else {
            put16(frame + 12, 0x86dd);
            ipLength = 40 + l4Length;
            ip[0] = 0x60; put16(ip + 4, (unsigned)l4Length); ip[6] = (uint8_t)c->protocol; ip[7] = 64;
            memcpy(ip + 8, src, 16); memcpy(ip + 24, dst, 16);
            l4 = ip + 40;
        }
        // Ports: the initiator's ephemeral port to the responder's service port.
        unsigned initiatorPort = ephemeral, responderPort = service;
        unsigned sport = fromInitiator ? initiatorPort : responderPort, dport = fromInitiator ? responderPort : initiatorPort;
        switch (c->protocol) {
        case 6:
            put16(l4, sport); put16(l4 + 2, dport);
            put16(l4 + 4, (unsigned)(f >> 16)); put16(l4 + 6, (unsigned)f);  // sequence number
            l4[12] = 0x50;
            l4[13] = n == 0 || oneWay ? 0x02 : n == 1 ? 0x12 : 0x10;             // SYN, SYN-ACK, ACK
            put16(l4 + 14, 65535);
            break;
        case 17:
            put16(l4, sport); put16(l4 + 2, dport); put16(l4 + 4, (unsigned)l4Length);
            break;
        case 1: case 58: {
            int request = fromInitiator;
            l4[0] = (uint8_t)(c->protocol == 1 ? (request ? 8 : 0) : (request ? 128 : 129));
            put16(l4 + 4, (unsigned)f); put16(l4 + 6, (unsigned)i);
            break;
        }
        default:
            put16(l4 + 2, 0x0800);  // GRE carrying IPv4 (the payload is not decoded)
            break;
        }
        int length = 14 + ipLength;
        t += 1 + rnd() % (uint64_t)(2 * gap - 1);
        uint8_t record[16];
        le32(record, (uint32_t)(t / 1000000)); le32(record + 4, (uint32_t)(t % 1000000));
        le32(record + 8, (uint32_t)length); le32(record + 12, (uint32_t)length);
        fwrite(record, 1, 16, out);
        fwrite(frame, 1, (size_t)length, out);
    }
    if (fclose(out) != 0) { perror(argv[4]); return 1; }
    return 0;
}
