/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns.h - DNS messages and the fake-IP pool, the pure part of the relay's
 * DNS answerer (docs/GUARANTEES.md 3).
 *
 * Messages (RFC 1035 §4.1): dns_parse_query() checks an application's query
 * strictly (one question, no compression, at most one EDNS0 OPT record) and
 * the builders write whole replies into the caller's buffer, never more than
 * the client can take over UDP (RFC 1035 §4.2.1, RFC 6891 §6.2.5).  Nothing
 * an application sends is forwarded raw: dns_build_query() makes a fresh
 * query from the parsed one, and dns_check_response() validates what the
 * upstream resolver answers before it goes back.  TCP framing (RFC 1035
 * §4.2.2, RFC 7766 §8) is an incremental reader fed arbitrary splits.
 *
 * The fake pool (struct dns_fake) hands each name an address from a
 * per-subject IPv4 range (default 198.18.0.0/15, RFC 2544's benchmarking
 * block) and IPv6 range (a ULA /64), finds the name again from the address
 * when a flow arrives, and recycles the least recently used mapping that no
 * live connection holds.
 *
 * No sockets, no logging, no globals: everything is fed bytes or names by
 * the caller, in the unit tests and under libFuzzer.
 */
#ifndef NETNSP_DNS_H
#define NETNSP_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255  /* RFC 1035 §3.1, length octets included */
#define DNS_LABEL_MAX 63       /* RFC 1035 §2.3.4 */
#define DNS_NAME_TEXT_MAX 1024 /* presentation form: 253 octets, each up to "\DDD" */
#define DNS_UDP_MIN 512	       /* RFC 1035 §4.2.1: every client takes this */
#define DNS_EDNS_SIZE 1232     /* the payload size we advertise (DNS flag day 2020) */
#define DNS_QUERY_MAX 4096     /* largest query we accept from an application */
#define DNS_MSG_MAX 65535      /* RFC 1035 §4.2.2: 16-bit TCP length prefix */

/* RFC 1035 §3.2.2 / §3.2.4 and RFC 3596, RFC 2782, RFC 6891. */
enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1

/* RFC 1035 §4.1.1 RCODE; BADVERS is an extended RCODE (RFC 6891 §9). */
enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,
};

/* Header flag bits, RFC 1035 §4.1.1 and RFC 4035 §3.2 (AD, CD). */
#define DNS_FLAG_QR (1u << 15)
#define DNS_FLAG_AA (1u << 10)
#define DNS_FLAG_TC (1u << 9)
#define DNS_FLAG_RD (1u << 8)
#define DNS_FLAG_RA (1u << 7)
#define DNS_FLAG_AD (1u << 5)
#define DNS_FLAG_CD (1u << 4)
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)

/* A parsed query.  Builders echo its ID, opcode, RD, CD and question. */
struct dns_query {
	uint16_t id;
	uint16_t flags; /* the header's flags word as received */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t udp_size;  /* EDNS0 requestor's payload size, 0 without OPT */
	uint16_t max_reply; /* reply size limit: 512, the EDNS size, or 65535 on TCP */
	bool edns;	    /* a valid OPT record was present: replies carry one */
	bool edns_do;	    /* its DO bit (RFC 3225) */
	uint8_t edns_version;
	bool has_question;		 /* question parsed: replies echo it */
	uint8_t wire_len;		 /* octets in wire[], the root label included */
	uint8_t wire[DNS_NAME_WIRE_MAX]; /* QNAME as received, case kept (0x20 randomisation) */
	char name[DNS_NAME_TEXT_MAX];	 /* lowercase presentation form, no final dot, "." = root */
};

/**
 * dns_parse_query() - parse an application's query, strictly.
 * @pkt: the message (UDP payload, or one TCP message without its prefix).
 * @len: its length.
 * @q: receives the query; on -EBADMSG, -EOPNOTSUPP and -EPROTONOSUPPORT it
 *     still holds enough (ID, flags, question if parsed, EDNS) to build the
 *     error reply with dns_build_error().
 *
 * Accepted: QR = 0, opcode QUERY, TC = 0, QDCOUNT = 1, ANCOUNT = NSCOUNT = 0,
 * ARCOUNT 0 or 1 where the one record is an OPT with the root name (RFC 6891
 * §6.1.1), nothing after the last record, at most DNS_QUERY_MAX octets.  The
 * QNAME must be uncompressed (a pointer in the first name can only point
 * into the header), labels of 1..63 octets, at most 255 octets in all.
 * q->max_reply is set for UDP; call dns_query_set_tcp() for a TCP query.
 *
 * Return: 0; -EINVAL to drop silently (shorter than a header, or QR = 1: a
 * response, answering it could start a loop); -EOPNOTSUPP for NOTIMP;
 * -EPROTONOSUPPORT for BADVERS (EDNS version > 0, RFC 6891 §6.1.3); -EBADMSG
 * for FORMERR.  dns_rcode_for_error() maps these.
 */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);

