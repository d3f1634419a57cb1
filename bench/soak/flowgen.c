/*
 * Lab traffic generator for the load and soak benchmarks: writes hand-built Ethernet/IPv4 frames to one interface
 * through an AF_PACKET socket, paced by the monotonic clock, every tuple chosen so the i-th connection is unique.
 * The destination MAC is a locally administered address nobody owns, so the peer drops the frames at layer 2: they
 * exist only on the lab veth, where the exporter captures them.
 *
 *   flowgen IFACE churn RATE SECONDS       RATE new short connections per second for SECONDS: of every 5, two TCP with
 *                                          handshake, data and FIN both ways, one TCP refused by RST, two UDP
 *                                          request/response pairs that never close (they leave by timeout or eviction)
 *   flowgen IFACE fill COUNT PPS           COUNT UDP connections, one frame each, at PPS frames per second
 *   flowgen IFACE steady COUNT PPS SECONDS frames on the same COUNT tuples (round robin) at PPS for SECONDS
 *
 * Prints "name: value" lines on exit (also on SIGTERM/SIGINT): connections started per kind, frames and wire bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static int sock;
static struct sockaddr_ll dest;
static uint8_t src_mac[6];
static const uint8_t dst_mac[6] = {0x02, 0x5a, 0x00, 0x00, 0x00, 0x01};
static unsigned long long frames, wire_bytes, tcp_fin, tcp_rst, udp_pairs, udp_single;

enum { FLAG_FIN = 0x01, FLAG_SYN = 0x02, FLAG_RST = 0x04, FLAG_PSH = 0x08, FLAG_ACK = 0x10 };

static void on_signal(int sig) { (void)sig; stopping = 1; }

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint16_t checksum(const uint8_t *data, int length, uint32_t sum)
{
    for (int i = 0; i + 1 < length; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (length & 1) sum += data[length - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* One frame: Ethernet, IPv4 (no options), then a TCP (20 bytes) or UDP (8 bytes) header and `payload` zero bytes. */
static void send_frame(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, int tcp, int flags, int payload)
{
    uint8_t frame[1514];
    int l4 = tcp ? 20 : 8;
    int length = 14 + 20 + l4 + payload;
    memset(frame, 0, (size_t)length);
    memcpy(frame, dst_mac, 6);
    memcpy(frame + 6, src_mac, 6);
    frame[12] = 0x08;
    uint8_t *ip = frame + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((length - 14) >> 8);
    ip[3] = (uint8_t)(length - 14);
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    uint32_t s = htonl(src), d = htonl(dst);
    memcpy(ip + 12, &s, 4);
    memcpy(ip + 16, &d, 4);
    uint16_t c = checksum(ip, 20, 0);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *h = ip + 20;
    h[0] = (uint8_t)(sport >> 8); h[1] = (uint8_t)sport;
    h[2] = (uint8_t)(dport >> 8); h[3] = (uint8_t)dport;
    if (tcp) {
        h[4] = 0x10; /* sequence numbers are not checked by anyone here */
        h[12] = 0x50;
        h[13] = (uint8_t)flags;
        h[14] = 0xff; h[15] = 0xff;
    } else {
        h[4] = (uint8_t)((8 + payload) >> 8);
        h[5] = (uint8_t)(8 + payload);
    }
    while (sendto(sock, frame, (size_t)length, 0, (struct sockaddr *)&dest, sizeof dest) < 0) {
        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) { perror("sendto"); exit(1); }
        usleep(100);
    }
    frames++;
    wire_bytes += (unsigned long long)length;
}

/* The i-th client: 10.98.0.0/16 addresses, 60,000 ports each; servers 10.97.0.1-16. Unique for 3.9e9 connections. */
static uint32_t client_ip(uint64_t i, uint32_t base) { return base + (uint32_t)(i / 60000); }
static uint16_t client_port(uint64_t i) { return (uint16_t)(1024 + i % 60000); }
static uint32_t server_ip(uint64_t i) { return 0x0a610001u + (uint32_t)(i % 16); }

