/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary contract between the kernel programs in probe.bpf.c and user
 * space (src/KernelProbe/Abi.cs). Fixed-width types and explicit padding only:
 * the C# mirror is checked against the BTF of the compiled object by a test,
 * so any change here must be made there in the same commit.
 */
#ifndef GATEWAY_PROBE_H
#define GATEWAY_PROBE_H

#include <linux/types.h>

#define PROBE_ADDR_LEN 16
#define PROBE_MAX_OPTION_KINDS 16

/* family values of probe_flow_key.family */
#define PROBE_FAMILY_IPV4 4
#define PROBE_FAMILY_IPV6 6

/*
 * A flow seen from the gateway's side. IPv4 addresses occupy the first four
 * bytes of the 16-byte arrays (the rest is zero); ports are in host order.
 */
struct probe_flow_key {
	__u8 local_addr[PROBE_ADDR_LEN];
	__u8 peer_addr[PROBE_ADDR_LEN];
	__u16 local_port;
	__u16 peer_port;
	__u8 family;
	__u8 protocol;
	__u8 pad[2];
};

/* probe_flow_record.flags */
enum probe_flow_flags {
	/* the peer's handshake segment (SYN downstream, SYN-ACK upstream) was parsed */
	PROBE_FLOW_HANDSHAKE = 1u << 0,
	/* the peer opened the connection (the gateway accepted it) */
	PROBE_FLOW_SYN_IN = 1u << 1,
	/* the gateway opened the connection (an upstream socket) */
	PROBE_FLOW_SYN_OUT = 1u << 2,
	PROBE_FLOW_MSS = 1u << 3,
	PROBE_FLOW_WSCALE = 1u << 4,
	/* more option kinds than hs_options holds, or a malformed option list */
	PROBE_FLOW_OPTIONS_TRUNCATED = 1u << 5,
	PROBE_FLOW_FIN_IN = 1u << 6,
	PROBE_FLOW_FIN_OUT = 1u << 7,
	PROBE_FLOW_RST_IN = 1u << 8,
	PROBE_FLOW_RST_OUT = 1u << 9,
	/* IPv4 don't-fragment bit of the peer's handshake segment */
	PROBE_FLOW_DF = 1u << 10,
	/* handshake_rtt_us holds a measurement */
	PROBE_FLOW_RTT = 1u << 11,
	/* snd_max holds the end of the highest sequence sent */
	PROBE_FLOW_SND_MAX = 1u << 12,
	/* the peer acknowledged the handshake (downstream) */
	PROBE_FLOW_ESTABLISHED = 1u << 13,
	/* the peer's latest segment advertised a zero window */
	PROBE_FLOW_ZERO_WINDOW_IN = 1u << 14,
	/* the gateway's latest segment advertised a zero window */
	PROBE_FLOW_ZERO_WINDOW_OUT = 1u << 15,
	/* the gateway sent data after the peer's latest data: the peer's next data is a turn */
	PROBE_FLOW_SENT_LAST = 1u << 16,
	/* rcv_max holds the end of the highest sequence received */
	PROBE_FLOW_RCV_MAX = 1u << 17,
	/* ack_max holds the highest acknowledgment the peer sent */
	PROBE_FLOW_ACK_MAX = 1u << 18,
};

/*
 * The counters just before a turn: the first segment with payload that the
 * peer sends after the gateway sent payload. On an HTTP/1.1 connection whose
 * client waits for each response, a turn is the first segment of every
 * request after the first, so these are the counters where the previous
 * request ended (user space checks the two sequence numbers against the
 * request's and the response's ends before it trusts them).
 */
struct probe_turn {
	__u64 data_packets_in;
	__u64 bytes_in;
	__u64 data_packets_out;
	__u64 bytes_out;
	__u64 retransmits_out;
	__u32 peer_seq; /* sequence number of the peer's segment that turned */
	__u32 snd_max; /* the gateway's snd_max at that moment */
};

/* probe_flow_record.closed_by: who sent the first FIN or RST */
enum probe_closer {
	PROBE_CLOSER_NONE = 0,
	PROBE_CLOSER_PEER = 1,
	PROBE_CLOSER_GATEWAY = 2,
};