/**
 * dns_rcode_for_error() - the RCODE to answer a dns_parse_query() failure with.
 * @err: its negative return value.
 *
 * Return: a DNS_RCODE_*, or -1 when the packet is to be dropped unanswered.
 */
int dns_rcode_for_error(int err);

/**
 * dns_query_set_tcp() - lift the reply size limit for a query that came over TCP.
 * @q: a parsed query.
 */
static inline void dns_query_set_tcp(struct dns_query *q)
{
	q->max_reply = DNS_MSG_MAX;
}

/**
 * dns_build_error() - build a reply with no records and @rcode.
 * @q: the query (dns_parse_query() may have failed with a FORMERR-class error).
 * @rcode: DNS_RCODE_* (NOERROR gives an empty answer, "NODATA").
 * @buf: output buffer.
 * @cap: its size.
 * @len: receives the reply's length.
 *
 * The question is echoed when q->has_question; an OPT record is added when
 * the query had one (RFC 6891 §7), carrying the upper bits of BADVERS.
 *
 * Return: 0, -EINVAL for an rcode out of range, -ENOBUFS when @cap is too small.
 */
int dns_build_error(const struct dns_query *q, int rcode, uint8_t *buf, size_t cap, size_t *len);

/**
 * dns_build_addr_answer() - build a NOERROR reply with A or AAAA records.
 * @q: the query; its QTYPE must be A for AF_INET, AAAA for AF_INET6.
 * @family: AF_INET or AF_INET6.
 * @addrs: @n addresses (struct in_addr or struct in6_addr, network order).
 * @n: how many; 0 answers "no addresses" (NOERROR, empty).
 * @ttl: their TTL in seconds.
 * @buf: output buffer.
 * @cap: its size.
 * @len: receives the reply's length.
 *
 * Owner names are compression pointers to the question (RFC 1035 §4.1.4).
 * When the reply would exceed q->max_reply, it is sent with TC set and no
 * records, so the client retries over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
 *
 * Return: 0, -EINVAL (no question, type/family mismatch), -ENOBUFS.
 */
int dns_build_addr_answer(const struct dns_query *q, int family, const void *addrs, size_t n,
			  uint32_t ttl, uint8_t *buf, size_t cap, size_t *len);

/**
 * dns_build_ptr_answer() - build a NOERROR reply with one PTR record.
 * @q: the query; its QTYPE must be PTR.
 * @name: the target name in presentation form (escapes as dns_name_to_wire()).
 * @ttl: TTL in seconds.
 * @buf: output buffer.
 * @cap: its size.
 * @len: receives the reply's length.
 *
 * Return: 0, -EINVAL (no question, not PTR, bad @name), -ENOBUFS.
 */
int dns_build_ptr_answer(const struct dns_query *q, const char *name, uint32_t ttl, uint8_t *buf,
			 size_t cap, size_t *len);

/**
 * dns_build_query() - build the query to forward upstream for @q.
 * @q: the application's parsed query.
 * @id: a fresh random ID for the upstream query.
 * @buf: output buffer.
 * @cap: its size.
 * @len: receives the query's length.
 *
 * A new message, never the application's bytes: RD set, CD copied, the
 * question as received, no OPT (it goes over TCP, RFC 7766, where the
 * payload size does not matter).
 *
 * Return: 0, -EINVAL without a question, -ENOBUFS.
 */
int dns_build_query(const struct dns_query *q, uint16_t id, uint8_t *buf, size_t cap, size_t *len);

