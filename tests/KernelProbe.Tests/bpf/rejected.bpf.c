// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A program the verifier must refuse: a stack read at an unbounded offset. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("socket")
int rejected(struct __sk_buff *skb)
{
	volatile char buffer[8] = {};
	__u32 index = skb->len;

	return buffer[index];
}
