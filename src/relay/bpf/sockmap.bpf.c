// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockmap.bpf.c - the relay's kernel fast path (docs/DESIGN.md "Sockmap
 * fast path").  Both sockets of an established tunnel sit in @socks, keyed
 * by their socket cookie; @peers maps each cookie to the other one's.  The
 * stream verdict program sends every received segment straight out of the
 * peer socket, so the bytes never reach user space.  A socket without a
 * peer entry keeps its data (SK_PASS) for user space to read.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FASTPATH_MAX 65536

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 2 * FASTPATH_MAX);
	__type(key, __u64);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * FASTPATH_MAX);
	__type(key, __u64);
	__type(value, __u64);
} peers SEC(".maps");

SEC("sk_skb/stream_verdict")
int relay_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u64 *peer = bpf_map_lookup_elem(&peers, &cookie);

	/*
	 * A bare FIN comes through as an empty skb: redirected, the kernel
	 * worker's send of 0 bytes counts as a broken pipe and resets the peer
	 * (docs/DESIGN.md).  The FIN itself is passed on by the daemon.
	 */
	if (skb->len == 0)
		return SK_DROP;
	if (!peer)
		return SK_PASS;
	return bpf_sk_redirect_hash(skb, &socks, peer, 0);
}

char LICENSE[] SEC("license") = "GPL";
