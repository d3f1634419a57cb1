// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// FlowExporter's in-kernel connection accounting: a TC classifier (clsact ingress and egress, direct action) that
// decodes each frame and counts it in its connection's entry. UAPI headers and __sk_buff only: the kernels this runs on
// may have no BTF (no vmlinux.h, no CO-RE). It never drops and never decides: every path returns TC_ACT_UNSPEC, so the
// filters of other tools after ours on the hook still run (TC_ACT_OK would end the hook's classification there).
//
// Layout and the sweep protocol are described in docs/ebpf.md; user space reads them in
// src/FlowExporter/Capture/Ebpf (EbpfMapLayout.cs mirrors the structs below byte for byte).

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HEADERS 8

#define IPPROTO_ICMPV6_NUMBER 58 // linux/in6.h pulls in more than the UAPI headers used here

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

// flow_value.handshake: the handshake RTT of the interval was measured, by which segment.
#define HANDSHAKE_MEASURED 0x1
#define HANDSHAKE_ACK_FROM_B 0x2 // the completing ACK was B's
#define HANDSHAKE_ACK_RST 0x4    // and carried RST (a refusal, not a handshake)

// flow_value.unreachable: an ICMP/ICMPv6 destination unreachable quoted a packet of this connection sent by A or B.
#define UNREACHABLE_QUOTED_FROM_A 0x1
#define UNREACHABLE_QUOTED_FROM_B 0x2

// tcp_side.last_kinds, and the kinds of a segment (TcpSegmentKinds in src/Correlator/Quality).
#define KIND_RETRANSMISSION 0x1
#define KIND_ZERO_WINDOW 0x2
#define KIND_KEEP_ALIVE 0x4
#define KIND_ZERO_WINDOW_PROBE 0x8
#define FAST_RETRANSMISSION_WINDOW_NS 20000000ULL
#define DEFAULT_OUT_OF_ORDER_NS 3000000ULL

// Evidence bits: which side sent a SYN without ACK and which a SYN-ACK.
#define EVIDENCE_SYN_FROM_A 0x1
#define EVIDENCE_SYN_FROM_B 0x2
#define EVIDENCE_SYNACK_FROM_A 0x4
#define EVIDENCE_SYNACK_FROM_B 0x8

// Indexes of the counters array.
enum counter {
	COUNTER_MAP_FULL = 0,      // a new connection found its map full: its packet is not counted
	COUNTER_NOT_IP = 1,        // not IPv4/IPv6 (ARP, LLDP, ...)
	COUNTER_TRUNCATED = 2,     // a header runs past the frame
	COUNTER_ORPHAN_FRAGMENT = 3, // a later fragment whose first fragment was not seen: ports unknown
	COUNTER_FRAGMENT_FULL = 4, // the fragment table could not take a first fragment
	COUNTER_UNSUPPORTED = 5,   // more VLAN tags or IPv6 extension headers than decoded
	COUNTER_COUNT = 8,
};

// A connection in canonical order: endpoint A is the lower (address, port), as ConnectionKey orders it, so both
// directions land in one entry. Addresses are 16 bytes in network order, IPv4 as ::ffff:a.b.c.d. Ports in host order.
struct flow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__u32 ifindex;
	__u16 port_a;
	__u16 port_b;
	__u8 protocol;
	__u8 pad[3];
};

// What one connection carried since the entry was created (in this generation's map). Updated with atomics: one
// entry per connection for every CPU (no per-CPU copies), and the first packet's facts are set once, by the CPU whose
// insert created the entry.
struct flow_value {
	__u64 bytes_from_a;
	__u64 bytes_from_b;
	__u64 packets_from_a; // segments: a GSO packet counts gso_segs
	__u64 packets_from_b;
	__u64 first_ns; // bpf_ktime_get_ns (CLOCK_MONOTONIC)
	__u64 last_ns;
	__u64 syn_ns;    // first SYN without ACK
	__u64 synack_ns; // first SYN-ACK
	__u32 tcp_flags_from_a; // OR of every TCP flags byte A sent
	__u32 tcp_flags_from_b;
	__u32 evidence; // EVIDENCE_* bits
	__u8 first_from_b; // the entry's first packet was sent by B
	__u8 first_tcp_flags; // and carried these TCP flags
	__u16 vlan_id; // the first packet's outermost VLAN id (0: untagged)
	__u64 ip_bytes_from_a; // IP octets (IP header onwards), as the libpcap engine's DecodedPacket.IpLength sums them
	__u64 ip_bytes_from_b;
	__u64 handshake_rtt_ns; // latest SYN to the first ACK without SYN after it (HANDSHAKE_* in handshake says whose)
	__u32 retransmissions_from_a; // segments the sequence analysis (tcp_state) marked retransmitted, sent by A
	__u32 retransmissions_from_b;
	__u32 zero_windows_from_a; // segments advertising a zero window (not probes, not SYN/FIN/RST), sent by A
	__u32 zero_windows_from_b;
	__u32 handshake; // HANDSHAKE_* bits
	__u32 unreachable; // UNREACHABLE_* bits
};

