/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_msg.c - parse applications' queries, build replies and forwarded
 * queries, validate upstream responses, read TCP-framed messages.
 *
 * Message layout, RFC 1035 §4.1: a 12-octet header (ID, flags, QDCOUNT,
 * ANCOUNT, NSCOUNT, ARCOUNT), then the question (QNAME, QTYPE, QCLASS) and
 * resource records (NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA).  EDNS0's OPT
 * pseudo-record (RFC 6891 §6.1.2) reuses CLASS as the payload size and TTL
 * as extended RCODE (8 bits), version (8), DO (1) and Z (15).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Parse the OPT record at @p (@n octets left): RFC 6891 §6.1.2, §6.2.5. */
static int parse_opt(const uint8_t *p, size_t n, struct dns_query *q, size_t *used)
{
	size_t rdlen, off;

	/* Root owner name, TYPE, CLASS, TTL, RDLENGTH. */
	if (n < 11 || p[0] != 0 || get16(p + 1) != DNS_TYPE_OPT)
		return -EBADMSG;
	rdlen = get16(p + 9);
	if (11 + rdlen > n)
		return -EBADMSG;
	/* Options: CODE, LENGTH, DATA, each inside RDATA (§6.1.2). */
	for (off = 0; off < rdlen;) {
		if (rdlen - off < 4 || get16(p + 11 + off + 2) > rdlen - off - 4)
			return -EBADMSG;
		off += 4 + get16(p + 11 + off + 2);
	}
	q->udp_size = get16(p + 3);
	q->edns_version = p[6];
	q->edns_do = p[7] & 0x80;
	q->edns = true;
	/* Values below 512 are treated as 512 (§6.2.5). */
	q->max_reply = q->udp_size > DNS_UDP_MIN ? q->udp_size : DNS_UDP_MIN;
	*used = 11 + rdlen;
	return 0;
}

static int parse_question(const uint8_t *pkt, size_t len, struct dns_query *q, size_t *off)
{
	size_t used;

	if (dns_name_to_text(pkt + *off, len - *off, q->name, sizeof(q->name), &used) < 0 ||
	    len - *off - used < 4) {
		q->name[0] = '\0';
		return -EBADMSG;
	}
	memcpy(q->wire, pkt + *off, used);
	q->wire_len = (uint8_t)used;
	*off += used;
	q->qtype = get16(pkt + *off);
	q->qclass = get16(pkt + *off + 2);
	*off += 4;
	q->has_question = true;
	return 0;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	size_t off = DNS_HDR_LEN, used;
	int r;

	memset(q, 0, offsetof(struct dns_query, wire));
	q->name[0] = '\0';
	q->max_reply = DNS_UDP_MIN;
	if (len < DNS_HDR_LEN)
		return -EINVAL;
	q->id = get16(pkt);
	q->flags = get16(pkt + 2);
	if (q->flags & DNS_FLAG_QR)
		return -EINVAL;
	if (DNS_OPCODE(q->flags) != 0)
		return -EOPNOTSUPP;
	if (len > DNS_QUERY_MAX || (q->flags & DNS_FLAG_TC) || get16(pkt + 4) != 1 ||
	    get16(pkt + 6) != 0 || get16(pkt + 8) != 0 || get16(pkt + 10) > 1)
		return -EBADMSG;
	r = parse_question(pkt, len, q, &off);
	if (r < 0)
		return r;
	if (get16(pkt + 10) == 1) {
		r = parse_opt(pkt + off, len - off, q, &used);
		if (r < 0)
			return r;
		off += used;
	}
	if (off != len)
		return -EBADMSG;
	if (q->edns && q->edns_version != 0)
		return -EPROTONOSUPPORT;
	return 0;
}

int dns_rcode_for_error(int err)
{
	switch (err) {
	case 0:
		return DNS_RCODE_NOERROR;
	case -EOPNOTSUPP:
		return DNS_RCODE_NOTIMP;
	case -EPROTONOSUPPORT:
		return DNS_RCODE_BADVERS;
	case -EBADMSG:
		return DNS_RCODE_FORMERR;
	default:
		return -1;
	}
}

/*
 * Header and question of a reply.  Opcode, RD and CD are copied from the
 * query (RFC 1035 §4.1.1, RFC 4035 §3.2.2); RA is set: we recurse for it.
 */