/**
 * dns_check_response() - validate an upstream response and adapt it for the app.
 * @q: the application's query.
 * @sent_id: the ID dns_build_query() was given.
 * @resp: the response, rewritten in place.
 * @len: its length.
 * @out_len: receives the length to send to the application.
 *
 * The response must carry @sent_id, QR = 1, opcode QUERY, exactly @q's
 * question (names compared case-insensitively, RFC 4343), and records whose
 * names (compression pointers only backwards, RFC 1035 §4.1.4) and RDATA
 * lie inside the message, nothing after them.  The ID is then set to the
 * application's.  A response larger than q->max_reply is cut to its header
 * and question with TC set (RFC 1035 §4.2.1).
 *
 * Return: 0, -EBADMSG (malformed), -ESRCH (well formed but not the answer
 * to this query: drop it and wait or give SERVFAIL).
 */
int dns_check_response(const struct dns_query *q, uint16_t sent_id, uint8_t *resp, size_t len,
		       size_t *out_len);

/**
 * dns_query_for() - a query of our own for @name, to send with dns_build_query().
 * @q: receives the query: QCLASS IN, RD set, no EDNS, any reply size.
 * @name: the name in presentation form (escapes as dns_name_to_wire()).
 * @qtype: DNS_TYPE_A or DNS_TYPE_AAAA.
 *
 * Return: 0 or -EINVAL (a name dns_name_to_wire() refuses).
 */
int dns_query_for(struct dns_query *q, const char *name, uint16_t qtype);

/**
 * dns_response_addr() - the first address of @q's type in a response's answers.
 * @resp: a response; dns_check_response() should have accepted it for @q, but
 *        every bound is checked again here.
 * @len: its length.
 * @q: the query (DNS_TYPE_A or DNS_TYPE_AAAA).
 * @addr: receives 4 or 16 octets, network order.
 *
 * Only records of the answer section count, of class IN, @q's type and that
 * type's RDATA length; the names of the records are not compared (a CNAME's
 * target owns the address), as a stub resolver reads its resolver's answer.
 *
 * Return: AF_INET or AF_INET6; -ENOENT when there is none (NXDOMAIN, no
 * data, an RCODE other than NOERROR); -EBADMSG when malformed.
 */
int dns_response_addr(const uint8_t *resp, size_t len, const struct dns_query *q, uint8_t *addr);

/**
 * dns_name_to_text() - convert an uncompressed wire name to presentation form.
 * @wire: the name, a sequence of labels ending with the root label.
 * @wire_len: octets available at @wire.
 * @text: output, at least DNS_NAME_TEXT_MAX bytes for any name.
 * @cap: its size.
 * @used: receives the octets of @wire the name took, or NULL.
 *
 * Letters are lowercased; octets other than [a-z0-9_-] become "\DDD" and
 * "." / "\" inside labels "\." / "\\" (RFC 1035 §5.1).  The root is ".".
 *
 * Return: 0, -EBADMSG (compression pointer, reserved label type, label or
 * name too long, runs past @wire_len), -ENOBUFS.
 */
int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *text, size_t cap, size_t *used);

/**
 * dns_name_to_wire() - convert a presentation-form name to wire form.
 * @text: the name; a final dot is optional; "." is the root; escapes "\X"
 *        and "\DDD" as in RFC 1035 §5.1.
 * @wire: output.
 * @cap: its size (DNS_NAME_WIRE_MAX is always enough).
 * @len: receives the wire length, the root label included.
 *
 * Return: 0, -EINVAL (empty label, label > 63, name > 255, bad escape), -ENOBUFS.
 */
int dns_name_to_wire(const char *text, uint8_t *wire, size_t cap, size_t *len);

/**
 * dns_name_is_host() - whether @name is a plain host name fit for a fake address.
 * @name: presentation form as dns_parse_query() gives it.
 *
 * Plain: labels of 1..63 octets from [a-z0-9_-], separated by single dots, at
 * most 253 characters, no final dot, not the root.  Such names travel to a
 * proxy as they are (SOCKS5 ATYP 3, HTTP CONNECT host).
 *
 * Return: true if so.
 */
bool dns_name_is_host(const char *name);

/**
 * dns_reverse_to_addr() - parse a reverse-mapping name (RFC 1035 §3.5, RFC 3596 §2.5).
 * @name: lowercase presentation form, e.g. "2.0.18.198.in-addr.arpa" or the
 *        32 nibble labels of an ip6.arpa name.
 * @family: receives AF_INET or AF_INET6.
 * @addr: receives the address (struct in6_addr size is enough for both).
 *
 * Only complete names: four decimal labels 0..255 without leading zeros, or
 * 32 single hex digits.
 *
 * Return: 0, -ENOENT when @name is not a complete reverse name.
 */