// Sequence analysis of one direction of a TCP connection: TcpDirectionState in src/Correlator/Quality, the numbers of
// tshark's per-flow state its retransmission decision reads.
struct tcp_side {
	__u64 next_seq_ns; // when next_seq last advanced
	__u64 last_ack_ns; // when this side last sent a segment
	__u32 next_seq; // highest sequence number past the end of any segment (SYN and FIN count one); 0: none yet
	__u32 last_ack; // acknowledgement number of the last segment this side sent
	__s32 window; // raw window of that segment; -1 before the first
	__u16 dup_acks; // duplicate ACKs in a row (saturating)
	__u8 last_kinds; // KIND_KEEP_ALIVE / KIND_ZERO_WINDOW_PROBE of the last segment
	__u8 pad;
};

// A connection's sequence analysis and handshake clock. Outside the flow maps on purpose: it must outlive the sweep
// that drains a generation (the flow maps hold one interval's deltas; this holds what the next interval compares with).
struct tcp_state {
	struct tcp_side a;
	struct tcp_side b;
	__u64 syn_ns; // latest SYN without ACK, either way (tshark's ts_mru_syn)
	__u64 initial_rtt_ns; // that SYN to the first segment with ACK and without SYN after it; 0 until then
};

// Ports of the first fragment of a fragmented datagram, so its later fragments reach the same connection.
struct fragment_key {
	__u8 source[16];
	__u8 destination[16];
	__u32 id;
	__u8 protocol;
	__u8 pad[3];
};

struct fragment_ports {
	__u16 source;
	__u16 destination;
};

#ifndef FLOW_ENTRIES
#define FLOW_ENTRIES 65536
#endif

// Two generations: the program counts into flows_0 or flows_1 as control[0] says; user space flips it, waits until
// every program that may still write the old map has finished (control[1] entries against control[2] exits, per CPU),
// then drains the old map. No count is lost between sweeps and no entry is written while it is read.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOW_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows_0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOW_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows_1 SEC(".maps");

// [0]: the generation being written (0 or 1), set by user space.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} generation SEC(".maps");

// Per CPU: [0] program runs entered, [1] runs finished. Entry is an atomic add (a full barrier) before the generation
// is read, so a run that read the old generation is visible to user space's read of the entries after its flip.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// Per attached device (by ifindex), set by user space when it attaches: DEVICE_SOFTWARE_SEGMENTATION when the device
// lacks TCP segmentation offload, so the kernel cuts a TCP GSO packet into segments after the egress hook and before the
// packet taps: libpcap then sees every segment with its own headers.
#define DEVICE_SOFTWARE_SEGMENTATION 0x1
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fragment_key);
	__type(value, struct fragment_ports);
} fragments SEC(".maps");

// TCP connections' sequence analysis, by the flow key (sized as a flow map by user space). LRU: the state of a
// connection long gone is what gets evicted when the map is full; a new SYN with another ISN starts the state afresh.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct tcp_state);
} tcp_states SEC(".maps");

struct packet {
	struct flow_key key; // source in addr_a/port_a, destination in addr_b/port_b until canonical order
	__u32 fragment_id;
	__u16 headers; // bytes from the frame's start to the TCP payload (0 when not known)
	__u16 network_offset; // bytes from the frame's start to the IP header
	__u32 ip_length; // IP octets the header states (IPv4 total length, IPv6 40 + payload length); 0: not stated
	__u16 vlan_id; // outermost VLAN id (the first non-zero one, as the libpcap engine reads the tags)
	__u8 tcp_flags;
	__u8 has_tcp_flags;
	__u8 first_fragment;
	__u8 later_fragment;
	__u8 has_tcp_header; // the fixed header was read and the IP length holds it: sequence analysis applies
	__u8 quoted; // an ICMP destination unreachable whose quoted packet is in quote_key (source in addr_a/port_a)
	__u16 tcp_window;
	__u32 tcp_seq;
	__u32 tcp_ack;
	__u32 tcp_payload; // payload bytes (the IP length less the IP and TCP headers)
	struct flow_key quote_key;
};

