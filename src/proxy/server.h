/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - server side of the protocols netnsp speaks to proxy-aware
 * apps inside a subject (the profile's socks-port and http-port), and the
 * SOCKS5 UDP datagram header (RFC 1928 §7).
 *
 *   socks5_srv_*  a SOCKS5 server (RFC 1928) with optional username/password
 *                 (RFC 1929): greeting, auth, request -> a struct proxy_target
 *   http_srv_*    an HTTP/1.1 proxy request head (RFC 7230, RFC 7231): CONNECT
 *                 host:port, or absolute-form http:// requests rewritten to
 *                 origin-form for the origin server
 *   socks5_udp_*  encode and decode the header of a UDP ASSOCIATE datagram
 *
 * Like the client side (proxy.h) these are incremental state machines over
 * bytes: the caller feeds whatever the app sent, in any split, and never a
 * byte past the request is consumed (what follows is tunnel data, or the
 * request body).  No I/O, no allocation, no logging.  Names the app gives
 * stay names: they go to the proxy chain unresolved.
 */
#ifndef NETNSP_PROXY_SERVER_H
#define NETNSP_PROXY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy.h"
#include "proxy/socks5_proto.h"

/* ---- SOCKS5 server (RFC 1928, RFC 1929) ---- */

/* socks5_srv_init() flags */
#define SOCKS5_SRV_USERPASS (1u << 0) /* accept method 02 and prefer it when offered */

/* Largest message an app sends: RFC 1929 §2 auth, 1 + 1 + 255 + 1 + 255. */
#define SOCKS5_SRV_IN_MAX 513
/* Method reply + auth reply + a reply carrying a 255-byte name. */
#define SOCKS5_SRV_OUT_MAX 512

enum socks5_srv_state {
	SOCKS5_SRV_GREETING = 0,
	SOCKS5_SRV_AUTH,
	SOCKS5_SRV_REQUEST,
	SOCKS5_SRV_DONE,   /* request parsed: cmd and target are valid */
	SOCKS5_SRV_FAILED, /* a refusal may be queued in out: send it, then close */
};

struct socks5_srv {
	enum socks5_srv_state state;
	unsigned flags;
	int err;	/* the error once FAILED */
	bool replied;	/* socks5_srv_reply() was called */
	uint8_t method; /* chosen: 0x00 or 0x02 */
	uint8_t cmd;	/* SOCKS5_CMD_CONNECT or SOCKS5_CMD_UDP_ASSOCIATE once DONE */
	/*
	 * CONNECT: the destination.  UDP ASSOCIATE: where the app says it will
	 * send its datagrams from (RFC 1928 §7; often 0.0.0.0 port 0).
	 */
	struct proxy_target target;
	/* RFC 1929 credentials when method is 0x02; NUL-terminated, may hold NULs */
	char user[256];
	size_t user_len;
	char pass[256];
	size_t pass_len;
	uint8_t in[SOCKS5_SRV_IN_MAX]; /* the current message so far */
	size_t in_len;
	uint8_t out[SOCKS5_SRV_OUT_MAX]; /* replies to send to the app */
	size_t out_len;
};

/**
 * socks5_srv_init() - start a SOCKS5 server conversation.
 * @s: state to initialise.
 * @flags: SOCKS5_SRV_USERPASS or 0.
 */
void socks5_srv_init(struct socks5_srv *s, unsigned flags);

/**
 * socks5_srv_feed() - give the parser bytes received from the app.
 * @s: conversation.
 * @data: bytes.
 * @len: their number.
 * @consumed: receives how many bytes belonged to the handshake.
 *
 * Pipelined messages (greeting, auth and request in one segment) are taken
 * in one call; their replies queue up in the output.
 *
 * Return: 0 when more input is needed (send socks5_srv_output() first), 1
 * when the request is complete (s->cmd and s->target are set, bytes after
 * @consumed are tunnel data; answer with socks5_srv_reply()), or a negative
 * errno, with the refusal the app is owed queued in the output: -EPROTO
 * (not SOCKS5, malformed), -EOPNOTSUPP (no acceptable method: 05 FF; BIND
 * or unknown command: REP 7), -EAFNOSUPPORT (unknown ATYP: REP 8).  Once
 * finished it stays finished: 1 or the same error again, consuming nothing.
 */
int socks5_srv_feed(struct socks5_srv *s, const uint8_t *data, size_t len, size_t *consumed);

/**
 * socks5_srv_output() - the bytes to send to the app now.
 * @s: conversation.
 * @len: receives their number.
 *
 * Return: pointer into @s.
 */
const uint8_t *socks5_srv_output(const struct socks5_srv *s, size_t *len);

/**
 * socks5_srv_sent() - tell the conversation that @n bytes of output went out.
 * @s: conversation.
 * @n: bytes sent, at most the length socks5_srv_output() gave.
 */
void socks5_srv_sent(struct socks5_srv *s, size_t n);

/**
 * socks5_srv_reply() - queue the answer to a parsed request.
 * @s: conversation in SOCKS5_SRV_DONE.
 * @err: 0 for success or the negative errno the upstream attempt failed with.
 * @bnd: BND.ADDR/BND.PORT, or NULL for 0.0.0.0 port 0.
 *
 * Return: 0, or -EINVAL when @s is not DONE, was answered already or @bnd
 * is not a valid target.
 */
int socks5_srv_reply(struct socks5_srv *s, int err, const struct proxy_target *bnd);

/**
 * socks5_srv_build_reply() - build a reply 05 REP 00 ATYP BND.ADDR BND.PORT.
 * @out: buffer.
 * @cap: its size.
 * @err: 0 for REP 0, else a negative errno, see socks5_srv_rep_from_errno().
 * @bnd: BND address and port, or NULL for 0.0.0.0 port 0.
 *
 * Return: the reply's length, -EINVAL for a bad @bnd, -ENOBUFS if @cap is
 * too small.
 */
int socks5_srv_build_reply(uint8_t *out, size_t cap, int err, const struct proxy_target *bnd);

/**
 * socks5_srv_rep_from_errno() - RFC 1928 §6 REP for an error.
 * @err: 0 or a negative errno.
 *
 * Return: 0 for 0; ECONNREFUSED 5, ENETUNREACH 3, EHOSTUNREACH 4,
 * ETIMEDOUT 6, EACCES 2, EAFNOSUPPORT 8, EOPNOTSUPP 7, anything else 1.
 */
uint8_t socks5_srv_rep_from_errno(int err);

/* ---- HTTP proxy server (RFC 7230, RFC 7231) ---- */

#define HTTP_SRV_HEAD_MAX 16384 /* request line + headers + empty line */
/*
 * The rewritten head: bare LF lines grow by one byte each (a line is at
 * least 3 bytes, "a:\n"), plus Host and Connection headers we add.
 */
#define HTTP_SRV_OUT_MAX (HTTP_SRV_HEAD_MAX + HTTP_SRV_HEAD_MAX / 2 + 512)
#define HTTP_SRV_METHOD_MAX 32

enum http_srv_state {
	HTTP_SRV_HEAD = 0,
	HTTP_SRV_DONE,	 /* head parsed: target (and out for non-CONNECT) valid */
	HTTP_SRV_FAILED, /* answer with http_srv_status_from_errno(err), then close */
};

struct http_srv {
	enum http_srv_state state;
	int err;			      /* the error once FAILED */
	bool connect;			      /* CONNECT: tunnel; else forward out */
	char method[HTTP_SRV_METHOD_MAX + 1]; /* as received, e.g. "GET" */
	struct proxy_target target;	      /* origin server or CONNECT target */
	size_t in_len;
	size_t out_len;
	uint8_t in[HTTP_SRV_HEAD_MAX]; /* the head so far */
	uint8_t out[HTTP_SRV_OUT_MAX]; /* rewritten head for the origin */
};

/**
 * http_srv_init() - start parsing an HTTP proxy request.
 * @h: state to initialise.
 */
void http_srv_init(struct http_srv *h);

/**
 * http_srv_feed() - give the parser bytes received from the app.
 * @h: request.
 * @data: bytes.
 * @len: their number.
 * @consumed: receives how many bytes belonged to the head (up to and
 *            including its empty line); the rest is body or tunnel data.
 *
 * Return: 0 when more input is needed, 1 when the head is complete and
 * valid (h->connect, h->target, and for other methods the rewritten head,
 * see http_srv_request()), or a negative errno: -E2BIG (head over
 * HTTP_SRV_HEAD_MAX), -EPROTO (malformed, origin-form, obs-fold, control
 * characters, https:// or other schemes, userinfo, bad port, both
 * Content-Length and Transfer-Encoding).  Once finished it stays finished.
 */
int http_srv_feed(struct http_srv *h, const uint8_t *data, size_t len, size_t *consumed);

/**
 * http_srv_request() - the rewritten request head to send to the origin.
 * @h: request in HTTP_SRV_DONE.
 * @len: receives its length; 0 for CONNECT or when not DONE.
 *
 * Return: pointer into @h.
 */
const uint8_t *http_srv_request(const struct http_srv *h, size_t *len);

/**
 * http_srv_build_response() - build a complete response head for the app.
 * @out: buffer.
 * @cap: its size.
 * @status: 200 (CONNECT established), 400, 403, 405, 502 or 504.
 *
 * Return: its length, -EINVAL for another status, -ENOBUFS if @cap is too
 * small.
 */
int http_srv_build_response(uint8_t *out, size_t cap, int status);

/**
 * http_srv_status_from_errno() - the status to answer a failure with.
 * @err: 0 or a negative errno from http_srv_feed() or the upstream attempt.
 *
 * Return: 200 for 0; 400 for -EPROTO, -EINVAL, -E2BIG; 403 for -EACCES;
 * 405 for -EOPNOTSUPP; 504 for -ETIMEDOUT; 502 for anything else.
 */
int http_srv_status_from_errno(int err);

/* ---- SOCKS5 UDP datagram header (RFC 1928 §7) ---- */

#define SOCKS5_UDP_HDR_MAX (4 + 1 + PROXY_NAME_MAX + 2)

/**
 * socks5_udp_encode() - build RSV(2)=0 FRAG=0 ATYP DST.ADDR DST.PORT DATA.
 * @dst: destination (address or name).
 * @payload: datagram payload.
 * @len: its length, at most 65535.
 * @out: buffer (may not overlap @payload).
 * @cap: its size.
 *
 * Return: the datagram's length, -EINVAL for a bad @dst, -EMSGSIZE when it
 * does not fit @cap or @len is over 65535.
 */
int socks5_udp_encode(const struct proxy_target *dst, const uint8_t *payload, size_t len,
		      uint8_t *out, size_t cap);

/**
 * socks5_udp_decode() - split a UDP ASSOCIATE datagram into header and data.
 * @pkt: the datagram.
 * @len: its length.
 * @src: receives the address (or name) in the header.
 * @payload: receives a pointer into @pkt where the data starts.
 * @plen: receives the data's length.
 *
 * Return: 0, -EOPNOTSUPP for a fragment (FRAG != 0: we do not reassemble,
 * RFC 1928 §7 lets us drop it), -EAFNOSUPPORT for an unknown ATYP, -EPROTO
 * for a truncated header or an empty or NUL-holding name.
 */
int socks5_udp_decode(const uint8_t *pkt, size_t len, struct proxy_target *src,
		      const uint8_t **payload, size_t *plen);

#endif
