/*
 * Many live connections, cheaply: writes UDP/IPv4 frames through a packet socket on one interface, one datagram per
 * connection per round, CONNECTIONS distinct (source address, source port) pairs towards 10.97.0.1:9999, at PPS frames
 * a second, until SECONDS have passed (0: until SIGTERM). Source i is 10.98.(i / 1000 / 256).(i / 1000 % 256) port
 * 10000 + i % 1000. The destination MAC is no host's, so the receiving stack drops the frames (no ICMP answers), while
 * a tc hook on either end of the link still sees every one.
 *
 *   connflood IFNAME CONNECTIONS PPS [SECONDS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define FRAME 60
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static uint16_t checksum(const uint8_t *p, int n)
{
    uint32_t sum = 0;
    for (int i = 0; i < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void frame(uint8_t *f, long i)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x99}, src[6] = {0x02, 0, 0, 0, 0, 0x98};
    memset(f, 0, FRAME);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08; f[13] = 0x00;
    uint8_t *ip = f + 14;
    long host = i / 1000;
    ip[0] = 0x45; ip[2] = 0; ip[3] = 46; ip[8] = 64; ip[9] = 17;
    ip[12] = 10; ip[13] = 98; ip[14] = (uint8_t)(host / 256); ip[15] = (uint8_t)(host % 256);
    ip[16] = 10; ip[17] = 97; ip[18] = 0; ip[19] = 1;
    uint16_t c = checksum(ip, 20);
    ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    uint16_t sport = (uint16_t)(10000 + i % 1000);
    udp[0] = (uint8_t)(sport >> 8); udp[1] = (uint8_t)sport;
    udp[2] = 9999 >> 8; udp[3] = 9999 & 0xff;
    udp[4] = 0; udp[5] = 26; /* checksum 0: none, allowed over IPv4 */
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: connflood IFNAME CONNECTIONS PPS [SECONDS]\n"); return 2; }
    long connections = atol(argv[2]), pps = atol(argv[3]);
    double seconds = argc > 4 ? atof(argv[4]) : 0;
    if (connections < 1 || connections > 256L * 256 * 1000 || pps < BATCH) { fprintf(stderr, "connflood: bad CONNECTIONS or PPS\n"); return 2; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int s = socket(AF_PACKET, SOCK_RAW, 0);
    if (s < 0) { perror("connflood: socket"); return 1; }
    struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]), .sll_halen = 6};
    if (to.sll_ifindex == 0) { perror("connflood: interface"); return 1; }
    memcpy(to.sll_addr, "\x02\0\0\0\0\x99", 6);

    uint8_t *frames = malloc((size_t)connections * FRAME);
    if (!frames) { perror("connflood: malloc"); return 1; }
    for (long i = 0; i < connections; i++) frame(frames + i * FRAME, i);

    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long long sent = 0, failed = 0;
    long next = 0;
    while (!stop) {
        for (int k = 0; k < BATCH; k++) {
            iov[k].iov_base = frames + next * FRAME;
            iov[k].iov_len = FRAME;
            memset(&msgs[k], 0, sizeof msgs[k]);
            msgs[k].msg_hdr.msg_iov = &iov[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
            msgs[k].msg_hdr.msg_name = &to;
            msgs[k].msg_hdr.msg_namelen = sizeof to;
            next = (next + 1) % connections;
        }
        int n = sendmmsg(s, msgs, BATCH, 0);
        if (n < 0) { failed += BATCH; } else { sent += (unsigned long long)n; failed += (unsigned long long)(BATCH - n); }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (seconds > 0 && elapsed >= seconds) break;
        double due = (double)(sent + failed) / (double)pps;
        if (due > elapsed) {
            double wait = due - elapsed;
            struct timespec w = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&w, NULL);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    fprintf(stderr, "connflood: %llu frames sent, %llu failed, %.1f s, %.0f frames/s, %ld connections\n", sent, failed, elapsed, (double)sent / elapsed, connections);
    return 0;
}