static __always_inline void count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);
	if (value)
		*value += 1;
}

static __always_inline void set_v4(__u8 *address, __be32 v4)
{
	__builtin_memset(address, 0, 10);
	address[10] = 0xff;
	address[11] = 0xff;
	__builtin_memcpy(address + 12, &v4, 4);
}

// Returns the next header offset, or negative when the frame is cut short.
static __always_inline int decode_ipv4(struct __sk_buff *skb, int offset, struct packet *p)
{
	__u8 header[20];
	if (bpf_skb_load_bytes(skb, offset, header, sizeof(header)) < 0)
		return -1;
	if ((header[0] >> 4) != 4)
		return -1;
	int header_length = (header[0] & 0x0f) * 4;
	if (header_length < 20)
		return -1;
	p->key.protocol = header[9];
	p->ip_length = ((__u32)header[2] << 8) | header[3];
	__be32 source, destination;
	__builtin_memcpy(&source, header + 12, 4);
	__builtin_memcpy(&destination, header + 16, 4);
	set_v4(p->key.addr_a, source);
	set_v4(p->key.addr_b, destination);
	__u16 fragment_field = ((__u16)header[6] << 8) | header[7];
	__u16 fragment_offset = fragment_field & 0x1fff;
	int more = (fragment_field & 0x2000) != 0;
	if (more || fragment_offset) {
		p->fragment_id = ((__u32)header[4] << 8) | header[5];
		p->first_fragment = fragment_offset == 0;
		p->later_fragment = fragment_offset != 0;
	}
	return offset + header_length;
}

static __always_inline int decode_ipv6(struct __sk_buff *skb, int offset, struct packet *p)
{
	__u8 header[40];
	if (bpf_skb_load_bytes(skb, offset, header, sizeof(header)) < 0)
		return -1;
	if ((header[0] >> 4) != 6)
		return -1;
	__builtin_memcpy(p->key.addr_a, header + 8, 16);
	__builtin_memcpy(p->key.addr_b, header + 24, 16);
	__u32 payload_length = ((__u32)header[4] << 8) | header[5];
	p->ip_length = payload_length ? 40 + payload_length : 0;
	__u8 next = header[6];
	offset += 40;
	for (int i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
		__u8 ext[8];
		switch (next) {
		case 0:   // hop-by-hop
		case 43:  // routing
		case 60:  // destination options
		case 135: // mobility
		case 139: // HIP
		case 140: // shim6
			if (bpf_skb_load_bytes(skb, offset, ext, 2) < 0)
				return -1;
			next = ext[0];
			offset += ((int)ext[1] + 1) * 8;
			break;
		case 51: // authentication header
			if (bpf_skb_load_bytes(skb, offset, ext, 2) < 0)
				return -1;
			next = ext[0];
			offset += ((int)ext[1] + 2) * 4;
			break;
		case 44: { // fragment
			if (bpf_skb_load_bytes(skb, offset, ext, 8) < 0)
				return -1;
			next = ext[0];
			__u16 field = ((__u16)ext[2] << 8) | ext[3];
			__u16 fragment_offset = field & 0xfff8;
			p->fragment_id = ((__u32)ext[4] << 24) | ((__u32)ext[5] << 16) | ((__u32)ext[6] << 8) | ext[7];
			p->first_fragment = fragment_offset == 0;
			p->later_fragment = fragment_offset != 0;
			offset += 8;
			break;
		}
		default:
			p->key.protocol = next;
			return offset;
		}
	}
	count(COUNTER_UNSUPPORTED);
	return -2;
}

static __always_inline int has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP ||
	       protocol == IPPROTO_DCCP || protocol == IPPROTO_UDPLITE;
}

static __always_inline void fragment_key_of(const struct packet *p, struct fragment_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memcpy(key->source, p->key.addr_a, 16);
	__builtin_memcpy(key->destination, p->key.addr_b, 16);
	key->id = p->fragment_id;
	key->protocol = p->key.protocol;
}

