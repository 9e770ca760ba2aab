// The floor every sgreplay figure is compared with: a bare libpcap read loop over the same file,
// doing nothing per frame but touching its first byte and adding up the captured lengths (so that
// neither the call nor the data can be optimised away). Same idea as ../shared/bench/loop.c.
//   gcc -O2 -o loop loop.c -lpcap && ./loop CAPTURE...   (several: read one after the other)
#include <pcap/pcap.h>
#include <stdio.h>

static unsigned long frames, sum;

static void touch(u_char *user, const struct pcap_pkthdr *header, const u_char *bytes) {
    (void)user;
    frames++;
    sum += header->caplen + (header->caplen ? bytes[0] : 0);
}

int main(int argc, char **argv) {
    char error[PCAP_ERRBUF_SIZE];
    if (argc < 2) { fprintf(stderr, "usage: loop CAPTURE...\n"); return 2; }
    for (int i = 1; i < argc; i++) {  // several captures: one after the other, as one reader would
        pcap_t *pcap = pcap_open_offline(argv[i], error);
        if (!pcap) { fprintf(stderr, "loop: %s\n", error); return 1; }
        if (pcap_loop(pcap, -1, touch, NULL) == PCAP_ERROR) { fprintf(stderr, "loop: %s\n", pcap_geterr(pcap)); return 1; }
        pcap_close(pcap);
    }
    printf("%lu frames %lu\n", frames, sum);
    return 0;
}
