/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef GATEWAY_LIB_VLAN_H
#define GATEWAY_LIB_VLAN_H

#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include "packet.h"

#define VLAN_MAX_TAGS 2
#define ETH_TYPE_OFFSET 12

static __always_inline bool eth_type_is_vlan(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
}

/*
 * Finds the protocol and offset of the network layer behind up to two VLAN
 * tags (802.1ad outer, 802.1Q inner), reading from the link-layer header.
 * More tags than that are not followed: the packet is not attributed.
 */
static __always_inline int vlan_parse(struct __sk_buff *skb, struct packet *pkt)
{
	__u32 off = ETH_TYPE_OFFSET;
	__be16 type;

	pkt->base = BPF_HDR_START_MAC;
	if (load(skb, pkt, off, &type, sizeof(type)))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	for (int i = 0; i < VLAN_MAX_TAGS; i++) {
		if (!eth_type_is_vlan(bpf_ntohs(type)))
			break;
		/* the tag: TPID (at off), TCI, then the next type */
		off += 4;
		if (load(skb, pkt, off, &type, sizeof(type)))
			return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	}
	if (eth_type_is_vlan(bpf_ntohs(type)))
		return PARSE_FAIL(PROBE_STAT_NOT_IP);
	pkt->l3_proto = bpf_ntohs(type);
	pkt->l3_off = off + sizeof(type);
	return PARSE_OK;
}

#endif