// Reads ports (and TCP flags) at the transport offset; remembers or recalls a fragmented datagram's ports.
// Returns 0, or negative when the packet cannot be keyed.
// An ICMP destination unreachable (type 3) or ICMPv6 destination unreachable (type 1): reads the quoted packet's IP
// header and ports (IPv4 with options, IPv6 without extension headers) into quote_key, as the libpcap engine's decoder
// reads the quote (FrameDecoder.ReadQuote). What it cannot read is ignored: the ICMP packet still counts as ICMP.
static __always_inline void decode_quote(struct __sk_buff *skb, int offset, struct packet *p)
{
	__u8 icmp[2];
	if (bpf_skb_load_bytes(skb, offset, icmp, sizeof(icmp)) < 0)
		return;
	int quote = offset + 8;
	struct flow_key *q = &p->quote_key;
	int ports_at;
	if (p->key.protocol == IPPROTO_ICMP) {
		if (icmp[0] != 3)
			return;
		__u8 header[20];
		if (bpf_skb_load_bytes(skb, quote, header, sizeof(header)) < 0 || (header[0] >> 4) != 4)
			return;
		int header_length = (header[0] & 0x0f) * 4;
		if (header_length < 20 || ((((__u16)header[6] << 8) | header[7]) & 0x1fff) != 0)
			return; // a later fragment quoted: no ports
		q->protocol = header[9];
		__be32 source, destination;
		__builtin_memcpy(&source, header + 12, 4);
		__builtin_memcpy(&destination, header + 16, 4);
		set_v4(q->addr_a, source);
		set_v4(q->addr_b, destination);
		ports_at = quote + header_length;
	} else {
		if (icmp[0] != 1)
			return;
		__u8 header[40];
		if (bpf_skb_load_bytes(skb, quote, header, sizeof(header)) < 0 || (header[0] >> 4) != 6)
			return;
		q->protocol = header[6];
		__builtin_memcpy(q->addr_a, header + 8, 16);
		__builtin_memcpy(q->addr_b, header + 24, 16);
		ports_at = quote + 40;
	}
	if (!has_ports(q->protocol))
		return;
	__u8 ports[4];
	if (bpf_skb_load_bytes(skb, ports_at, ports, sizeof(ports)) < 0)
		return;
	q->port_a = ((__u16)ports[0] << 8) | ports[1];
	q->port_b = ((__u16)ports[2] << 8) | ports[3];
	p->quoted = 1;
}

static __always_inline int decode_transport(struct __sk_buff *skb, int offset, struct packet *p)
{
	if ((p->key.protocol == IPPROTO_ICMP || p->key.protocol == IPPROTO_ICMPV6_NUMBER) && !p->later_fragment) {
		decode_quote(skb, offset, p);
		return 0;
	}
	if (!has_ports(p->key.protocol))
		return 0; // ICMP, ICMPv6 and the rest: ports 0, as the libpcap engine keys them

	if (p->later_fragment) {
		struct fragment_key key;
		fragment_key_of(p, &key);
		struct fragment_ports *ports = bpf_map_lookup_elem(&fragments, &key);
		if (!ports) {
			count(COUNTER_ORPHAN_FRAGMENT);
			return -1;
		}
		p->key.port_a = ports->source;
		p->key.port_b = ports->destination;
		return 0;
	}

	__u8 header[20];
	int tcp = p->key.protocol == IPPROTO_TCP;
	int fixed = tcp;
	if (!tcp || bpf_skb_load_bytes(skb, offset, header, 20) < 0) {
		fixed = 0;
		if (bpf_skb_load_bytes(skb, offset, header, tcp ? 14 : 4) < 0) {
			// A TCP header cut after its ports still names the connection (as the libpcap engine reads it).
			if (!tcp || bpf_skb_load_bytes(skb, offset, header, 4) < 0)
				return -1;
			tcp = 0;
		}
	}
	p->key.port_a = ((__u16)header[0] << 8) | header[1];
	p->key.port_b = ((__u16)header[2] << 8) | header[3];
	if (tcp) {
		int header_length = (header[12] >> 4) * 4;
		p->tcp_flags = header[13];
		p->has_tcp_flags = 1;
		p->headers = offset + header_length;
		// As the libpcap engine (FrameDecoder.DecodeTcp): sequence analysis only for an unfragmented segment whose
		// fixed header was read and whose IP length holds its whole header.
		__u32 ip_payload = p->ip_length ? p->ip_length - (offset - p->network_offset)
						: (skb->len > (__u32)offset ? skb->len - offset : 0);
		if (fixed && header_length >= 20 && ip_payload >= (__u32)header_length && ip_payload <= 0xffffff &&
		    !p->first_fragment && !p->later_fragment) {
			p->has_tcp_header = 1;
			p->tcp_seq = ((__u32)header[4] << 24) | ((__u32)header[5] << 16) | ((__u32)header[6] << 8) | header[7];
			p->tcp_ack = ((__u32)header[8] << 24) | ((__u32)header[9] << 16) | ((__u32)header[10] << 8) | header[11];
			p->tcp_window = ((__u16)header[14] << 8) | header[15];
			p->tcp_payload = ip_payload - header_length;
		}
	}
	if (p->first_fragment) {
		struct fragment_key key;
		fragment_key_of(p, &key);
		struct fragment_ports ports = { .source = p->key.port_a, .destination = p->key.port_b };
		if (bpf_map_update_elem(&fragments, &key, &ports, BPF_ANY) < 0)
			count(COUNTER_FRAGMENT_FULL);
	}
	return 0;
}

