/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft.h - the subject's nftables table "inet netnsp", loaded through
 * libnftables in-process as one atomic batch (add + delete + define).
 *
 * Tested ruleset (kernel 6.x, this machine):
 *   output (route, mangle - 1), table netnsp_live, only while the daemon
 *                    lives: daddr local -> accept; udp -> mark, reroute to lo
 *   output (route, mangle): daddr local -> accept; tcp -> mark, reroute to lo;
 *                    marked udp -> accept; other udp (no daemon) -> reject
 *   output (filter): daddr local -> accept; udp (udp = off) -> reject;
 *                    ipv6 off -> reject; marked -> accept; else reject (ICMP, ...)
 *   prerouting (filter, mangle): marked tcp/udp -> tproxy to 127.0.0.1/[::1]:PORT;
 *                    marked tcp not taken -> reset; other marked -> reject
 *
 * UDP that is not relayed, and ICMP, are refused before these rules see
 * them, by routing
 * (nl_subject_converge(), netlink/nl.h): `ipproto udp|icmp|ipv6-icmp lookup
 * NETNSP_RT_TABLE_REFUSE` holding `unreachable default`, so connect() and
 * sendto() fail at once with EHOSTUNREACH and no packet is built (measured:
 * dig gives up in ~20 ms; with only the output reject its send() got EPERM,
 * which dig ignores until its 3 s timeout).  The udp/icmp rejects in
 * out_filter stay as defence in depth, for a packet that somehow got a
 * route.  A reject in prerouting would not do: the kernel sends no ICMP for
 * a looped-back locally generated IPv4 datagram (the ICMP's route lookup
 * refuses the non-local source).
 *
 * UDP the subject may send (udp = on, or DNS to port 53) has a route, so
 * with the daemon dead nothing in routing refuses it, and tproxy finding no
 * socket lets it fall to that silent prerouting reject.  Hence the liveness
 * table: UDP it did not mark is rejected in out_mark, before the re-route,
 * where the packet's route still leads out of the uplink (not local), so
 * the kernel picks the ICMP's source itself and the error reaches the app:
 * send() gets EPERM (the drop) and the next recv() ECONNREFUSED (the port
 * unreachable), which dig reports as "connection refused" at once
 * (measured on 6.18; a mark that re-routes to the unreachable table gives
 * send() EHOSTUNREACH instead, which dig ignores until its timeout).
 */
#ifndef NETNSP_NFT_H
#define NETNSP_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_TABLE_FAMILY "inet"
#define NFT_TABLE_NAME "netnsp"
#define NFT_LIVE_TABLE_NAME "netnsp_live"

struct nft_live;

struct nft_subject {
	uint16_t tcp_port; /* transparent TCP listener on 127.0.0.1 and ::1 */
	uint32_t fwmark;   /* NETNSP_FWMARK */
	bool ipv6;	   /* false: IPv6 destinations rejected at once */
	uint16_t dns_port; /* DNS (UDP and TCP port 53) to any address is handed to the
			    * daemon's resolver on this port; 0 = DNS refused like UDP */
	uint16_t udp_port; /* other UDP handed to the UDP relay on this port; 0 = refused */
};

/**
 * nft_subject_ruleset() - the subject's table in nft syntax.
 * @c: parameters.
 * @buf: output.
 * @len: size of @buf.
 *
 * Pure; the same text is loaded and written to RUN_DIR/NAME.nft for humans.
 *
 * Return: the text length, or -ENOSPC.
 */
int nft_subject_ruleset(const struct nft_subject *c, char *buf, size_t len);

/**
 * nft_live_ruleset() - the liveness table (table inet netnsp_live) in nft syntax.
 * @fwmark: the mark it gives UDP (NETNSP_FWMARK).
 * @buf: output.
 * @len: size of @buf.
 *
 * Pure; appended to RUN_DIR/NAME.nft.
 *
 * Return: the text length, or -ENOSPC.
 */
int nft_live_ruleset(uint32_t fwmark, char *buf, size_t len);

/**
 * nft_live_open() - create table inet netnsp_live in @nsfd, owned by a
 * netlink socket that lives as long as the returned handle.
 * @nsfd: the subject's namespace.
 * @fwmark: the mark it gives UDP.
 * @out: the handle; nft_live_close() deletes the table, and so does the
 *       kernel when this process ends in any way.
 * @err: libnftables' error text, first line, on failure.
 * @errlen: size of @err.
 *
 * A table of that name left by anyone else is replaced (or, if another
 * socket owns it, the kernel refuses: -EPERM).
 *
 * Return: 0 or a negative errno.
 */
int nft_live_open(int nsfd, uint32_t fwmark, struct nft_live **out, char *err, size_t errlen);

/**
 * nft_live_close() - delete the liveness table by closing its socket.
 * @l: handle from nft_live_open(), or NULL.
 */
void nft_live_close(struct nft_live *l);

/**
 * nft_subject_converge() - replace table inet netnsp in @nsfd atomically.
 * @nsfd: the subject's namespace.
 * @c: parameters.
 * @err: libnftables' error text, first line, on failure.
 * @errlen: size of @err.
 *
 * Return: 0 or a negative errno.
 */
int nft_subject_converge(int nsfd, const struct nft_subject *c, char *err, size_t errlen);

/**
 * nft_subject_list() - the table inet netnsp of @nsfd as `nft list table` prints it.
 * @nsfd: the subject's namespace.
 * @out: the listing.
 * @len: size of @out.
 * @err: libnftables' error text, first line, on failure (a missing table: ENOENT).
 * @errlen: size of @err.
 *
 * Return: 0, -ENOSPC if @out is too small, or a negative errno.
 */
int nft_subject_list(int nsfd, char *out, size_t len, char *err, size_t errlen);

/**
 * nft_subject_expected() - the listing nft_subject_list() gives for the table
 * nft_subject_converge(@c) loads: loaded into a scratch namespace
 * (netns_run_scratch()) and listed there, so both sides are printed by the
 * same libnftables and compare as text.
 * @c: parameters.
 * @out: the listing.
 * @len: size of @out.
 * @err: error text on failure.
 * @errlen: size of @err.
 *
 * Return: 0 or a negative errno.
 */
int nft_subject_expected(const struct nft_subject *c, char *out, size_t len, char *err,
			 size_t errlen);

/**
 * nft_subject_teardown() - delete table inet netnsp in @nsfd if present.
 * @nsfd: the subject's namespace.
 *
 * Return: 0 or a negative errno.
 */
int nft_subject_teardown(int nsfd);

#endif
