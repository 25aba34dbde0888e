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
 * What each side measures:
 *   ingress  the peer's handshake (TTL, TOS, DF, window, options), TTL changes
 *            later on, zero windows the peer advertises, FIN/RST from the peer,
 *            the handshake RTT (downstream: our SYN-ACK to its ACK; upstream:
 *            our SYN to its SYN-ACK; the send time comes from egress), the
 *            highest acknowledgment it sent.
 *   egress   our SYN / SYN-ACK send times, retransmissions (a segment starting
 *            below the highest sequence already sent), zero windows we
 *            advertise, FIN/RST from the gateway.
 *
 * Neither program ever changes a packet's fate: the socket filter returns the
 * full length, the TC program TC_PASS (below), on every path. Events go through a
 * ring buffer that drops (and counts) rather than blocks when full.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "probe.h"
#include "lib/packet.h"
#include "lib/vlan.h"
#include "lib/ipv4.h"
#include "lib/ipv6.h"
#include "lib/tcp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * What the TC program returns: TC_ACT_UNSPEC, "no verdict", so the hook goes
 * on to the next filter on the interface and, after the last, passes the
 * packet. TC_ACT_OK would end the classification here: every filter attached
 * after ours (another tool's, or a second gateway's on the same host) would
 * never see a packet, which changes more than a monitor may.
 */
#define TC_PASS TC_ACT_UNSPEC

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

/* Accepted handshakes still waiting for the peer's ACK; user space reports the stale ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct probe_flow_key);
	__type(value, struct probe_pending);
} probe_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} probe_stats SEC(".maps");

/* The flow table's copy that user space reads through mmap (probe.h: struct probe_live_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct probe_live_slot);
} probe_live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_config);
} probe_config SEC(".maps");

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

/* sequence-space comparison, modulo 2^32 */
static __always_inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline int parse(struct __sk_buff *skb, struct packet *pkt)
{
	__u16 proto = bpf_ntohs(skb->protocol);
	int err;

	pkt->base = BPF_HDR_START_NET;
	pkt->l3_off = 0;
	pkt->l3_proto = proto;
	if (eth_type_is_vlan(proto)) {
		stat_inc(PROBE_STAT_VLAN);
		err = vlan_parse(skb, pkt);
		if (err)
			return err;
	}

	if (pkt->l3_proto == ETH_P_IP)
		err = ipv4_parse(skb, pkt);
	else if (pkt->l3_proto == ETH_P_IPV6)
		err = ipv6_parse(skb, pkt);
	else
		return PARSE_FAIL(PROBE_STAT_NOT_IP);
	if (err)
		return err;
	if (pkt->ipv6_ext)
		stat_inc(PROBE_STAT_IPV6_EXTENSIONS);
	return tcp_parse(skb, pkt);
}

/* Keys are compared as five 64-bit words: the stack copy must be 8-byte aligned. */
#define FLOW_KEY struct probe_flow_key __attribute__((aligned(8)))

