/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef GATEWAY_LIB_IPV6_H
#define GATEWAY_LIB_IPV6_H

#include <linux/bpf.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "packet.h"

/*
 * Parses the fixed IPv6 header. Only TCP directly after it is recorded; a
 * packet with extension headers is counted as not TCP rather than guessed at.
 */
static __always_inline int ipv6_parse(struct __sk_buff *skb, struct packet *pkt)
{
	struct ipv6hdr ip6;

	if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	if (ip6.version != 6)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	if (ip6.nexthdr != IPPROTO_TCP)
		return PARSE_FAIL(PROBE_STAT_NOT_TCP);

	pkt->family = PROBE_FAMILY_IPV6;
	pkt->l4_off = sizeof(struct ipv6hdr);
	pkt->l4_len = bpf_ntohs(ip6.payload_len);
	pkt->ttl = ip6.hop_limit;
	pkt->tos = (__u8)((ip6.priority << 4) | (ip6.flow_lbl[0] >> 4));
	__builtin_memcpy(pkt->src, &ip6.saddr, 16);
	__builtin_memcpy(pkt->dst, &ip6.daddr, 16);
	return PARSE_OK;
}

#endif
