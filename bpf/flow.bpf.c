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

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

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
static __always_inline int decode_transport(struct __sk_buff *skb, int offset, struct packet *p)
{
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

	__u8 header[14];
	int tcp = p->key.protocol == IPPROTO_TCP;
	if (bpf_skb_load_bytes(skb, offset, header, tcp ? 14 : 4) < 0) {
		// A TCP header cut after its ports still names the connection (as the libpcap engine reads it).
		if (!tcp || bpf_skb_load_bytes(skb, offset, header, 4) < 0)
			return -1;
		tcp = 0;
	}
	p->key.port_a = ((__u16)header[0] << 8) | header[1];
	p->key.port_b = ((__u16)header[2] << 8) | header[3];
	if (tcp) {
		p->tcp_flags = header[13];
		p->has_tcp_flags = 1;
		p->headers = offset + (header[12] >> 4) * 4;
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
		if (created == 0)
			return;
		if (created != -17 /* EEXIST: another CPU created it first, count into that entry */) {
			count(COUNTER_MAP_FULL);
			return;
		}
		value = bpf_map_lookup_elem(flows, &p->key);
		if (!value) {
			count(COUNTER_MAP_FULL);
			return;
		}
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
	if (value->last_ns < now)
		value->last_ns = now; // racy between CPUs by design: the latest of close times, to within one packet
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
