// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The gateway's wire probe: two programs sharing one flow table.
 *
 *   gw_sock_ingress  SEC("socket")  attached (SO_ATTACH_BPF) to every Kestrel
 *                                   listen socket, inherited by each accepted
 *                                   socket, and attached to every upstream
 *                                   socket: it sees exactly what the gateway
 *                                   RECEIVES, and nothing of other processes.
 *   gw_tc_egress     SEC("tc")      clsact egress on the configured interfaces:
 *                                   it sees everything the host SENDS and keeps
 *                                   only segments of flows the gateway owns.
 *
 * Why this split never counts a packet twice on lo, where each packet passes
 * the egress hook of the sender and then the receive path of the receiver:
 * inbound counters are only ever touched by the socket filter (receive path,
 * gateway sockets only) and outbound counters only by the egress program.
 *
 * Which egress segments are the gateway's: a flow exists in probe_flows only
 * once a gateway socket received something on it, or once a registered
 * upstream socket (its cookie in probe_sockets) sent its SYN. Everything else
 * is counted as not ours and left alone.
 *
 * Neither program ever changes a packet's fate: the socket filter returns the
 * full length, the TC program TC_ACT_OK, on every path.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "probe.h"
#include "lib/packet.h"
#include "lib/ipv4.h"
#include "lib/ipv6.h"
#include "lib/tcp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Sizes are defaults; user space sets them from configuration before load. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct probe_flow_key);
	__type(value, struct probe_flow_record);
} probe_flows SEC(".maps");

/* Cookies of upstream sockets the gateway created, registered before connect. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} probe_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} probe_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} probe_events SEC(".maps");

/*
 * probe_event travels through a ring buffer, which has no value type: this
 * unused pointer puts the struct into the object's BTF, where user space
 * checks its C# mirror against it.
 */
const struct probe_event *probe_event_btf_anchor __attribute__((unused));

static __always_inline void stat_inc(__u32 stat)
{
	__u64 *value = bpf_map_lookup_elem(&probe_stats, &stat);

	if (value)
		*value += 1;
}

static __always_inline int parse(struct __sk_buff *skb, struct packet *pkt)
{
	int err;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		err = ipv4_parse(skb, pkt);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		err = ipv6_parse(skb, pkt);
	else
		return PARSE_FAIL(PROBE_STAT_NOT_IP);
	if (err)
		return err;
	return tcp_parse(skb, pkt);
}

static __always_inline void make_key(struct probe_flow_key *key, const struct packet *pkt,
				     bool ingress)
{
	__builtin_memset(key, 0, sizeof(*key));
	if (ingress) {
		__builtin_memcpy(key->local_addr, pkt->dst, PROBE_ADDR_LEN);
		__builtin_memcpy(key->peer_addr, pkt->src, PROBE_ADDR_LEN);
		key->local_port = pkt->dport;
		key->peer_port = pkt->sport;
	} else {
		__builtin_memcpy(key->local_addr, pkt->src, PROBE_ADDR_LEN);
		__builtin_memcpy(key->peer_addr, pkt->dst, PROBE_ADDR_LEN);
		key->local_port = pkt->sport;
		key->peer_port = pkt->dport;
	}
	key->family = pkt->family;
	key->protocol = IPPROTO_TCP;
}

/* GSO (egress) and GRO (ingress) hand over one skb for many segments. */
static __always_inline __u64 segments(struct __sk_buff *skb)
{
	__u32 segs = skb->gso_segs;

	return segs ? segs : 1;
}