static int put_head(const struct dns_query *q, int rcode, uint8_t *buf, size_t cap, size_t *pos)
{
	uint16_t flags = DNS_FLAG_QR | DNS_FLAG_RA | (uint16_t)(rcode & 0xf);
	size_t need = DNS_HDR_LEN + (q->has_question ? q->wire_len + 4u : 0);

	if (need > cap)
		return -ENOBUFS;
	flags |= q->flags & (0xfu << 11 | DNS_FLAG_RD | DNS_FLAG_CD);
	memset(buf, 0, DNS_HDR_LEN);
	put16(buf, q->id);
	put16(buf + 2, flags);
	*pos = DNS_HDR_LEN;
	if (q->has_question) {
		put16(buf + 4, 1);
		memcpy(buf + *pos, q->wire, q->wire_len);
		put16(buf + *pos + q->wire_len, q->qtype);
		put16(buf + *pos + q->wire_len + 2, q->qclass);
		*pos += q->wire_len + 4u;
	}
	return 0;
}

/* Our OPT record (RFC 6891 §6.1.2), carrying the upper 8 bits of @rcode. */
static int put_opt(const struct dns_query *q, int rcode, uint8_t *buf, size_t cap, size_t *pos)
{
	uint8_t *p = buf + *pos;

	if (!q->edns)
		return 0;
	if (cap - *pos < 11)
		return -ENOBUFS;
	p[0] = 0;
	put16(p + 1, DNS_TYPE_OPT);
	put16(p + 3, DNS_EDNS_SIZE);
	put32(p + 5, (uint32_t)(rcode >> 4) << 24); /* version 0, DO 0 */
	put16(p + 9, 0);
	*pos += 11;
	put16(buf + 10, 1);
	return 0;
}

int dns_build_error(const struct dns_query *q, int rcode, uint8_t *buf, size_t cap, size_t *len)
{
	size_t pos;
	int r;

	if (rcode < 0 || rcode > 0xfff || (rcode > 0xf && !q->edns))
		return -EINVAL;
	r = put_head(q, rcode, buf, cap, &pos);
	if (r < 0)
		return r;
	r = put_opt(q, rcode, buf, cap, &pos);
	if (r < 0)
		return r;
	*len = pos;
	return 0;
}

/* A reply too large for the client: header, question, OPT, TC (RFC 1035 §4.2.1). */
static int put_truncated(const struct dns_query *q, uint8_t *buf, size_t cap, size_t *len)
{
	int r = dns_build_error(q, DNS_RCODE_NOERROR, buf, cap, len);

	if (r == 0)
		buf[2] |= DNS_FLAG_TC >> 8;
	return r;
}

/* Append one answer record owned by the question name (pointer to offset 12). */
static void put_rr(uint8_t *p, uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	put16(p, 0xc000 | DNS_HDR_LEN);
	put16(p + 2, type);
	put16(p + 4, DNS_CLASS_IN);
	put32(p + 6, ttl);
	put16(p + 10, rdlen);
	memcpy(p + 12, rdata, rdlen);
}

/*
 * Whether a reply of @total octets goes out whole: 0 if so, 1 if it exceeds
 * the client's limit and must be truncated, -ENOBUFS if only @cap is short
 * (the caller's buffer is no reason to truncate: it would be wrong on TCP).
 */
static int reply_fits(const struct dns_query *q, size_t total, size_t cap)
{
	if (total > q->max_reply)
		return 1;
	return total > cap ? -ENOBUFS : 0;
}

int dns_build_addr_answer(const struct dns_query *q, int family, const void *addrs, size_t n,
			  uint32_t ttl, uint8_t *buf, size_t cap, size_t *len)
{
	uint16_t type = family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
	size_t alen = family == AF_INET ? 4 : 16, pos;
	int r;

	if (!q->has_question || (family != AF_INET && family != AF_INET6) || q->qtype != type ||
	    n > DNS_MSG_MAX)
		return -EINVAL;
	/* Header + question + records + OPT. */
	r = reply_fits(q, DNS_HDR_LEN + q->wire_len + 4 + n * (12 + alen) + (q->edns ? 11 : 0),
		       cap);
	if (r != 0)
		return r > 0 ? put_truncated(q, buf, cap, len) : r;
	r = put_head(q, DNS_RCODE_NOERROR, buf, cap, &pos);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		put_rr(buf + pos, type, ttl, (const uint8_t *)addrs + i * alen, (uint16_t)alen);
		pos += 12 + alen;
	}
	put16(buf + 6, (uint16_t)n);
	r = put_opt(q, DNS_RCODE_NOERROR, buf, cap, &pos);
	if (r < 0)
		return r;
	*len = pos;
	return 0;
}

