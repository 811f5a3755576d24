/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy.h - client side of the proxy handshakes: SOCKS5 (RFC 1928) with
 * username/password (RFC 1929), SOCKS4a, and HTTP/1.1 CONNECT (RFC 7231
 * §4.3.6) with Basic auth (RFC 7617).
 *
 * Each handshake is an incremental state machine over bytes: the caller
 * sends what proxy_hs_output() holds, feeds whatever it receives, in any
 * split, and learns when the tunnel is up.  It never consumes a byte past
 * the end of the proxy's reply: those belong to the next hop or the app.
 * No I/O, no allocation, no logging: fed byte by byte in the unit tests and
 * by libFuzzer.
 */
#ifndef NETNSP_PROXY_H
#define NETNSP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The upstream kinds a proxy url names (its scheme). */
enum proxy_kind {
	PROXY_SOCKS5 = 0, /* socks5://  names are still sent to the proxy: netnsp never resolves */
	PROXY_SOCKS5H,	  /* socks5h:// names always sent to the proxy (ATYP 3) */
	PROXY_SOCKS4A,	  /* socks4a:// */
	PROXY_HTTP,	  /* http://    HTTP/1.1 CONNECT */
	PROXY_DIRECT,	  /* direct     connect straight to the destination */
	PROXY_TOR,	  /* tor        a tor that netnsp starts and supervises (src/daemon/tor.c);
			   *            spoken to as socks5h over a unix socket */
	PROXY_I2P,	  /* i2p        an i2pd that netnsp starts and supervises (daemon/i2p.c);
			   *            spoken to as socks5h on 127.0.0.1 */
};

#define PROXY_NAME_MAX 255 /* SOCKS5 ATYP 3 limit */
#define PROXY_OUT_MAX 1024 /* largest request we build */
#define PROXY_IN_MAX 8192  /* largest reply we accept (HTTP headers) */

/* Where the proxy is asked to connect: an address or a name, and a port. */
struct proxy_target {
	int family;	  /* AF_INET, AF_INET6, or 0 for @name */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
	char name[PROXY_NAME_MAX + 1];
	uint16_t port; /* host order */
};

enum proxy_hs_state {
	HS_SOCKS5_GREETING = 0,
	HS_SOCKS5_AUTH,
	HS_SOCKS5_CONNECT,
	HS_SOCKS4_CONNECT,
	HS_HTTP_CONNECT,
	HS_DONE,
	HS_FAILED,
};

struct proxy_hs {
	enum proxy_kind kind;
	enum proxy_hs_state state;
	const char *user; /* borrowed, may be NULL */
	const char *pass; /* borrowed, may be NULL */
	struct proxy_target target;
	/*
	 * proxy_hs_pipeline(): every request is in @out from the start; the
	 * replies only move the state on.
	 */
	bool pipelined;
	uint8_t out[PROXY_OUT_MAX]; /* bytes to send */
	size_t out_len;
	uint8_t in[PROXY_IN_MAX]; /* the reply so far */
	size_t in_len;
	int reply_code; /* SOCKS REP / CD, or HTTP status, once known */
	bool udp;	/* SOCKS5 UDP ASSOCIATE instead of CONNECT (proxy_hs_init_udp()) */
};

/**
 * proxy_hs_init() - start a handshake asking a proxy to connect to @t.
 * @hs: state to initialise; its first request is in hs->out afterwards.
 * @kind: PROXY_SOCKS5, PROXY_SOCKS5H, PROXY_SOCKS4A or PROXY_HTTP.
 * @user: user name or NULL (borrowed: must outlive @hs).
 * @pass: password or NULL (borrowed).
 * @t: the target.
 *
 * Return: 0, -EINVAL for an impossible request (user or password longer
 * than 255 bytes, a name longer than 255, PROXY_DIRECT), -EAFNOSUPPORT for
 * an IPv6 target over SOCKS4a.
 */
int proxy_hs_init(struct proxy_hs *hs, enum proxy_kind kind, const char *user, const char *pass,
		  const struct proxy_target *t);

/**
 * proxy_hs_init_udp() - start a SOCKS5 UDP ASSOCIATE handshake (RFC 1928 §7).
 * @hs: state to initialise; its first request is in hs->out afterwards.
 * @kind: PROXY_SOCKS5 or PROXY_SOCKS5H.
 * @user: user name or NULL (borrowed: must outlive @hs).
 * @pass: password or NULL (borrowed).
 * @from: the address and port the client will send its datagrams from, as
 *        DST.ADDR/DST.PORT of the request; 0.0.0.0 port 0 when unknown.
 *
 * The greeting and authentication are those of CONNECT; only the request's
 * CMD differs (X'03').  Once proxy_hs_feed() returns 1, proxy_hs_bound()
 * gives the relay address the datagrams go to.  The TCP connection must stay
 * open for the association's life: its end ends the association.
 *
 * Return: 0, -EOPNOTSUPP for a kind other than SOCKS5, or what
 * proxy_hs_init() returns.
 */