// Compares (address, port) of source and destination as ConnectionKey.Of does: addresses as 128-bit big-endian
// numbers, then ports. Returns 1 when the source is endpoint A.
static __always_inline int source_is_a(const struct flow_key *key)
{
	for (int i = 0; i < 16; i += 4) {
		__u32 s = bpf_ntohl(*(const __u32 *)(key->addr_a + i));
		__u32 d = bpf_ntohl(*(const __u32 *)(key->addr_b + i));
		if (s != d)
			return s < d;
	}
	return key->port_a <= key->port_b;
}

static __always_inline void swap_endpoints(struct flow_key *key)
{
	__u8 address[16];
	__builtin_memcpy(address, key->addr_a, 16);
	__builtin_memcpy(key->addr_a, key->addr_b, 16);
	__builtin_memcpy(key->addr_b, address, 16);
	__u16 port = key->port_a;
	key->port_a = key->port_b;
	key->port_b = port;
}

// The bytes libpcap counts for this packet on this device: skb->len (a VLAN tag held in skb metadata is written back
// into the frame by libpcap, so it counts too), except for a TCP GSO packet leaving a device without segmentation
// offload: the kernel segments it after this hook, and the tap sees each segment with its own copy of the headers.
static __always_inline __u64 wire_bytes(struct __sk_buff *skb, const struct packet *p, int egress, __u64 segments)
{
	__u64 bytes = skb->len + (skb->vlan_present ? 4 : 0);
	if (!egress || segments <= 1 || !p->headers)
		return bytes;
	__u32 ifindex = skb->ifindex;
	__u32 *device = bpf_map_lookup_elem(&devices, &ifindex);
	if (device && (*device & DEVICE_SOFTWARE_SEGMENTATION))
		bytes += (segments - 1) * p->headers;
	return bytes;
}

// The IP octets libpcap's decoder counts for this packet (DecodedPacket.IpLength): the length the IP header states,
// or, when it states none (0 under GSO past 64 KiB or a jumbogram), the bytes from the IP header to the frame's end. A
// TCP GSO packet segmented after this hook (see wire_bytes) adds one copy of the IP and TCP headers per extra segment.
static __always_inline __u64 ip_bytes(struct __sk_buff *skb, const struct packet *p, int egress, __u64 segments)
{
	__u64 bytes = p->ip_length ? p->ip_length : (skb->len > p->network_offset ? skb->len - p->network_offset : 0);
	if (!egress || segments <= 1 || !p->headers)
		return bytes;
	__u32 ifindex = skb->ifindex;
	__u32 *device = bpf_map_lookup_elem(&devices, &ifindex);
	if (device && (*device & DEVICE_SOFTWARE_SEGMENTATION))
		bytes += (segments - 1) * (__u64)(p->headers - p->network_offset);
	return bytes;
}

// a is after b in sequence space.
static __always_inline int seq_after(__u32 a, __u32 b)
{
	return (__s32)(b - a) < 0;
}

// TcpSequenceAnalysis.IsRetransmission, line for line: tshark's plain, fast and spurious retransmissions, not its
// out-of-order segments.
static __always_inline int is_retransmission(const struct tcp_side *forward, const struct tcp_side *reverse, __u32 seq,
					     __u32 length, __u64 now, __u64 initial_rtt)
{
	int not_advanced = forward->next_seq != 0 && seq_after(forward->next_seq, seq);
	// More than one byte starting one before the expected sequence number follows a zero-window probe: new data.
	if (length > 1 && forward->next_seq - 1 == seq)
		not_advanced = 0;
	if (not_advanced && reverse->dup_acks >= 2 && reverse->last_ack == seq &&
	    now - reverse->last_ack_ns < FAST_RETRANSMISSION_WINDOW_NS)
		return 1;
	__u64 threshold = initial_rtt ? initial_rtt : DEFAULT_OUT_OF_ORDER_NS;
	if (not_advanced && now - forward->next_seq_ns < threshold && forward->next_seq != seq + length)
		return 0;
	if (length > 0 && reverse->last_ack != 0 && !seq_after(seq + length, reverse->last_ack))
		return 1;
	return not_advanced;
}