int dns_reverse_to_addr(const char *name, int *family, void *addr);

/*
 * TCP framing (RFC 1035 §4.2.2): each message is preceded by its length in
 * two octets.  The reader collects one message at a time into the caller's
 * buffer, whatever the splits of the byte stream.
 */
struct dns_tcp_reader {
	uint8_t *buf; /* the caller's, not owned */
	size_t cap;   /* its size: longer messages are an error */
	size_t need;  /* length of the current message, 0 while reading the prefix */
	size_t have;  /* its octets received so far */
	uint8_t prefix[2];
	uint8_t n_prefix; /* prefix octets received so far */
	bool failed;	  /* a bad length was seen: the stream is lost */
};

/**
 * dns_tcp_reader_init() - start reading messages into @buf.
 * @r: the reader.
 * @buf: where messages are assembled (borrowed; e.g. DNS_QUERY_MAX octets
 *       for applications' queries, DNS_MSG_MAX for upstream responses).
 * @cap: its size.
 */
void dns_tcp_reader_init(struct dns_tcp_reader *r, uint8_t *buf, size_t cap);

/**
 * dns_tcp_reader_feed() - feed stream bytes; stop after a whole message.
 * @r: the reader.
 * @data: bytes received.
 * @n: their number.
 * @used: receives how many were consumed (the rest belongs to later messages).
 * @msg_len: receives the message length when 1 is returned; the message is
 *           in the reader's buffer until the next call.
 *
 * Return: 1 with a whole message, 0 when all of @data was consumed without
 * completing one, -EMSGSIZE for a length of 0 or above the buffer's size:
 * the stream cannot be resynchronised, close it.
 */
int dns_tcp_reader_feed(struct dns_tcp_reader *r, const uint8_t *data, size_t n, size_t *used,
			size_t *msg_len);

/**
 * dns_tcp_reader_idle() - whether the reader sits between two messages.
 * @r: the reader.
 *
 * Return: true if end of stream now would cut no message.
 */
bool dns_tcp_reader_idle(const struct dns_tcp_reader *r);

/* ------------------------------------------------------------------------ */
/* The fake-IP pool.                                                        */

struct dns_fake_config {
	struct in_addr v4_base;	 /* network order, host bits zero */
	unsigned int v4_prefix;	 /* 8..30 */
	struct in6_addr v6_base; /* host bits zero */
	unsigned int v6_prefix;	 /* 64..126, or 0 for no IPv6 pool */
	uint32_t capacity;	 /* mappings at most; <= usable addresses of each range */
	uint64_t min_reuse_age;	 /* seconds an unused mapping is kept before reuse (>= the TTL) */
	uint8_t seed[16];	 /* random key of the name hash (flooding resistance) */
};

/* One mapping.  Slot i holds addresses base + 1 + i in both families. */
struct dns_fake_entry {
	char *name;	     /* owned; NULL when the slot is free */
	uint64_t last_used;  /* caller's clock, seconds */
	uint32_t hash;	     /* of name, keyed */
	uint32_t hnext;	     /* next slot in the same hash bucket */
	uint32_t prev, next; /* LRU list (unreferenced) or free list links */
	uint32_t refs;	     /* live connections: never recycled while > 0 */
};

struct dns_fake {
	struct dns_fake_config cfg;
	struct dns_fake_entry *slots; /* owned, n_slots long, grows to cfg.capacity */
	uint32_t n_slots;
	uint32_t *buckets; /* owned, n_buckets (a power of two) heads of hash chains */
	uint32_t n_buckets;
	uint32_t n_live;	     /* slots holding a name */
	uint32_t lru_head, lru_tail; /* most / least recently used unreferenced mapping */
	uint32_t free_head;	     /* free slots below n_slots, linked by prev / next */
	bool lru_dirty;		     /* dns_fake_insert() linked out of order: sort before reuse */
};

/**
 * dns_fake_init() - set up an empty pool.
 * @pool: the pool.
 * @cfg: ranges, capacity, reuse age and hash seed (copied).
 *
 * Return: 0, -EINVAL for a bad range (prefix out of bounds, host bits set)
 * or a capacity of 0 or above either range's usable addresses (all but the
 * first and last, e.g. 131070 for a /15), -ENOMEM.
 */