struct probe_flow_record {
	__u64 first_seen_ns; /* CLOCK_MONOTONIC of the first segment (coarse clock outside handshakes) */
	__u64 last_seen_ns; /* of the latest segment, coarse clock (a few ms resolution) */
	__u64 packets_in; /* TCP segments received by the gateway (GSO/GRO counted per segment) */
	__u64 packets_out; /* TCP segments sent by the gateway */
	__u64 bytes_in; /* TCP payload bytes received */
	__u64 bytes_out; /* TCP payload bytes sent */
	__u64 retransmits_out; /* segments the gateway sent again (data, SYN, SYN-ACK, FIN) */
	__u64 syn_out_ns; /* when the gateway's latest SYN or SYN-ACK left */
	__u32 peer_isn; /* sequence number of the peer's SYN / SYN-ACK */
	__u32 local_isn; /* sequence number of the gateway's SYN / SYN-ACK */
	__u32 flags; /* enum probe_flow_flags */
	__u32 handshake_rtt_us; /* downstream: SYN-ACK out to ACK in; upstream: SYN out to SYN-ACK in */
	__u32 snd_max; /* end sequence of the highest segment the gateway sent */
	__u32 ttl_changes; /* times the peer's TTL differed from its previous segment */
	__u32 zero_window_in; /* times the peer's advertised window dropped to zero */
	__u32 zero_window_out; /* times the gateway's advertised window dropped to zero */
	__u16 hs_window; /* raw window field of the peer's handshake segment */
	__u16 hs_mss;
	__u8 hs_ttl; /* TTL or hop limit */
	__u8 hs_tos; /* DSCP << 2 | ECN, IPv4 TOS or IPv6 traffic class */
	__u8 hs_wscale;
	__u8 hs_option_count; /* entries used in hs_options */
	__u8 hs_options[PROBE_MAX_OPTION_KINDS]; /* option kinds in wire order */
	__u8 last_ttl; /* TTL of the peer's latest segment */
	__u8 pad[3];
	__u32 closed_by; /* enum probe_closer; 32 bits for an atomic compare-and-swap */
	__u32 rcv_max; /* end sequence of the highest segment the peer sent */
	/*
	 * Twice the turns so far (struct probe_turn), odd while the programs
	 * write the turn: a reader that copies the record takes a copy with an
	 * even value (a sequence lock; probe.bpf.c, track_turn).
	 */
	__u32 turn_seq;
	__u64 data_packets_in; /* segments received that carried payload */
	__u64 data_packets_out; /* segments sent that carried payload */
	struct probe_turn turn; /* the counters just before the latest turn */
	__u32 ack_max; /* the highest acknowledgment number the peer sent */
	__u32 pad2;
};

/*
 * A slot of probe_live, an mmap-able array where user space reads a flow's
 * record without a system call per request. A flow's slot is the key's
 * hash (live_slot() in probe.bpf.c) & live_mask; the flow takes it when its record is
 * created, unless the slot holds another flow that still has a record. From
 * then on the record is kept up to date in the slot only: the table's entry
 * keeps the state of when the slot was taken, and readers take the slot
 * whenever it holds their key. A reader checks the key before and after
 * copying the record: a slot taken meanwhile shows another key. A slot keeps
 * the last state of a flow whose record was removed until another flow takes
 * it.
 */
struct probe_live_slot {
	struct probe_flow_key key; /* all zero: never taken */
	__u32 claims; /* times the slot was taken; its atomic update orders key before record */
	__u32 pad;
	struct probe_flow_record rec;
};

/* The single entry of probe_config, written by user space after load. */
struct probe_config {
	__u32 live_mask; /* entries of probe_live - 1 (a power of two minus one) */
	__u32 pad;
};

/* Multiplier of the key hash of live_slot() (probe.bpf.c), the same in Abi.cs (ProbeLiveSlot.Index). */
#define PROBE_LIVE_MULTIPLIER 0x9E3779B97F4A7C15ULL

/* Index of the per-CPU counters in the probe_stats map. */
enum probe_stat {
	PROBE_STAT_SEEN = 0, /* packets the programs looked at */
	PROBE_STAT_RECORDED, /* packets that updated a flow record */
	PROBE_STAT_NOT_IP,
	PROBE_STAT_NOT_TCP,
	PROBE_STAT_TRUNCATED, /* a header ended before its declared length */
	PROBE_STAT_MALFORMED, /* IHL < 5, data offset < 5 */
	PROBE_STAT_FRAGMENT, /* a non-first IPv4 fragment: no TCP header to read */
	PROBE_STAT_NOT_OURS, /* egress segment of a socket that is not the gateway's */
	PROBE_STAT_MAP_UPDATE_FAILED,
	PROBE_STAT_EVENT_DROPPED, /* ring buffer full */
	/* a payload-less segment (ACK, FIN, RST) on a gateway socket whose flow
	 * was already closed and removed: not worth a new record */
	PROBE_STAT_UNTRACKED,
	PROBE_STAT_VLAN, /* packets that carried 802.1Q / 802.1ad tags in the frame */
	PROBE_STAT_IPV6_EXTENSIONS, /* IPv6 packets whose TCP header sat behind extension headers */
	PROBE_STAT_IPV6_CHAIN_TOO_LONG, /* more IPv6 extension headers than the walk follows */
	PROBE_STAT_LIVE_BUSY, /* new flows whose probe_live slot another live flow held */
	PROBE_STAT_MAX,
};

/* probe_event.kind */
enum probe_event_kind {
	PROBE_EVENT_RST_IN = 1,
	PROBE_EVENT_RST_OUT = 2,
	PROBE_EVENT_RETRANSMIT = 3, /* the gateway sent a segment again */
	PROBE_EVENT_TTL_CHANGE = 4, /* the peer's TTL changed mid-connection */
	PROBE_EVENT_ZERO_WINDOW_IN = 5, /* the peer advertised a zero window */
	PROBE_EVENT_ZERO_WINDOW_OUT = 6, /* the gateway advertised a zero window */
};

/* A notable event, delivered through the probe_events ring buffer. */
struct probe_event {
	__u64 time_ns;
	struct probe_flow_key key;
	__u32 kind; /* enum probe_event_kind */
	__u32 seq; /* sequence number of the segment */
	__u32 segments; /* segments the skb carried */
	__u16 window; /* raw window field */
	__u8 tcp_flags;
	__u8 ttl; /* TTL / hop limit of the segment (for TTL_CHANGE: the new one) */
	__u8 previous_ttl; /* TTL_CHANGE: the TTL before */
	__u8 pad[7];
};

/* An accepted handshake that has not completed yet, keyed like the flows. */
struct probe_pending {
	__u64 syn_ns; /* when the peer's SYN arrived */
};

#endif /* GATEWAY_PROBE_H */