static __always_inline bool key_equal(const struct probe_flow_key *a, const struct probe_flow_key *b)
{
	const __u64 *x = (const __u64 *)a;
	const __u64 *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* The slot of probe_live for a key (whoever holds it). */
static __always_inline struct probe_live_slot *live_slot(const struct probe_flow_key *key)
{
	const __u64 *w = (const __u64 *)key;
	__u32 zero = 0;
	struct probe_config *config = bpf_map_lookup_elem(&probe_config, &zero);
	__u64 h = 0;

	if (!config)
		return NULL;
	h = (h ^ w[0]) * PROBE_LIVE_MULTIPLIER;
	h = (h ^ w[1]) * PROBE_LIVE_MULTIPLIER;
	h = (h ^ w[2]) * PROBE_LIVE_MULTIPLIER;
	h = (h ^ w[3]) * PROBE_LIVE_MULTIPLIER;
	h = (h ^ w[4]) * PROBE_LIVE_MULTIPLIER;
	__u32 index = (__u32)(h >> 32) & config->live_mask;

	return bpf_map_lookup_elem(&probe_live, &index);
}

/*
 * Where a flow's record is kept up to date: its live slot when the flow holds
 * it (the table's entry then keeps the state of when the slot was taken), the
 * table's entry otherwise. NULL when the flow has no record.
 */
static __always_inline struct probe_flow_record *kept(struct probe_flow_record *rec, const struct probe_flow_key *key)
{
	struct probe_live_slot *slot;

	if (!rec)
		return NULL;
	slot = live_slot(key);
	return slot && key_equal(&slot->key, key) ? &slot->rec : rec;
}

/*
 * A record was just created: its flow takes the slot, unless another flow that
 * still has a record holds it (the older live flow keeps the slot; the new one
 * is kept in the table).
 */
static __always_inline void live_claim(const struct probe_flow_key *key, const struct probe_flow_record *rec)
{
	struct probe_live_slot *slot = live_slot(key);

	if (!slot)
		return;
	if (slot->key.family && !key_equal(&slot->key, key) && bpf_map_lookup_elem(&probe_flows, &slot->key)) {
		stat_inc(PROBE_STAT_LIVE_BUSY);
		return;
	}
	/* key first: a reader that checks the key after copying the record sees the change */
	__builtin_memcpy(&slot->key, key, sizeof(*key));
	__sync_fetch_and_add(&slot->claims, 1);
	__builtin_memcpy(&slot->rec, rec, sizeof(*rec));
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

/*
 * GSO (egress) and GRO (ingress) hand over one skb for many segments. Read once
 * at entry: a context field read later, from a pointer the compiler has offset,
 * is refused by the verifier ("dereference of modified ctx ptr").
 */
static __always_inline void read_segments(struct __sk_buff *skb, struct packet *pkt)
{
	__u32 segs = skb->gso_segs;

	pkt->segs = segs ? segs : 1;
}

static __always_inline void emit_event(struct __sk_buff *skb, const struct probe_flow_key *key,
				       const struct packet *pkt, __u32 kind, __u8 previous_ttl)
{
	struct probe_event *ev = bpf_ringbuf_reserve(&probe_events, sizeof(*ev), 0);

	if (!ev) {
		stat_inc(PROBE_STAT_EVENT_DROPPED);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->time_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->kind = kind;
	ev->seq = pkt->seq;
	ev->segments = pkt->segs;
	ev->window = pkt->window;
	ev->tcp_flags = pkt->tcp_flags;
	ev->ttl = pkt->ttl;
	ev->previous_ttl = previous_ttl;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * The order of a record's updates is part of the contract with user space,
 * which reads records while these programs update them (LiveTable.Snapshot:
 * the record as it stood at one moment): a segment's counters are updated
 * before the highest sequence it moves (rcv_max, snd_max), and a turn is
 * written under a sequence lock (turn_seq odd while it is written), so no
 * moment shows a sequence without the segments that led to it, nor a turn's
 * sequence numbers with another turn's counters.
 *
 * Ordering for the compiler is not enough: an atomic add whose result is
 * unused is compiled to BPF_ADD without BPF_FETCH, which the arm64 JIT emits
 * as STADD, a relaxed store that a later plain store may overtake on its way
 * to another CPU (x86's lock add orders everything, which hid this). A
 * fetching add (lock xadd on x86; LDADDAL, or a LL/SC loop followed by DMB
 * ISH, on arm64) is a full barrier on both, so the last counter update before
 * a sequence moves is one (add_ordered), and the turn's lock is taken and
 * released with them. The reader's side is acquire loads (Volatile.Read).
 */
static __always_inline void add_ordered(__u64 *counter, __u64 value)
{
	__u64 old = __sync_fetch_and_add(counter, value);

	/* uses the result, so the add stays a fetching (fully ordered) one */
	asm volatile("" : : "r"(old) : "memory");
}

static __always_inline void add_ordered32(__u32 *counter, __u32 value)
{
	__u32 old = __sync_fetch_and_add(counter, value);

	asm volatile("" : : "r"(old) : "memory");
}

/*
 * The peer's data after the gateway's: keep the counters as they were just
 * before this segment (struct probe_turn in probe.h). Called before the
 * segment is counted.
 */
static __always_inline void track_turn(struct probe_flow_record *rec, const struct packet *pkt)
{
	if (!(rec->flags & PROBE_FLOW_SENT_LAST))
		return;
	__sync_fetch_and_and(&rec->flags, ~PROBE_FLOW_SENT_LAST);
	add_ordered32(&rec->turn_seq, 1); /* odd: the turn is being written */
	rec->turn.data_packets_in = rec->data_packets_in;
	rec->turn.bytes_in = rec->bytes_in;
	rec->turn.data_packets_out = rec->data_packets_out;
	rec->turn.bytes_out = rec->bytes_out;
	rec->turn.retransmits_out = rec->retransmits_out;
	rec->turn.peer_seq = pkt->seq;
	rec->turn.snd_max = rec->snd_max;
	add_ordered32(&rec->turn_seq, 1); /* even: written */
}

static __always_inline void count(struct probe_flow_record *rec, const struct packet *pkt, bool ingress,
				  __u64 now)
{
	if (ingress) {
		if (pkt->payload) {
			track_turn(rec, pkt);
			__sync_fetch_and_add(&rec->data_packets_in, pkt->segs);
		}
		__sync_fetch_and_add(&rec->packets_in, pkt->segs);
		add_ordered(&rec->bytes_in, pkt->payload);
		/* after the counters (see add_ordered above) */
		if (pkt->payload) {
			__u32 end = pkt->seq + pkt->payload;

			if (!(rec->flags & PROBE_FLOW_RCV_MAX) || seq_before(rec->rcv_max, end)) {
				rec->rcv_max = end;
				if (!(rec->flags & PROBE_FLOW_RCV_MAX))
					__sync_fetch_and_or(&rec->flags, PROBE_FLOW_RCV_MAX);
			}
		}
		/*
		 * How far the peer has acknowledged the gateway's data: user space
		 * waits for the acknowledgment of a response's last byte before it
		 * takes the response's segments as final (no resend can follow).
		 */
		if (pkt->tcp_flags & TCP_FLAG_ACK) {
			if (!(rec->flags & PROBE_FLOW_ACK_MAX) || seq_before(rec->ack_max, pkt->ack_seq)) {
				rec->ack_max = pkt->ack_seq;
				if (!(rec->flags & PROBE_FLOW_ACK_MAX))
					__sync_fetch_and_or(&rec->flags, PROBE_FLOW_ACK_MAX);
			}
		}
	} else {
		if (pkt->payload) {
			__sync_fetch_and_add(&rec->data_packets_out, pkt->segs);
			if (!(rec->flags & PROBE_FLOW_SENT_LAST))
				__sync_fetch_and_or(&rec->flags, PROBE_FLOW_SENT_LAST);
		}
		__sync_fetch_and_add(&rec->packets_out, pkt->segs);
		add_ordered(&rec->bytes_out, pkt->payload);
	}
	rec->last_seen_ns = now;
}

/* FIN and RST: who closed first, and an event for every reset. */
static __always_inline void track_close(struct __sk_buff *skb, struct probe_flow_record *rec,
					const struct probe_flow_key *key, const struct packet *pkt, bool ingress)
{
	__u32 closer = ingress ? PROBE_CLOSER_PEER : PROBE_CLOSER_GATEWAY;

	if (!(pkt->tcp_flags & (TCP_FLAG_RST | TCP_FLAG_FIN)))
		return;
	__sync_val_compare_and_swap(&rec->closed_by, PROBE_CLOSER_NONE, closer);
	if (pkt->tcp_flags & TCP_FLAG_RST) {
		__sync_fetch_and_or(&rec->flags, ingress ? PROBE_FLOW_RST_IN : PROBE_FLOW_RST_OUT);
		emit_event(skb, key, pkt, ingress ? PROBE_EVENT_RST_IN : PROBE_EVENT_RST_OUT, 0);
	} else {
		__sync_fetch_and_or(&rec->flags, ingress ? PROBE_FLOW_FIN_IN : PROBE_FLOW_FIN_OUT);
	}
}

/* A zero-window episode starts when the window drops to zero; one event per episode. */
static __always_inline void track_zero_window(struct __sk_buff *skb, struct probe_flow_record *rec,
					      const struct probe_flow_key *key, const struct packet *pkt,
					      bool ingress)
{
	__u32 active = ingress ? PROBE_FLOW_ZERO_WINDOW_IN : PROBE_FLOW_ZERO_WINDOW_OUT;

	if (pkt->tcp_flags & (TCP_FLAG_RST | TCP_FLAG_SYN))
		return;
	if (pkt->window != 0) {
		if (rec->flags & active)
			__sync_fetch_and_and(&rec->flags, ~active);
		return;
	}
	if (rec->flags & active)
		return;
	__sync_fetch_and_or(&rec->flags, active);
	if (ingress)
		__sync_fetch_and_add(&rec->zero_window_in, 1);
	else
		__sync_fetch_and_add(&rec->zero_window_out, 1);
	emit_event(skb, key, pkt, ingress ? PROBE_EVENT_ZERO_WINDOW_IN : PROBE_EVENT_ZERO_WINDOW_OUT, 0);
}

static __always_inline void fill_handshake(struct probe_flow_record *rec, const struct packet *pkt,
					   const struct tcp_handshake *hs)
{
	rec->peer_isn = pkt->seq;
	rec->rcv_max = pkt->seq + 1;
	rec->hs_window = pkt->window;
	rec->hs_ttl = pkt->ttl;
	rec->last_ttl = pkt->ttl;
	rec->hs_tos = pkt->tos;
	rec->hs_mss = hs->mss;
	rec->hs_wscale = hs->wscale;
	rec->hs_option_count = hs->count;
	__builtin_memcpy(rec->hs_options, hs->kinds, PROBE_MAX_OPTION_KINDS);
}

static __always_inline __u32 handshake_flags(const struct packet *pkt, const struct tcp_handshake *hs)
{
	return PROBE_FLOW_HANDSHAKE | PROBE_FLOW_RCV_MAX | hs->flags | (pkt->df ? PROBE_FLOW_DF : 0);
}

/* A new record: into the table, and its live copy into its slot. */
static __always_inline void store(const struct probe_flow_key *key, const struct probe_flow_record *rec)
{
	if (bpf_map_update_elem(&probe_flows, key, rec, BPF_ANY)) {
		stat_inc(PROBE_STAT_MAP_UPDATE_FAILED);
		return;
	}
	stat_inc(PROBE_STAT_RECORDED);
	live_claim(key, rec);
}

static __always_inline void set_rtt(struct probe_flow_record *rec, __u64 now)
{
	if (!rec->syn_out_ns || now < rec->syn_out_ns)
		return;
	__u64 us = (now - rec->syn_out_ns) / 1000;
	__u32 rtt = us > 0xffffffff ? 0xffffffff : (__u32)us;

	rec->handshake_rtt_us = rtt;
	__sync_fetch_and_or(&rec->flags, PROBE_FLOW_RTT);
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
	/* after the option walk: the verifier explores that loop for one kind of pointer only */
	rec = kept(rec, key);

	if (rec && (rec->flags & PROBE_FLOW_HANDSHAKE) && rec->peer_isn == pkt->seq) {
		count(rec, pkt, true, now);
		stat_inc(PROBE_STAT_RECORDED);
		return;
	}

	/* Our SYN went out first (upstream): complete that record in place. */
	if (synack && rec && (rec->flags & PROBE_FLOW_SYN_OUT) && !(rec->flags & PROBE_FLOW_HANDSHAKE)) {
		fill_handshake(rec, pkt, &hs);
		__sync_fetch_and_or(&rec->flags, handshake_flags(pkt, &hs));
		set_rtt(rec, now);
		count(rec, pkt, true, now);
		stat_inc(PROBE_STAT_RECORDED);
		return;
	}

	struct probe_flow_record fresh = {};

	fresh.first_seen_ns = now;
	fresh.last_seen_ns = now;
	fresh.packets_in = pkt->segs;
	fresh.bytes_in = pkt->payload;
	fresh.flags = handshake_flags(pkt, &hs) | (synack ? PROBE_FLOW_SYN_OUT : PROBE_FLOW_SYN_IN);
	fill_handshake(&fresh, pkt, &hs);
	store(key, &fresh);
	if (!synack) {
		struct probe_pending pending = { .syn_ns = now };

		bpf_map_update_elem(&probe_pending, key, &pending, BPF_ANY);
	}
}

SEC("socket")
int gw_sock_ingress(struct __sk_buff *skb)
{
	struct packet pkt = {};
	FLOW_KEY key;
	__u64 now;
	int err;

	stat_inc(PROBE_STAT_SEEN);
	read_segments(skb, &pkt);
	err = parse(skb, &pkt);
	if (err) {
		stat_inc((__u32)-err);
		return skb->len;
	}

	make_key(&key, &pkt, true);
	struct probe_flow_record *rec = bpf_map_lookup_elem(&probe_flows, &key);

	if (pkt.tcp_flags & TCP_FLAG_SYN) {
		on_peer_handshake(skb, &key, &pkt, rec, bpf_ktime_get_ns());
		return skb->len;
	}
	rec = kept(rec, &key);

	if (rec) {
		/* The clock is read precisely only where an RTT is measured; elsewhere
		 * last_seen needs no better than the coarse clock, which costs less. */
		bool completes = (rec->flags & (PROBE_FLOW_SYN_IN | PROBE_FLOW_ESTABLISHED)) == PROBE_FLOW_SYN_IN &&
				 (pkt.tcp_flags & TCP_FLAG_ACK);

		now = completes ? bpf_ktime_get_ns() : bpf_ktime_get_coarse_ns();
		count(rec, &pkt, true, now);
		/* The peer's first ACK completes an accepted handshake. */
		if (completes) {
			__sync_fetch_and_or(&rec->flags, PROBE_FLOW_ESTABLISHED);
			if (pkt.ack_seq == rec->local_isn + 1)
				set_rtt(rec, now);
			bpf_map_delete_elem(&probe_pending, &key);
		}
		if ((rec->flags & PROBE_FLOW_HANDSHAKE) && pkt.ttl != rec->last_ttl) {
			__u8 previous = rec->last_ttl;

			rec->last_ttl = pkt.ttl;
			__sync_fetch_and_add(&rec->ttl_changes, 1);
			emit_event(skb, &key, &pkt, PROBE_EVENT_TTL_CHANGE, previous);
		}
		track_zero_window(skb, rec, &key, &pkt, true);
		track_close(skb, rec, &key, &pkt, true);
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

	now = bpf_ktime_get_coarse_ns();
	fresh.first_seen_ns = now;
	fresh.last_seen_ns = now;
	fresh.packets_in = pkt.segs;
	fresh.bytes_in = pkt.payload;
	fresh.data_packets_in = pkt.segs;
	fresh.rcv_max = pkt.seq + pkt.payload;
	fresh.flags = PROBE_FLOW_RCV_MAX;
	fresh.last_ttl = pkt.ttl;
	store(&key, &fresh);
	return skb->len;
}

/*
 * A segment the gateway sends with sequence space (data, SYN, FIN) that starts
 * below the highest sequence it already sent is a retransmission.
 */
static __always_inline void track_sent_sequence(struct __sk_buff *skb, struct probe_flow_record *rec,
						const struct probe_flow_key *key, const struct packet *pkt)
{
	__u32 len = pkt->payload + ((pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) ? 1 : 0);
	__u32 end = pkt->seq + len;

	if (len == 0)
		return;
	if (!(rec->flags & PROBE_FLOW_SND_MAX)) {
		rec->snd_max = end;
		__sync_fetch_and_or(&rec->flags, PROBE_FLOW_SND_MAX);
		return;
	}
	if (seq_before(pkt->seq, rec->snd_max)) {
		/* ordered: a resend that reaches past snd_max moves it below */
		add_ordered(&rec->retransmits_out, pkt->segs);
		emit_event(skb, key, pkt, PROBE_EVENT_RETRANSMIT, 0);
	}
	if (seq_before(rec->snd_max, end))
		rec->snd_max = end;
}

SEC("tc")
int gw_tc_egress(struct __sk_buff *skb)
{
	struct packet pkt = {};
	FLOW_KEY key;
	__u64 now;
	int err;

	stat_inc(PROBE_STAT_SEEN);
	read_segments(skb, &pkt);
	err = parse(skb, &pkt);
	if (err) {
		stat_inc((__u32)-err);
		return TC_PASS;
	}

	make_key(&key, &pkt, false);
	/* precise time only for SYN / SYN-ACK: the send time of a handshake RTT */
	now = (pkt.tcp_flags & TCP_FLAG_SYN) ? bpf_ktime_get_ns() : bpf_ktime_get_coarse_ns();
	struct probe_flow_record *rec = kept(bpf_map_lookup_elem(&probe_flows, &key), &key);
	bool syn_only = (pkt.tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;

	if (syn_only) {
		__u64 cookie = bpf_get_socket_cookie(skb);

		if (!cookie || !bpf_map_lookup_elem(&probe_sockets, &cookie)) {
			stat_inc(PROBE_STAT_NOT_OURS);
			return TC_PASS;
		}
		/* A retransmitted SYN keeps its record; a new ISN is a new connection. */
		if (rec && (rec->flags & PROBE_FLOW_SYN_OUT) && rec->local_isn == pkt.seq) {
			count(rec, &pkt, false, now);
			track_sent_sequence(skb, rec, &key, &pkt);
			rec->syn_out_ns = now;
			stat_inc(PROBE_STAT_RECORDED);
			return TC_PASS;
		}
		struct probe_flow_record fresh = {};

		fresh.first_seen_ns = now;
		fresh.last_seen_ns = now;
		fresh.syn_out_ns = now;
		fresh.packets_out = pkt.segs;
		fresh.bytes_out = pkt.payload;
		fresh.local_isn = pkt.seq;
		fresh.snd_max = pkt.seq + 1;
		fresh.flags = PROBE_FLOW_SYN_OUT | PROBE_FLOW_SND_MAX;
		store(&key, &fresh);
		return TC_PASS;
	}

	if (!rec) {
		stat_inc(PROBE_STAT_NOT_OURS);
		return TC_PASS;
	}

	count(rec, &pkt, false, now);
	if ((pkt.tcp_flags & TCP_FLAG_SYN) && rec->local_isn != pkt.seq) {
		/* our first SYN-ACK of an accepted connection */
		rec->local_isn = pkt.seq;
		rec->syn_out_ns = now;
		rec->snd_max = pkt.seq + 1;
		__sync_fetch_and_or(&rec->flags, PROBE_FLOW_SND_MAX);
	} else {
		if (pkt.tcp_flags & TCP_FLAG_SYN)
			rec->syn_out_ns = now; /* a SYN-ACK sent again: RTT from the latest */
		track_sent_sequence(skb, rec, &key, &pkt);
	}
	track_zero_window(skb, rec, &key, &pkt, false);
	track_close(skb, rec, &key, &pkt, false);
	stat_inc(PROBE_STAT_RECORDED);
	return TC_PASS;
}
