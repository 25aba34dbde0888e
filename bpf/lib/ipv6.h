/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef GATEWAY_LIB_IPV6_H
#define GATEWAY_LIB_IPV6_H

#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "packet.h"

/* extension headers walked before giving up on finding TCP */
#define IPV6_MAX_EXTENSIONS 8

#define IPV6_NEXT_HOPOPTS 0
#define IPV6_NEXT_ROUTING 43
#define IPV6_NEXT_FRAGMENT 44
#define IPV6_NEXT_AH 51
#define IPV6_NEXT_DSTOPTS 60
#define IPV6_FRAG_OFFSET_MASK 0xfff8

/*
 * Parses the fixed IPv6 header and walks the extension-header chain (hop-by-
 * hop, routing, destination options, fragment, AH) to the TCP header. A
 * non-first fragment has no TCP header; ESP, "no next header" and anything
 * else end the walk without attribution.
 */
static __always_inline int ipv6_parse(struct __sk_buff *skb, struct packet *pkt)
{
	struct ipv6hdr ip6;

	if (load(skb, pkt, pkt->l3_off, &ip6, sizeof(ip6)))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	if (ip6.version != 6)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);

	__u8 next = ip6.nexthdr;
	__u32 off = sizeof(struct ipv6hdr);
	bool walked = false;

	for (int i = 0; i < IPV6_MAX_EXTENSIONS; i++) {
		if (next == IPPROTO_TCP)
			break;
		__u8 ext[4];

		if (next != IPV6_NEXT_HOPOPTS && next != IPV6_NEXT_ROUTING && next != IPV6_NEXT_FRAGMENT &&
		    next != IPV6_NEXT_AH && next != IPV6_NEXT_DSTOPTS)
			return PARSE_FAIL(PROBE_STAT_NOT_TCP);
		if (load(skb, pkt, pkt->l3_off + off, ext, sizeof(ext)))
			return PARSE_FAIL(PROBE_STAT_TRUNCATED);
		walked = true;
		if (next == IPV6_NEXT_FRAGMENT) {
			if (((ext[2] << 8) | ext[3]) & IPV6_FRAG_OFFSET_MASK)
				return PARSE_FAIL(PROBE_STAT_FRAGMENT);
			off += 8;
		} else if (next == IPV6_NEXT_AH) {
			off += ((__u32)ext[1] + 2) * 4;
		} else {
			off += ((__u32)ext[1] + 1) * 8;
		}
		next = ext[0];
	}
	if (next != IPPROTO_TCP)
		return PARSE_FAIL(PROBE_STAT_IPV6_CHAIN_TOO_LONG);

	__u32 payload_len = bpf_ntohs(ip6.payload_len);
	__u32 ext_len = off - sizeof(struct ipv6hdr);

	if (payload_len != 0 && payload_len < ext_len)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	pkt->family = PROBE_FAMILY_IPV6;
	pkt->l4_off = pkt->l3_off + off;
	pkt->l4_len = payload_len ? payload_len - ext_len : 0;
	pkt->ttl = ip6.hop_limit;
	pkt->tos = (__u8)((ip6.priority << 4) | (ip6.flow_lbl[0] >> 4));
	pkt->df = 0;
	__builtin_memcpy(pkt->src, &ip6.saddr, 16);
	__builtin_memcpy(pkt->dst, &ip6.daddr, 16);
	pkt->ipv6_ext = walked;
	return PARSE_OK;
}

#endif