int proxy_hs_init_udp(struct proxy_hs *hs, enum proxy_kind kind, const char *user, const char *pass,
		      const struct proxy_target *from);

/**
 * proxy_hs_pipeline() - send every request of a SOCKS5 handshake at once.
 * @hs: a SOCKS5 handshake just made by proxy_hs_init() or proxy_hs_init_udp(),
 *      none of whose output was sent yet.
 *
 * Afterwards hs->out holds the greeting, the username/password request (with
 * credentials) and the CONNECT (or UDP ASSOCIATE) request, one after the
 * other, so the whole handshake costs one round trip instead of two or three.
 * With credentials the greeting offers username/password only: once the
 * credentials are on their way, the proxy cannot be let pick "no
 * authentication".  The proxy must read each request exactly and keep what
 * follows it (RFC 1928 lets a client wait, not a server discard); one that
 * reads more and drops the rest breaks the handshake.  The replies are checked
 * as without pipelining, except that with credentials an RFC 1929 reply may
 * stand for the method reply too (Tor sends only the former); a reply that
 * completes the handshake while part of hs->out is still unsent is -EPROTO.
 *
 * Return: 0, or -EINVAL for another kind or a handshake already under way.
 */
int proxy_hs_pipeline(struct proxy_hs *hs);

/**
 * proxy_hs_bound() - BND.ADDR and BND.PORT of a finished SOCKS5 handshake.
 * @hs: handshake for which proxy_hs_feed() returned 1.
 * @bnd: receives the address (or name, ATYP 3) and port of the reply.
 *
 * For UDP ASSOCIATE this is where the proxy relays datagrams; an unspecified
 * address (0.0.0.0 or ::) means "the address you reached me at".
 *
 * Return: 0, or -EINVAL when @hs is not a finished SOCKS5 handshake or
 * BND.ADDR is a name that is empty or holds a NUL.
 */
int proxy_hs_bound(const struct proxy_hs *hs, struct proxy_target *bnd);

/**
 * proxy_hs_output() - the bytes to send now.
 * @hs: handshake.
 * @len: receives their number (0 when waiting for the proxy).
 *
 * Return: pointer into @hs.
 */
const uint8_t *proxy_hs_output(const struct proxy_hs *hs, size_t *len);

/**
 * proxy_hs_sent() - tell the handshake that @n bytes of its output went out.
 * @hs: handshake.
 * @n: bytes sent, at most the length proxy_hs_output() gave.
 */
void proxy_hs_sent(struct proxy_hs *hs, size_t n);

/**
 * proxy_hs_feed() - give the handshake bytes received from the proxy.
 * @hs: handshake.
 * @data: bytes.
 * @len: their number.
 * @consumed: receives how many bytes belonged to the handshake.
 *
 * Return: 0 when more input is needed (check proxy_hs_output() for a new
 * request), 1 when the tunnel is established (bytes after @consumed are the
 * tunnel's), or a negative errno: -ECONNREFUSED (SOCKS5 REP 5, SOCKS4 91,
 * HTTP 5xx other than 504), -ENETUNREACH (REP 3), -EHOSTUNREACH (REP 4,
 * HTTP 404), -ETIMEDOUT (REP 6, HTTP 504), -EACCES (auth refused, REP 2,
 * SOCKS4 92/93, HTTP 401/403/407), -EOPNOTSUPP (REP 7, no acceptable
 * method), -EAFNOSUPPORT (REP 8), -EPROTO (malformed or oversized reply,
 * any other code).
 */
int proxy_hs_feed(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *consumed);

/**
 * proxy_strerror() - short text for a proxy_hs_feed() / proxy_hs_init() error.
 * @hs: handshake (for the reply code), may be NULL.
 * @err: negative errno.
 *
 * Return: static text such as "SOCKS5 reply 5 (connection refused)".
 */
const char *proxy_strerror(const struct proxy_hs *hs, int err);

/**
 * proxy_target_set_name() - make @t a name target.
 * @t: target.
 * @name: host name, at most 255 bytes.
 * @port: host order.
 *
 * Return: 0 or -EINVAL.
 */
int proxy_target_set_name(struct proxy_target *t, const char *name, uint16_t port);

/**
 * proxy_target_set_host() - make @t from a host string of the config: an IP
 * literal becomes an address target, anything else a name target.
 * @t: target.
 * @host: "10.1.2.3", "2001:db8::1" (no brackets) or a name.
 * @port: host order.
 *
 * Return: 0 or -EINVAL.
 */
int proxy_target_set_host(struct proxy_target *t, const char *host, uint16_t port);

/**
 * proxy_target_set_sa() - make @t the address and port of a socket address.
 * @t: target.
 * @sa: an AF_INET or AF_INET6 address.
 *
 * Return: 0 or -EAFNOSUPPORT for another family (@t is then cleared).
 */
int proxy_target_set_sa(struct proxy_target *t, const struct sockaddr_storage *sa);

#endif
