/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef GATEWAY_LIB_IPV4_H
#define GATEWAY_LIB_IPV4_H

#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "packet.h"

#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IPV4_DONT_FRAGMENT 0x4000

/* Parses the IPv4 header at pkt->l3_off (options included) into pkt. */
static __always_inline int ipv4_parse(struct __sk_buff *skb, struct packet *pkt)
{
	struct iphdr ip;

	if (load(skb, pkt, pkt->l3_off, &ip, sizeof(ip)))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	if (ip.version != 4 || ip.ihl < 5)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	if (ip.protocol != IPPROTO_TCP)
		return PARSE_FAIL(PROBE_STAT_NOT_TCP);
	/* Only the first fragment carries the TCP header. */
	__u16 frag = bpf_ntohs(ip.frag_off);
	if (frag & IPV4_FRAG_OFFSET_MASK)
		return PARSE_FAIL(PROBE_STAT_FRAGMENT);

	__u32 hlen = (__u32)ip.ihl * 4;
	__u32 total = bpf_ntohs(ip.tot_len);
	/* 0 is legal for BIG TCP super-packets; the length is then unknown. */
	if (total != 0 && total < hlen)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	pkt->family = PROBE_FAMILY_IPV4;
	pkt->l4_off = pkt->l3_off + hlen;
	pkt->l4_len = total ? total - hlen : 0;
	pkt->ttl = ip.ttl;
	pkt->tos = ip.tos;
	pkt->df = (frag & IPV4_DONT_FRAGMENT) ? 1 : 0;
	__builtin_memcpy(pkt->src, &ip.saddr, 4);
	__builtin_memcpy(pkt->dst, &ip.daddr, 4);
	return PARSE_OK;
}

#endif