int dns_fake_init(struct dns_fake *pool, const struct dns_fake_config *cfg);

/**
 * dns_fake_free() - release a pool's memory; accepts a zeroed pool.
 * @pool: the pool.
 */
void dns_fake_free(struct dns_fake *pool);

/**
 * dns_fake_lookup_name() - the fake address of @name, mapped now if new.
 * @pool: the pool.
 * @name: a plain host name (dns_name_is_host()), lowercase.
 * @family: AF_INET or AF_INET6.
 * @now: current time in seconds (the clock of every other call).
 * @addr: receives a struct in_addr or struct in6_addr.
 *
 * A new name takes a free slot, else the least recently used mapping that
 * no connection holds and that was last used min_reuse_age ago or more.
 *
 * Return: 0, -EINVAL (not a host name), -EAFNOSUPPORT (no pool for
 * @family), -ENOSPC (every mapping is held or too recent: answer SERVFAIL),
 * -ENOMEM.
 */
int dns_fake_lookup_name(struct dns_fake *pool, const char *name, int family, uint64_t now,
			 void *addr);

/**
 * dns_fake_lookup_addr() - the name a fake address stands for.
 * @pool: the pool.
 * @family: AF_INET or AF_INET6.
 * @addr: the address (network order).
 *
 * Return: the name (owned by the pool, valid until it is recycled: hold a
 * reference with dns_fake_ref() to keep it), or NULL if unmapped.
 */
const char *dns_fake_lookup_addr(const struct dns_fake *pool, int family, const void *addr);

/**
 * dns_fake_contains() - whether @addr lies in the pool's range for @family.
 * @pool: the pool.
 * @family: AF_INET or AF_INET6.
 * @addr: the address.
 *
 * A flow to an address in the range that is not mapped (any more) must be
 * refused, never connected to the address itself.
 *
 * Return: true if in range.
 */
bool dns_fake_contains(const struct dns_fake *pool, int family, const void *addr);

/**
 * dns_fake_ref() - count a live connection to a fake address.
 * @pool: the pool.
 * @family: AF_INET or AF_INET6.
 * @addr: the address.
 *
 * Return: 0, -ENOENT if unmapped, -EOVERFLOW.
 */
int dns_fake_ref(struct dns_fake *pool, int family, const void *addr);

/**
 * dns_fake_unref() - drop a reference taken by dns_fake_ref().
 * @pool: the pool.
 * @family: AF_INET or AF_INET6.
 * @addr: the address.
 *
 * The mapping becomes the most recently used one when its last reference goes.
 *
 * Return: 0, -ENOENT if unmapped or not referenced.
 */
int dns_fake_unref(struct dns_fake *pool, int family, const void *addr);

/**
 * dns_fake_count() - number of mappings.
 * @pool: the pool.
 *
 * Return: the number.
 */
uint32_t dns_fake_count(const struct dns_fake *pool);

/**
 * dns_fake_foreach() - visit every mapping, for persistence.
 * @pool: the pool.
 * @fn: called with the name, its addresses (@v6 NULL without an IPv6 pool),
 *      last use and @userdata; a nonzero return stops the walk.
 * @userdata: passed to @fn.
 *
 * Return: 0, or the first nonzero value @fn returned.
 */
int dns_fake_foreach(const struct dns_fake *pool,
		     int (*fn)(const char *name, const struct in_addr *v4,
			       const struct in6_addr *v6, uint64_t last_used, void *userdata),
		     void *userdata);

/**
 * dns_fake_insert() - restore a persisted mapping.
 * @pool: the pool.
 * @name: a plain host name.
 * @v4: its IPv4 address; it selects the slot.
 * @v6: its IPv6 address, or NULL; if given it must be the same slot's.
 * @last_used: its last use (same clock as @now elsewhere).
 *
 * Return: 0, -EINVAL (bad name, address outside the range or not the slot's,
 * slot beyond capacity), -EEXIST (name or slot already mapped), -ENOMEM.
 */
int dns_fake_insert(struct dns_fake *pool, const char *name, const struct in_addr *v4,
		    const struct in6_addr *v6, uint64_t last_used);

#endif