int dns_build_ptr_answer(const struct dns_query *q, const char *name, uint32_t ttl, uint8_t *buf,
			 size_t cap, size_t *len)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t wlen, pos;
	int r;

	if (!q->has_question || q->qtype != DNS_TYPE_PTR)
		return -EINVAL;
	r = dns_name_to_wire(name, wire, sizeof(wire), &wlen);
	if (r < 0)
		return -EINVAL;
	r = reply_fits(q, DNS_HDR_LEN + q->wire_len + 4 + 12 + wlen + (q->edns ? 11 : 0), cap);
	if (r != 0)
		return r > 0 ? put_truncated(q, buf, cap, len) : r;
	r = put_head(q, DNS_RCODE_NOERROR, buf, cap, &pos);
	if (r < 0)
		return r;
	put_rr(buf + pos, DNS_TYPE_PTR, ttl, wire, (uint16_t)wlen);
	pos += 12 + wlen;
	put16(buf + 6, 1);
	r = put_opt(q, DNS_RCODE_NOERROR, buf, cap, &pos);
	if (r < 0)
		return r;
	*len = pos;
	return 0;
}

int dns_build_query(const struct dns_query *q, uint16_t id, uint8_t *buf, size_t cap, size_t *len)
{
	size_t need = DNS_HDR_LEN + q->wire_len + 4u;

	if (!q->has_question)
		return -EINVAL;
	if (need > cap)
		return -ENOBUFS;
	memset(buf, 0, DNS_HDR_LEN);
	put16(buf, id);
	put16(buf + 2, DNS_FLAG_RD | (q->flags & DNS_FLAG_CD));
	put16(buf + 4, 1);
	memcpy(buf + DNS_HDR_LEN, q->wire, q->wire_len);
	put16(buf + DNS_HDR_LEN + q->wire_len, q->qtype);
	put16(buf + DNS_HDR_LEN + q->wire_len + 2, q->qclass);
	*len = need;
	return 0;
}

/*
 * Skip a possibly compressed name at @off.  A pointer must point strictly
 * before the label sequence that holds it (RFC 1035 §4.1.4 speaks of "a
 * prior occurrence"), so every jump goes backwards and the walk ends; the
 * expanded name must still fit in 255 octets.
 */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
	size_t pos = *off, start = *off, total = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -EBADMSG;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -EBADMSG;
			size_t target = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (target < DNS_HDR_LEN || target >= start)
				return -EBADMSG;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = start = target;
			continue;
		}
		if (l > DNS_LABEL_MAX || pos + 1 + l > len ||
		    (total += 1u + l) >= DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		pos += 1u + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*off = pos;
	return 0;
}

/* Case-insensitive comparison of two uncompressed wire names (RFC 4343 §3). */
static bool wire_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		x = x >= 'A' && x <= 'Z' ? x + 32 : x;
		y = y >= 'A' && y <= 'Z' ? y + 32 : y;
		if (x != y)
			return false;
	}
	return true;
}

static int check_records(const uint8_t *resp, size_t len, size_t off, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (skip_name(resp, len, &off) < 0 || len - off < 10)
			return -EBADMSG;
		size_t rdlen = get16(resp + off + 8);
		off += 10;
		if (rdlen > len - off)
			return -EBADMSG;
		off += rdlen;
	}
	return off == len ? 0 : -EBADMSG;
}