// TcpSequenceAnalysis.Analyze: classifies one segment and updates its direction's state. Returns KIND_* bits.
static __always_inline int analyze_segment(struct tcp_side *forward, const struct tcp_side *reverse, const struct packet *p,
					   __u64 now, __u64 initial_rtt)
{
	int kinds = 0;
	__u8 flags = p->tcp_flags;
	__u32 seq = p->tcp_seq, ack = p->tcp_ack, length = p->tcp_payload;
	__u16 window = p->tcp_window;
	int plain = (flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0;
	if (length == 1 && seq == forward->next_seq && reverse->window == 0) {
		kinds |= KIND_ZERO_WINDOW_PROBE;
	} else {
		if (window == 0 && plain)
			kinds |= KIND_ZERO_WINDOW;
		if (length <= 1 && seq == forward->next_seq - 1 && plain)
			kinds |= KIND_KEEP_ALIVE;
		int repeats = length == 0 && (__s32)window == forward->window && seq == forward->next_seq &&
			      ack == forward->last_ack && plain;
		if (repeats && window != 0 && !(reverse->last_kinds & KIND_KEEP_ALIVE) && forward->dup_acks < 0xffff)
			forward->dup_acks++;
	}
	if (ack != forward->last_ack)
		forward->dup_acks = 0;
	if ((length > 0 || (flags & (TCP_SYN | TCP_FIN))) && !(kinds & KIND_KEEP_ALIVE) &&
	    is_retransmission(forward, reverse, seq, length, now, initial_rtt))
		kinds |= KIND_RETRANSMISSION;
	__u32 next = seq + length + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
	if ((seq_after(next, forward->next_seq) || forward->next_seq == 0) && !(kinds & KIND_ZERO_WINDOW_PROBE)) {
		forward->next_seq = next;
		forward->next_seq_ns = now;
	}
	forward->window = window;
	forward->last_ack = ack;
	forward->last_ack_ns = now;
	forward->last_kinds = kinds & (KIND_KEEP_ALIVE | KIND_ZERO_WINDOW_PROBE);
	return kinds;
}

// The connection's sequence analysis and handshake clock for one segment (QualityTracker.Analyze), into the interval's
// entry: retransmitted and zero-window segments per side, and the handshake RTT once it is measured. The state is
// updated without a lock: the two directions of a connection write their own side (and only read the other), and
// segments of one direction are not classified on two CPUs at once in practice (one flow, one queue); a race would
// misjudge one segment, never corrupt a count.
// Times: the analysis compares times (the handshake RTT; out of order = sooner after the highest segment than that
// RTT), so its times should be as near as can be to where the packet taps see the packet. At ingress the taps ran
// before this program: its start time is nearest. At egress they run after it: the time after this program's own map
// work is nearest (a connection's first packets insert into two maps, which took microseconds: measured from the
// program's start, the handshake RTT came out 3-13 us longer than libpcap's).
static __always_inline void analyze(const struct packet *p, int from_a, struct flow_value *value, __u64 now, int egress)
{
	struct tcp_state *state = bpf_map_lookup_elem(&tcp_states, &p->key);
	__u8 flags = p->tcp_flags;
	int syn = (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	if (state && syn) {
		// A SYN with another ISN on a known tuple: a new connection (a retransmitted SYN has the same one).
		__u32 next = from_a ? state->a.next_seq : state->b.next_seq;
		if (next != 0 && next != p->tcp_seq + 1)
			state = 0;
	}
	if (!state) {
		struct tcp_state initial = {};
		initial.a.window = -1;
		initial.b.window = -1;
		if (bpf_map_update_elem(&tcp_states, &p->key, &initial, BPF_ANY) < 0)
			return;
		state = bpf_map_lookup_elem(&tcp_states, &p->key);
		if (!state)
			return;
	}
	if (egress)
		now = bpf_ktime_get_ns();
	int kinds = from_a ? analyze_segment(&state->a, &state->b, p, now, state->initial_rtt_ns)
			   : analyze_segment(&state->b, &state->a, p, now, state->initial_rtt_ns);
	if (kinds & KIND_RETRANSMISSION)
		__sync_fetch_and_add(from_a ? &value->retransmissions_from_a : &value->retransmissions_from_b, 1);
	if (kinds & KIND_ZERO_WINDOW)
		__sync_fetch_and_add(from_a ? &value->zero_windows_from_a : &value->zero_windows_from_b, 1);

	// As tshark, after the segment's sequence analysis: the latest SYN, then the first ACK without SYN after it.
	if (syn) {
		state->syn_ns = now;
	} else if ((flags & (TCP_SYN | TCP_ACK)) == TCP_ACK && state->syn_ns && !state->initial_rtt_ns && now > state->syn_ns) {
		state->initial_rtt_ns = now - state->syn_ns;
		value->handshake_rtt_ns = state->initial_rtt_ns;
		value->handshake = HANDSHAKE_MEASURED | (from_a ? 0 : HANDSHAKE_ACK_FROM_B) | ((flags & TCP_RST) ? HANDSHAKE_ACK_RST : 0);
	}
}

// The ICMP error's quoted packet: marks its connection (same interface) unreachable in the interval's entry, creating
// an entry without counts when the connection sent nothing this interval (user space opens no connection for it).
static __always_inline void mark_unreachable(struct __sk_buff *skb, struct packet *p, void *flows, __u64 now)
{
	struct flow_key *key = &p->quote_key;
	int quoted_from_a = source_is_a(key);
	if (!quoted_from_a)
		swap_endpoints(key);
	key->ifindex = skb->ifindex;
	__u32 bit = quoted_from_a ? UNREACHABLE_QUOTED_FROM_A : UNREACHABLE_QUOTED_FROM_B;
	struct flow_value *value = bpf_map_lookup_elem(flows, key);
	if (value) {
		__sync_fetch_and_or(&value->unreachable, bit);
		return;
	}
	struct flow_value initial = {};
	initial.first_ns = now;
	initial.last_ns = now;
	initial.unreachable = bit;
	initial.first_from_b = !quoted_from_a;
	if (bpf_map_update_elem(flows, key, &initial, BPF_NOEXIST) == -17) {
		value = bpf_map_lookup_elem(flows, key);
		if (value)
			__sync_fetch_and_or(&value->unreachable, bit);
	}
}

static __always_inline void account(struct __sk_buff *skb, struct packet *p, int egress)
{
	int from_a = source_is_a(&p->key);
	if (!from_a)
		swap_endpoints(&p->key);
	p->key.ifindex = skb->ifindex;

	__u64 now = bpf_ktime_get_ns();
	__u64 segments = skb->gso_segs > 1 ? skb->gso_segs : 1;
	__u64 bytes = wire_bytes(skb, p, egress, segments);
	__u64 ip = ip_bytes(skb, p, egress, segments);
	__u8 flags = p->has_tcp_flags ? p->tcp_flags : 0;
	__u32 evidence = 0;
	if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		evidence = from_a ? EVIDENCE_SYN_FROM_A : EVIDENCE_SYN_FROM_B;
	else if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		evidence = from_a ? EVIDENCE_SYNACK_FROM_A : EVIDENCE_SYNACK_FROM_B;

	__u32 zero = 0;
	__u32 *generation_value = bpf_map_lookup_elem(&generation, &zero);
	if (!generation_value)
		return;
	void *flows = *generation_value ? (void *)&flows_1 : (void *)&flows_0;

	struct flow_value *value = bpf_map_lookup_elem(flows, &p->key);
	if (!value) {
		struct flow_value initial = {};
		if (from_a) {
			initial.bytes_from_a = bytes;
			initial.ip_bytes_from_a = ip;
			initial.packets_from_a = segments;
			initial.tcp_flags_from_a = flags;
		} else {
			initial.bytes_from_b = bytes;
			initial.ip_bytes_from_b = ip;
			initial.packets_from_b = segments;
			initial.tcp_flags_from_b = flags;
		}
		initial.first_ns = now;
		initial.last_ns = now;
		initial.syn_ns = (evidence & (EVIDENCE_SYN_FROM_A | EVIDENCE_SYN_FROM_B)) ? now : 0;
		initial.synack_ns = (evidence & (EVIDENCE_SYNACK_FROM_A | EVIDENCE_SYNACK_FROM_B)) ? now : 0;
		initial.evidence = evidence;
		initial.first_from_b = !from_a;
		initial.first_tcp_flags = flags;
		initial.vlan_id = p->vlan_id;
		long created = bpf_map_update_elem(flows, &p->key, &initial, BPF_NOEXIST);
		if (created != 0 && created != -17 /* EEXIST: another CPU created it first, count into that entry */) {
			count(COUNTER_MAP_FULL);
			return;
		}
		value = bpf_map_lookup_elem(flows, &p->key);
		if (!value) {
			count(COUNTER_MAP_FULL);
			return;
		}
		if (created == 0)
			goto counted;
	} else if (!value->packets_from_a && !value->packets_from_b) {
		// An entry an ICMP quote created (mark_unreachable) before the connection's first packet of the interval: the
		// first-packet facts are this packet's (plain stores; a race between two CPUs' first packets keeps either).
		value->first_ns = now;
		value->first_from_b = !from_a;
		value->first_tcp_flags = flags;
		value->vlan_id = p->vlan_id;
	}

	if (from_a) {
		__sync_fetch_and_add(&value->bytes_from_a, bytes);
		__sync_fetch_and_add(&value->ip_bytes_from_a, ip);
		__sync_fetch_and_add(&value->packets_from_a, segments);
		if (flags)
			__sync_fetch_and_or(&value->tcp_flags_from_a, (__u32)flags);
	} else {
		__sync_fetch_and_add(&value->bytes_from_b, bytes);
		__sync_fetch_and_add(&value->ip_bytes_from_b, ip);
		__sync_fetch_and_add(&value->packets_from_b, segments);
		if (flags)
			__sync_fetch_and_or(&value->tcp_flags_from_b, (__u32)flags);
	}
	if (evidence) {
		if ((evidence & (EVIDENCE_SYN_FROM_A | EVIDENCE_SYN_FROM_B)) && value->syn_ns == 0)
			__sync_val_compare_and_swap(&value->syn_ns, 0, now);
		if ((evidence & (EVIDENCE_SYNACK_FROM_A | EVIDENCE_SYNACK_FROM_B)) && value->synack_ns == 0)
			__sync_val_compare_and_swap(&value->synack_ns, 0, now);
		__sync_fetch_and_or(&value->evidence, evidence);
	}
counted:
	if (value->last_ns < now)
		value->last_ns = now; // racy between CPUs by design: the latest of close times, to within one packet
	if (p->has_tcp_header)
		analyze(p, from_a, value, now, egress);
	if (p->quoted)
		mark_unreachable(skb, p, flows, now);
}

static __always_inline void classify(struct __sk_buff *skb, int egress)
{
	struct packet p = {};
	int offset = ETH_HLEN;
	__u16 ether_type = bpf_ntohs(skb->protocol);

	// skb->protocol is the EtherType after any tag the device stripped into metadata; tags still in the frame follow
	// the MAC addresses.
	__u8 ethernet[4];
	if (bpf_skb_load_bytes(skb, 12, ethernet, 2) < 0) {
		count(COUNTER_TRUNCATED);
		return;
	}
	ether_type = ((__u16)ethernet[0] << 8) | ethernet[1];
	// A tag the device stripped into metadata was the outermost: libpcap writes it back in front of the frame's own.
	if (skb->vlan_present)
		p.vlan_id = skb->vlan_tci & 0x0fff;
	for (int i = 0; i < MAX_VLAN_TAGS + 1; i++) {
		if (ether_type != ETH_P_8021Q && ether_type != ETH_P_8021AD && ether_type != 0x9100 && ether_type != 0x9200)
			break;
		if (i == MAX_VLAN_TAGS) {
			count(COUNTER_UNSUPPORTED);
			return;
		}
		if (bpf_skb_load_bytes(skb, offset, ethernet, 4) < 0) {
			count(COUNTER_TRUNCATED);
			return;
		}
		if (!p.vlan_id)
			p.vlan_id = (((__u16)ethernet[0] << 8) | ethernet[1]) & 0x0fff;
		ether_type = ((__u16)ethernet[2] << 8) | ethernet[3];
		offset += 4;
	}
	p.network_offset = offset;

	int next;
	if (ether_type == ETH_P_IP) {
		next = decode_ipv4(skb, offset, &p);
	} else if (ether_type == ETH_P_IPV6) {
		next = decode_ipv6(skb, offset, &p);
	} else {
		count(COUNTER_NOT_IP);
		return;
	}
	if (next < 0) {
		if (next == -1)
			count(COUNTER_TRUNCATED);
		return;
	}
	if (decode_transport(skb, next, &p) < 0) {
		if (!p.later_fragment)
			count(COUNTER_TRUNCATED);
		return;
	}
	account(skb, &p, egress);
}

// The programs enter and leave through here: runs are counted so user space knows when the old generation is idle.
static __always_inline int run(struct __sk_buff *skb, int egress)
{
	__u32 entered = 0, finished = 1;
	__u64 *runs_entered = bpf_map_lookup_elem(&runs, &entered);
	__u64 *runs_finished = bpf_map_lookup_elem(&runs, &finished);
	if (!runs_entered || !runs_finished)
		return TC_ACT_UNSPEC;
	__sync_fetch_and_add(runs_entered, 1);
	classify(skb, egress);
	__sync_fetch_and_add(runs_finished, 1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flowexporter_ingress(struct __sk_buff *skb)
{
	return run(skb, 0);
}

SEC("tc")
int flowexporter_egress(struct __sk_buff *skb)
{
	return run(skb, 1);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
