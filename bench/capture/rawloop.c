/* The raw limit: libpcap's own read loop over a capture file, counting packets and wire bytes, nothing else. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    double best = 0;
    for (int run = 0; run < 3; run++) {
        pcap_t *p = pcap_open_offline(argv[1], errbuf);
        if (!p) { fprintf(stderr, "%s\n", errbuf); return 2; }
        struct pcap_pkthdr *h; const u_char *d;
        unsigned long long packets = 0, bytes = 0;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        while (pcap_next_ex(p, &h, &d) == 1) { packets++; bytes += h->len; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double seconds = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        if (packets / seconds > best) best = packets / seconds;
        pcap_close(p);
        if (run == 2) fprintf(stderr, "raw loop read %llu packets, %llu bytes\n", packets, bytes);
    }
    printf("raw_c_pcap_next_ex_packets_per_second: %.0f\n", best);
    return 0;
}