static __always_inline void emit_event(const struct probe_flow_key *key, __u32 kind, __u8 tcp_flags)
{
	struct probe_event *ev = bpf_ringbuf_reserve(&probe_events, sizeof(*ev), 0);

	if (!ev) {
		stat_inc(PROBE_STAT_EVENT_DROPPED);
		return;
	}
	ev->time_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->kind = kind;
	ev->tcp_flags = tcp_flags;
	ev->pad[0] = ev->pad[1] = ev->pad[2] = 0;
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void count(struct probe_flow_record *rec, struct __sk_buff *skb,
				  const struct packet *pkt, bool ingress, __u64 now)
{
	if (ingress) {
		__sync_fetch_and_add(&rec->packets_in, segments(skb));
		__sync_fetch_and_add(&rec->bytes_in, pkt->payload);
	} else {
		__sync_fetch_and_add(&rec->packets_out, segments(skb));
		__sync_fetch_and_add(&rec->bytes_out, pkt->payload);
	}
	rec->last_seen_ns = now;
}

static __always_inline void mark_close(struct probe_flow_record *rec, const struct probe_flow_key *key,
				       const struct packet *pkt, bool ingress)
{
	if (pkt->tcp_flags & TCP_FLAG_RST) {
		__sync_fetch_and_or(&rec->flags, ingress ? PROBE_FLOW_RST_IN : PROBE_FLOW_RST_OUT);
		emit_event(key, ingress ? PROBE_EVENT_RST_IN : PROBE_EVENT_RST_OUT, pkt->tcp_flags);
	}
	if (pkt->tcp_flags & TCP_FLAG_FIN)
		__sync_fetch_and_or(&rec->flags, ingress ? PROBE_FLOW_FIN_IN : PROBE_FLOW_FIN_OUT);
}

static __always_inline void fill_handshake(struct probe_flow_record *rec, const struct packet *pkt,
					   const struct tcp_handshake *hs)
{
	rec->peer_isn = pkt->seq;
	rec->hs_window = pkt->window;
	rec->hs_ttl = pkt->ttl;
	rec->hs_tos = pkt->tos;
	rec->hs_mss = hs->mss;
	rec->hs_wscale = hs->wscale;
	rec->hs_option_count = hs->count;
	__builtin_memcpy(rec->hs_options, hs->kinds, PROBE_MAX_OPTION_KINDS);
}

static __always_inline void store(const struct probe_flow_key *key, const struct probe_flow_record *rec)
{
	if (bpf_map_update_elem(&probe_flows, key, rec, BPF_ANY))
		stat_inc(PROBE_STAT_MAP_UPDATE_FAILED);
	else
		stat_inc(PROBE_STAT_RECORDED);
}

/*
 * The peer's handshake segment: a SYN on an accepted connection, a SYN-ACK on
 * an upstream one. A repeat with the same sequence number is a retransmission
 * of the same handshake; a different one means the 5-tuple was reused by a new
 * connection, which starts a new record.
 */
static __always_inline void on_peer_handshake(struct __sk_buff *skb, const struct probe_flow_key *key,
					      const struct packet *pkt, struct probe_flow_record *rec,
					      __u64 now)
{
	struct tcp_handshake hs = {};
	bool synack = pkt->tcp_flags & TCP_FLAG_ACK;
	int err = tcp_parse_options(skb, pkt, &hs);

	if (err) {
		stat_inc((__u32)-err);
		hs.flags = PROBE_FLOW_OPTIONS_TRUNCATED;
		hs.count = 0;
	}

	if (rec && (rec->flags & PROBE_FLOW_HANDSHAKE) && rec->peer_isn == pkt->seq) {
		count(rec, skb, pkt, true, now);
		stat_inc(PROBE_STAT_RECORDED);
		return;
	}

	/* Our SYN went out first (upstream): complete that record in place. */
	if (synack && rec && (rec->flags & PROBE_FLOW_SYN_OUT) && !(rec->flags & PROBE_FLOW_HANDSHAKE)) {
		fill_handshake(rec, pkt, &hs);
		__sync_fetch_and_or(&rec->flags, PROBE_FLOW_HANDSHAKE | hs.flags);
		count(rec, skb, pkt, true, now);
		stat_inc(PROBE_STAT_RECORDED);
		return;
	}

	struct probe_flow_record fresh = {};

	fresh.first_seen_ns = now;
	fresh.last_seen_ns = now;
	fresh.packets_in = segments(skb);
	fresh.bytes_in = pkt->payload;
	fresh.flags = PROBE_FLOW_HANDSHAKE | hs.flags | (synack ? PROBE_FLOW_SYN_OUT : PROBE_FLOW_SYN_IN);
	fill_handshake(&fresh, pkt, &hs);
	store(key, &fresh);
}

SEC("socket")
int gw_sock_ingress(struct __sk_buff *skb)
{
	struct packet pkt = {};
	struct probe_flow_key key;
	__u64 now;
	int err;

	stat_inc(PROBE_STAT_SEEN);
	err = parse(skb, &pkt);
	if (err) {
		stat_inc((__u32)-err);
		return skb->len;
	}

	make_key(&key, &pkt, true);
	now = bpf_ktime_get_ns();
	struct probe_flow_record *rec = bpf_map_lookup_elem(&probe_flows, &key);

	if (pkt.tcp_flags & TCP_FLAG_SYN) {
		on_peer_handshake(skb, &key, &pkt, rec, now);
		return skb->len;
	}

	if (rec) {
		count(rec, skb, &pkt, true, now);
		mark_close(rec, &key, &pkt, true);
		stat_inc(PROBE_STAT_RECORDED);
		return skb->len;
	}

	/*
	 * A gateway socket, but no record. Segments without payload are the tail
	 * of a connection whose record user space already removed (the peer's
	 * FIN or last ACK): recording them would refill the table with the dead.
	 */
	if (pkt.payload == 0) {
		stat_inc(PROBE_STAT_UNTRACKED);
		return skb->len;
	}

	/* The entry was evicted (LRU): count from here on, without handshake facts. */
	struct probe_flow_record fresh = {};

	fresh.first_seen_ns = now;
	fresh.last_seen_ns = now;
	fresh.packets_in = segments(skb);
	fresh.bytes_in = pkt.payload;
	store(&key, &fresh);
	if (pkt.tcp_flags & TCP_FLAG_RST)
		emit_event(&key, PROBE_EVENT_RST_IN, pkt.tcp_flags);
	return skb->len;
}

SEC("tc")
int gw_tc_egress(struct __sk_buff *skb)
{
	struct packet pkt = {};
	struct probe_flow_key key;
	__u64 now;
	int err;

	stat_inc(PROBE_STAT_SEEN);
	err = parse(skb, &pkt);
	if (err) {
		stat_inc((__u32)-err);
		return TC_ACT_OK;
	}

	make_key(&key, &pkt, false);
	now = bpf_ktime_get_ns();
	struct probe_flow_record *rec = bpf_map_lookup_elem(&probe_flows, &key);
	bool syn_only = (pkt.tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;

	if (syn_only) {
		__u64 cookie = bpf_get_socket_cookie(skb);

		if (!cookie || !bpf_map_lookup_elem(&probe_sockets, &cookie)) {
			stat_inc(PROBE_STAT_NOT_OURS);
			return TC_ACT_OK;
		}
		/* A retransmitted SYN keeps its record; a new ISN is a new connection. */
		if (rec && (rec->flags & PROBE_FLOW_SYN_OUT) && rec->local_isn == pkt.seq) {
			count(rec, skb, &pkt, false, now);
			stat_inc(PROBE_STAT_RECORDED);
			return TC_ACT_OK;
		}
		struct probe_flow_record fresh = {};

		fresh.first_seen_ns = now;
		fresh.last_seen_ns = now;
		fresh.packets_out = segments(skb);
		fresh.bytes_out = pkt.payload;
		fresh.local_isn = pkt.seq;
		fresh.flags = PROBE_FLOW_SYN_OUT;
		store(&key, &fresh);
		return TC_ACT_OK;
	}

	if (!rec) {
		stat_inc(PROBE_STAT_NOT_OURS);
		return TC_ACT_OK;
	}

	if (pkt.tcp_flags & TCP_FLAG_SYN)
		rec->local_isn = pkt.seq;
	count(rec, skb, &pkt, false, now);
	mark_close(rec, &key, &pkt, false);
	stat_inc(PROBE_STAT_RECORDED);
	return TC_ACT_OK;
}
