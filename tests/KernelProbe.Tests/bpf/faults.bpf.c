// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test-only fault injection for veth links, for kernels without netem:
 *
 *   fault_delay (tc egress)  payload-less TCP segments (SYN, SYN-ACK, ACK)
 *                            that do not carry the re-injection mark are
 *                            copied to a ring buffer and dropped; the test
 *                            sends each again after the delay, marked, through
 *                            an AF_PACKET socket. Handshakes are delayed by
 *                            exactly the delay; data is left alone.
 *   fault_drop (tc ingress)  drops the first transmission of every Nth data
 *                            segment, up to a budget; retransmissions pass.
 *
 * IPv4 over Ethernet only: that is what the tests' veth links carry.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FRAME_MAX 256

struct fault_config {
	__u32 delay_enabled;
	__u32 mark; /* frames carrying this mark are re-injected ones */
	__u32 drop_every; /* 0: no drops */
	__u32 drop_budget;
};

struct fault_frame {
	__u32 len;
	__u8 data[FRAME_MAX];
};

struct fault_state {
	__u32 data_segments;
	__u32 dropped;
	__u32 delayed;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fault_config);
} fault_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fault_state);
} fault_state SEC(".maps");

/* sequence numbers already seen once: their retransmissions pass */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} fault_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} fault_frames SEC(".maps");

const struct fault_frame *fault_frame_btf_anchor __attribute__((unused));

/* TCP payload length and sequence number of an Ethernet/IPv4/TCP frame; -1 if not one. */
static __always_inline int tcp_payload(struct __sk_buff *skb, __u32 *seq)
{
	struct iphdr ip;
	struct tcphdr th;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return -1;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) || ip.protocol != IPPROTO_TCP || ip.ihl < 5)
		return -1;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + ip.ihl * 4, &th, sizeof(th)) || th.doff < 5)
		return -1;
	*seq = bpf_ntohl(th.seq);
	return (int)bpf_ntohs(ip.tot_len) - ip.ihl * 4 - th.doff * 4;
}

SEC("tc")
int fault_delay(struct __sk_buff *skb)
{
	__u32 zero = 0, seq;
	struct fault_config *cfg = bpf_map_lookup_elem(&fault_config, &zero);
	struct fault_state *state = bpf_map_lookup_elem(&fault_state, &zero);

	if (!cfg || !state || !cfg->delay_enabled || skb->mark == cfg->mark)
		return TC_ACT_OK;
	if (tcp_payload(skb, &seq) != 0)
		return TC_ACT_OK;
	__u32 len = skb->len;

	if (len == 0 || len > FRAME_MAX)
		return TC_ACT_OK;
	struct fault_frame *frame = bpf_ringbuf_reserve(&fault_frames, sizeof(*frame), 0);

	if (!frame)
		return TC_ACT_OK;
	frame->len = len;
	if (bpf_skb_load_bytes(skb, 0, frame->data, len)) {
		bpf_ringbuf_discard(frame, 0);
		return TC_ACT_OK;
	}
	bpf_ringbuf_submit(frame, 0);
	__sync_fetch_and_add(&state->delayed, 1);
	return TC_ACT_SHOT;
}

SEC("tc")
int fault_drop(struct __sk_buff *skb)
{
	__u32 zero = 0, seq;
	struct fault_config *cfg = bpf_map_lookup_elem(&fault_config, &zero);
	struct fault_state *state = bpf_map_lookup_elem(&fault_state, &zero);
	__u8 one = 1;

	if (!cfg || !state || !cfg->drop_every)
		return TC_ACT_OK;
	if (tcp_payload(skb, &seq) <= 0)
		return TC_ACT_OK;
	if (bpf_map_lookup_elem(&fault_seen, &seq))
		return TC_ACT_OK;
	bpf_map_update_elem(&fault_seen, &seq, &one, BPF_ANY);
	__u32 n = __sync_fetch_and_add(&state->data_segments, 1) + 1;

	if (n % cfg->drop_every == 0 && state->dropped < cfg->drop_budget) {
		__sync_fetch_and_add(&state->dropped, 1);
		return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}