static void churn_connection(uint64_t i)
{
    uint32_t c = client_ip(i, 0x0a620000u), s = server_ip(i);
    uint16_t cp = client_port(i);
    switch (i % 5) {
    case 0: case 1:
        send_frame(c, cp, s, 80, 1, FLAG_SYN, 0);
        send_frame(s, 80, c, cp, 1, FLAG_SYN | FLAG_ACK, 0);
        send_frame(c, cp, s, 80, 1, FLAG_ACK | FLAG_PSH, 200);
        send_frame(s, 80, c, cp, 1, FLAG_ACK | FLAG_PSH | FLAG_FIN, 900);
        send_frame(c, cp, s, 80, 1, FLAG_ACK | FLAG_FIN, 0);
        send_frame(s, 80, c, cp, 1, FLAG_ACK, 0);
        tcp_fin++;
        break;
    case 2:
        send_frame(c, cp, s, 443, 1, FLAG_SYN, 0);
        send_frame(s, 443, c, cp, 1, FLAG_RST | FLAG_ACK, 0);
        tcp_rst++;
        break;
    default:
        send_frame(c, cp, s, 53, 0, 0, 60);
        send_frame(s, 53, c, cp, 0, 0, 180);
        udp_pairs++;
    }
}

static void steady_frame(uint64_t i, uint64_t count)
{
    uint64_t n = i % count;
    send_frame(client_ip(n, 0x0a600000u), client_port(n), server_ip(n), 8125, 0, 0, 100);
}

/* Calls `step` for 0..total-1 (or until `seconds` pass) at `rate` calls per second, in 1 ms slices. */
static void paced(double rate, double seconds, uint64_t total, void (*step)(uint64_t, uint64_t), uint64_t arg)
{
    double start = now_seconds();
    uint64_t done = 0;
    struct timespec slice = {0, 1000000};
    while (!stopping && done < total) {
        double elapsed = now_seconds() - start;
        if (seconds > 0 && elapsed >= seconds) break;
        uint64_t due = (uint64_t)(elapsed * rate);
        if (due > total) due = total;
        while (done < due && !stopping) step(done++, arg);
        nanosleep(&slice, NULL);
    }
}

static void churn_step(uint64_t i, uint64_t unused) { (void)unused; churn_connection(i); }
static void fill_step(uint64_t i, uint64_t count) { (void)count; steady_frame(i, UINT64_MAX); udp_single++; }
static void steady_step(uint64_t i, uint64_t count) { steady_frame(i, count); }

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: flowgen IFACE churn RATE SECONDS | fill COUNT PPS | steady COUNT PPS SECONDS\n");
        return 2;
    }
    sock = socket(AF_PACKET, SOCK_RAW, 0);
    if (sock < 0) { perror("socket(AF_PACKET)"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
    if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0) { perror(argv[1]); return 1; }
    memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
    memset(&dest, 0, sizeof dest);
    dest.sll_family = AF_PACKET;
    dest.sll_ifindex = (int)if_nametoindex(argv[1]);
    dest.sll_halen = 6;
    memcpy(dest.sll_addr, dst_mac, 6);
    int buffer = 4 << 20;
    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    double start = now_seconds();
    if (strcmp(argv[2], "churn") == 0 && argc == 5) {
        paced(atof(argv[3]), atof(argv[4]), UINT64_MAX, churn_step, 0);
    } else if (strcmp(argv[2], "fill") == 0 && argc == 5) {
        paced(atof(argv[4]), 0, strtoull(argv[3], NULL, 10), fill_step, 0);
    } else if (strcmp(argv[2], "steady") == 0 && argc == 6) {
        paced(atof(argv[4]), atof(argv[5]), UINT64_MAX, steady_step, strtoull(argv[3], NULL, 10));
    } else {
        fprintf(stderr, "flowgen: unknown mode or wrong arguments\n");
        return 2;
    }
    double elapsed = now_seconds() - start;
    printf("gen_seconds: %.1f\n", elapsed);
    printf("gen_connections_tcp_fin: %llu\n", tcp_fin);
    printf("gen_connections_tcp_rst: %llu\n", tcp_rst);
    printf("gen_connections_udp: %llu\n", udp_pairs + udp_single);
    printf("gen_frames: %llu\n", frames);
    printf("gen_wire_bytes: %llu\n", wire_bytes);
    printf("gen_frames_per_second: %.0f\n", frames / elapsed);
    return 0;
}