int dns_check_response(const struct dns_query *q, uint16_t sent_id, uint8_t *resp, size_t len,
		       size_t *out_len)
{
	size_t qend = DNS_HDR_LEN + q->wire_len + 4u;
	uint16_t flags;

	if (!q->has_question || len < DNS_HDR_LEN || len > DNS_MSG_MAX)
		return -EBADMSG;
	flags = get16(resp + 2);
	if (!(flags & DNS_FLAG_QR) || DNS_OPCODE(flags) != 0 || get16(resp + 4) != 1)
		return -EBADMSG;
	if (len < qend)
		return -EBADMSG;
	if (get16(resp) != sent_id || !wire_equal(resp + DNS_HDR_LEN, q->wire, q->wire_len) ||
	    get16(resp + qend - 4) != q->qtype || get16(resp + qend - 2) != q->qclass)
		return -ESRCH;
	if (check_records(resp, len, qend,
			  (unsigned int)get16(resp + 6) + get16(resp + 8) + get16(resp + 10)) < 0)
		return -EBADMSG;
	put16(resp, q->id);
	*out_len = len;
	if (len > q->max_reply) {
		/* Keep header and question only; the client retries over TCP. */
		resp[2] |= DNS_FLAG_TC >> 8;
		memset(resp + 6, 0, 6);
		*out_len = qend;
	}
	return 0;
}

int dns_query_for(struct dns_query *q, const char *name, uint16_t qtype)
{
	size_t wlen;

	memset(q, 0, sizeof(*q));
	if (dns_name_to_wire(name, q->wire, sizeof(q->wire), &wlen) < 0 ||
	    dns_name_to_text(q->wire, wlen, q->name, sizeof(q->name), NULL) < 0)
		return -EINVAL;
	q->wire_len = (uint8_t)wlen;
	q->has_question = true;
	q->flags = DNS_FLAG_RD;
	q->qtype = qtype;
	q->qclass = DNS_CLASS_IN;
	q->max_reply = DNS_MSG_MAX;
	return 0;
}

int dns_response_addr(const uint8_t *resp, size_t len, const struct dns_query *q, uint8_t *addr)
{
	size_t off = DNS_HDR_LEN + q->wire_len + 4u, want = q->qtype == DNS_TYPE_A ? 4 : 16;
	unsigned int count;

	if (len < DNS_HDR_LEN || len < off)
		return -EBADMSG;
	if ((get16(resp + 2) & 0xf) != DNS_RCODE_NOERROR)
		return -ENOENT;
	count = get16(resp + 6);
	for (unsigned int i = 0; i < count; i++) {
		if (skip_name(resp, len, &off) < 0 || len - off < 10)
			return -EBADMSG;
		size_t rdlen = get16(resp + off + 8);
		bool match = get16(resp + off) == q->qtype &&
			     get16(resp + off + 2) == DNS_CLASS_IN && rdlen == want;

		off += 10;
		if (rdlen > len - off)
			return -EBADMSG;
		if (match) {
			memcpy(addr, resp + off, want);
			return want == 4 ? AF_INET : AF_INET6;
		}
		off += rdlen;
	}
	return -ENOENT;
}

void dns_tcp_reader_init(struct dns_tcp_reader *r, uint8_t *buf, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
}

int dns_tcp_reader_feed(struct dns_tcp_reader *r, const uint8_t *data, size_t n, size_t *used,
			size_t *msg_len)
{
	size_t off = 0, take;

	*used = 0;
	if (r->failed)
		return -EMSGSIZE;
	if (r->need == 0 && r->have == 0 && r->n_prefix == 2)
		r->n_prefix = 0; /* the previous call delivered a message */
	while (r->n_prefix < 2 && off < n)
		r->prefix[r->n_prefix++] = data[off++];
	*used = off;
	if (r->n_prefix < 2)
		return 0;
	if (r->need == 0) {
		r->need = get16(r->prefix);
		/* RFC 1035 §4.2.2: the length excludes the prefix; 0 is no message. */
		if (r->need == 0 || r->need > r->cap) {
			r->failed = true;
			return -EMSGSIZE;
		}
	}
	take = n - off < r->need - r->have ? n - off : r->need - r->have;
	if (take > 0)
		memcpy(r->buf + r->have, data + off, take);
	r->have += take;
	*used = off + take;
	if (r->have < r->need)
		return 0;
	*msg_len = r->need;
	r->need = r->have = 0;
	return 1;
}

bool dns_tcp_reader_idle(const struct dns_tcp_reader *r)
{
	return !r->failed && r->need == 0 && r->have == 0 && (r->n_prefix == 0 || r->n_prefix == 2);
}
