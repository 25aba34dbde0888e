/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parsers in this folder extract from one packet. Headers are read
 * relative to the network header (BPF_HDR_START_NET), never from skb->data:
 * a socket filter on a live TCP socket sees data starting at the TCP header,
 * BPF_PROG_TEST_RUN hands it data starting at the IP header, and a TC program
 * sees the link-layer header first. The network header is the one offset all
 * three agree on. The one exception is a frame whose VLAN tags are still in
 * the packet (skb->protocol is 802.1Q/802.1ad): there the network header
 * points at the first tag, so such frames are read from the link-layer
 * header instead (see vlan.h).
 */
#ifndef GATEWAY_LIB_PACKET_H
#define GATEWAY_LIB_PACKET_H

#include <linux/types.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../probe.h"

/* longest TCP option area: data offset 15 words minus the fixed 20 bytes */
#define TCP_OPTIONS_MAX_LEN 40

struct packet {
	__u8 src[PROBE_ADDR_LEN];
	__u8 dst[PROBE_ADDR_LEN];
	__u32 base; /* BPF_HDR_START_NET or BPF_HDR_START_MAC */
	__u32 l3_off; /* offset of the IP header from base */
	__u32 l4_off; /* offset of the TCP header from base */
	__u32 l4_len; /* IP payload length after extension headers (TCP header + data); 0 when unknown */
	__u16 l3_proto; /* ETH_P_IP or ETH_P_IPV6, host order */
	__u8 family;
	__u8 ttl;
	__u8 tos;
	__u8 tcp_flags;
	__u8 df;
	__u8 ipv6_ext; /* TCP sat behind IPv6 extension headers */
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 ack_seq;
	__u16 window;
	__u16 tcp_hlen;
	__u32 payload; /* TCP payload bytes */
	__u32 segs; /* segments this skb carries (GSO/GRO), at least 1 */
};

/* Result of a parser: 0, or the negated probe_stat that explains why not. */
#define PARSE_OK 0
#define PARSE_FAIL(stat) (-(int)(stat))

static __always_inline int load(struct __sk_buff *skb, const struct packet *pkt, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes_relative(skb, off, to, len, pkt->base);
}

#endif
