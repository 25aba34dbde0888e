/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef GATEWAY_LIB_TCP_H
#define GATEWAY_LIB_TCP_H

#include <linux/bpf.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "packet.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#define TCPOPT_KIND_EOL 0
#define TCPOPT_KIND_NOP 1
#define TCPOPT_KIND_MSS 2
#define TCPOPT_KIND_WSCALE 3

/* Handshake facts taken from the options of a SYN or SYN-ACK. */
struct tcp_handshake {
	__u16 mss;
	__u8 wscale;
	__u8 count;
	__u32 flags; /* PROBE_FLOW_MSS | PROBE_FLOW_WSCALE | PROBE_FLOW_OPTIONS_TRUNCATED */
	__u8 kinds[PROBE_MAX_OPTION_KINDS];
};

/* Parses the fixed TCP header at pkt->l4_off. */
static __always_inline int tcp_parse(struct __sk_buff *skb, struct packet *pkt)
{
	struct tcphdr th;

	if (load(skb, pkt, pkt->l4_off, &th, sizeof(th)))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);
	if (th.doff < 5)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);

	pkt->tcp_hlen = (__u16)(th.doff * 4);
	if (pkt->l4_len && pkt->tcp_hlen > pkt->l4_len)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	pkt->payload = pkt->l4_len ? pkt->l4_len - pkt->tcp_hlen : 0;
	pkt->sport = bpf_ntohs(th.source);
	pkt->dport = bpf_ntohs(th.dest);
	pkt->seq = bpf_ntohl(th.seq);
	pkt->ack_seq = bpf_ntohl(th.ack_seq);
	pkt->window = bpf_ntohs(th.window);
	/* byte 13 of the header holds CWR ECE URG ACK PSH RST SYN FIN */
	pkt->tcp_flags = ((__u8 *)&th)[13];
	return PARSE_OK;
}

/*
 * Walks the option list of a handshake segment. The walk is bounded by the
 * option area (at most 40 bytes) and stops at EOL or at the first malformed
 * option, which it flags instead of guessing past.
 */
static __always_inline int tcp_parse_options(struct __sk_buff *skb, const struct packet *pkt,
					     struct tcp_handshake *hs)
{
	__u8 opts[64] = {};
	__u32 len = pkt->tcp_hlen - sizeof(struct tcphdr);

	hs->wscale = 0;
	hs->mss = 0;
	hs->count = 0;
	hs->flags = 0;
	if (len == 0)
		return PARSE_OK;
	if (len > TCP_OPTIONS_MAX_LEN)
		return PARSE_FAIL(PROBE_STAT_MALFORMED);
	if (load(skb, pkt, pkt->l4_off + sizeof(struct tcphdr), opts, len))
		return PARSE_FAIL(PROBE_STAT_TRUNCATED);

	__u32 off = 0;
	for (int i = 0; i < TCP_OPTIONS_MAX_LEN; i++) {
		if (off >= len)
			break;
		__u8 kind = opts[off & 63];
		if (hs->count < PROBE_MAX_OPTION_KINDS)
			hs->kinds[hs->count++ & (PROBE_MAX_OPTION_KINDS - 1)] = kind;
		else
			hs->flags |= PROBE_FLOW_OPTIONS_TRUNCATED;
		if (kind == TCPOPT_KIND_EOL)
			break;
		if (kind == TCPOPT_KIND_NOP) {
			off++;
			continue;
		}
		if (off + 1 >= len) {
			hs->flags |= PROBE_FLOW_OPTIONS_TRUNCATED;
			break;
		}
		__u8 olen = opts[(off + 1) & 63];
		if (olen < 2 || off + olen > len) {
			hs->flags |= PROBE_FLOW_OPTIONS_TRUNCATED;
			break;
		}
		if (kind == TCPOPT_KIND_MSS && olen == 4) {
			hs->mss = (__u16)((opts[(off + 2) & 63] << 8) | opts[(off + 3) & 63]);
			hs->flags |= PROBE_FLOW_MSS;
		} else if (kind == TCPOPT_KIND_WSCALE && olen == 3) {
			hs->wscale = opts[(off + 2) & 63];
			hs->flags |= PROBE_FLOW_WSCALE;
		}
		off += olen;
	}
	return PARSE_OK;
}

#endif
