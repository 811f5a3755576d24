/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * socks5_server.c - server side of SOCKS5 (RFC 1928) with username/password
 * (RFC 1929), for the socks-port endpoint inside a subject.
 *
 *   greeting  05 N METHODS...          ->  05 METHOD
 *   auth      01 ULEN USER PLEN PASS   ->  01 00             (only if METHOD 02)
 *   request   05 CMD 00 ATYP ADDR PORT ->  (caller) 05 REP 00 ATYP BND.ADDR BND.PORT
 *
 * Credentials are not checked here: the app is already confined to the
 * subject, and they serve only as a label (Tor's IsolateSOCKSAuth gives
 * each distinct user/password its own circuits).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/server-internal.h"
#include "proxy/server.h"
#include "proxy/socks5_proto.h"

void socks5_srv_init(struct socks5_srv *s, unsigned flags)
{
	memset(s, 0, offsetof(struct socks5_srv, in));
	s->in_len = 0;
	s->out_len = 0;
	s->flags = flags;
	s->state = SOCKS5_SRV_GREETING;
}

const uint8_t *socks5_srv_output(const struct socks5_srv *s, size_t *len)
{
	*len = s->out_len;
	return s->out;
}

void socks5_srv_sent(struct socks5_srv *s, size_t n)
{
	if (n > s->out_len)
		n = s->out_len;
	memmove(s->out, s->out + n, s->out_len - n);
	s->out_len -= n;
}

/* Queue two bytes (method or auth reply); out always has room for them. */
static void socks5_srv_put2(struct socks5_srv *s, uint8_t a, uint8_t b)
{
	s->out[s->out_len++] = a;
	s->out[s->out_len++] = b;
}

/* Queue a reply with REP @rep and BND 0.0.0.0:0; out has room after <= 4 bytes. */
static void socks5_srv_put_rep(struct socks5_srv *s, int err)
{
	s->out_len += (size_t)socks5_srv_build_reply(s->out + s->out_len,
						     sizeof(s->out) - s->out_len, err, NULL);
}

/* Append input to s->in until it holds @need bytes; returns what was taken. */
static size_t socks5_srv_take(struct socks5_srv *s, const uint8_t *data, size_t len, size_t need)
{
	size_t n;

	if (s->in_len >= need)
		return 0;
	n = need - s->in_len;
	if (n > len)
		n = len;
	memcpy(s->in + s->in_len, data, n);
	s->in_len += n;
	return n;
}

/*
 * RFC 1928 §3: pick one of the offered methods.  With SOCKS5_SRV_USERPASS
 * user/password wins when offered, as in Tor, so that apps that send
 * credentials for isolation get them through.
 */
static int socks5_srv_on_greeting(struct socks5_srv *s)
{
	bool none = memchr(s->in + 2, SOCKS5_M_NONE, s->in[1]) != NULL;
	bool userpass = memchr(s->in + 2, SOCKS5_M_USERPASS, s->in[1]) != NULL;

	s->in_len = 0;
	if (userpass && (s->flags & SOCKS5_SRV_USERPASS)) {
		s->method = SOCKS5_M_USERPASS;
		s->state = SOCKS5_SRV_AUTH;
	} else if (none) {
		s->method = SOCKS5_M_NONE;
		s->state = SOCKS5_SRV_REQUEST;
	} else {
		socks5_srv_put2(s, SOCKS5_VER, SOCKS5_M_NONE_ACCEPTABLE);
		return -EOPNOTSUPP;
	}
	socks5_srv_put2(s, SOCKS5_VER, s->method);
	return 0;
}

static int socks5_srv_step_greeting(struct socks5_srv *s, const uint8_t *data, size_t len,
				    size_t *used)
{
	*used = socks5_srv_take(s, data, len, 2);
	if (s->in_len < 2)
		return 0;
	/* Not SOCKS5 (SOCKS4, HTTP, TLS...): nothing we could answer in it. */
	if (s->in[0] != SOCKS5_VER)
		return -EPROTO;
	*used += socks5_srv_take(s, data + *used, len - *used, 2 + (size_t)s->in[1]);
	if (s->in_len < 2 + (size_t)s->in[1])
		return 0;
	return socks5_srv_on_greeting(s);
}

/* RFC 1929 §2: VER ULEN UNAME PLEN PASSWD; STATUS 00 is success. */
static int socks5_srv_step_auth(struct socks5_srv *s, const uint8_t *data, size_t len, size_t *used)
{
	size_t ulen, plen;

	*used = socks5_srv_take(s, data, len, 2);
	if (s->in_len < 2)
		return 0;
	if (s->in[0] != SOCKS5_AUTH_VER) {
		socks5_srv_put2(s, SOCKS5_AUTH_VER, SOCKS5_AUTH_FAIL);
		return -EPROTO;
	}
	ulen = s->in[1];
	*used += socks5_srv_take(s, data + *used, len - *used, 2 + ulen + 1);
	if (s->in_len < 2 + ulen + 1)
		return 0;
	plen = s->in[2 + ulen];
	*used += socks5_srv_take(s, data + *used, len - *used, 2 + ulen + 1 + plen);
	if (s->in_len < 2 + ulen + 1 + plen)
		return 0;
	memcpy(s->user, s->in + 2, ulen);
	s->user[ulen] = '\0';
	s->user_len = ulen;
	memcpy(s->pass, s->in + 3 + ulen, plen);
	s->pass[plen] = '\0';
	s->pass_len = plen;
	s->in_len = 0;
	s->state = SOCKS5_SRV_REQUEST;
	socks5_srv_put2(s, SOCKS5_AUTH_VER, SOCKS5_AUTH_OK);
	return 0;
}

/* The whole request is in s->in: RFC 1928 §4. */
static int socks5_srv_on_request(struct socks5_srv *s)
{
	int r;

	/* RSV (s->in[2]) is not checked: RFC 1928 gives it no meaning. */
	r = socks5_addr_parse(s->in + 3, s->in_len - 3, &s->target);
	if (r < 0) {
		socks5_srv_put_rep(s, r);
		return r;
	}
	if (s->in[1] != SOCKS5_CMD_CONNECT && s->in[1] != SOCKS5_CMD_UDP_ASSOCIATE) {
		/* BIND and unknown commands: REP 7, command not supported. */
		socks5_srv_put_rep(s, -EOPNOTSUPP);
		return -EOPNOTSUPP;
	}
	s->cmd = s->in[1];
	return 1;
}

static int socks5_srv_step_request(struct socks5_srv *s, const uint8_t *data, size_t len,
				   size_t *used)
{
	int need;

	*used = socks5_srv_take(s, data, len, 4);
	if (s->in_len < 4)
		return 0;
	if (s->in[0] != SOCKS5_VER) {
		socks5_srv_put_rep(s, -EPROTO);
		return -EPROTO;
	}
	for (;;) {
		need = socks5_addr_need(s->in + 3, s->in_len - 3);
		if (need < 0) {
			socks5_srv_put_rep(s, need);
			return need;
		}
		*used += socks5_srv_take(s, data + *used, len - *used, 3 + (size_t)need);
		if (s->in_len < 3 + (size_t)need)
			return 0;
		/* A name's length byte may just have arrived and told the real need. */
		if (need == socks5_addr_need(s->in + 3, s->in_len - 3))
			return socks5_srv_on_request(s);
	}
}

static int socks5_srv_step(struct socks5_srv *s, const uint8_t *data, size_t len, size_t *used)
{
	switch (s->state) {
	case SOCKS5_SRV_GREETING:
		return socks5_srv_step_greeting(s, data, len, used);
	case SOCKS5_SRV_AUTH:
		return socks5_srv_step_auth(s, data, len, used);
	case SOCKS5_SRV_REQUEST:
		return socks5_srv_step_request(s, data, len, used);
	default:
		*used = 0;
		return -EPROTO;
	}
}

int socks5_srv_feed(struct socks5_srv *s, const uint8_t *data, size_t len, size_t *consumed)
{
	int r = 0;

	*consumed = 0;
	if (s->state == SOCKS5_SRV_DONE)
		return 1;
	if (s->state == SOCKS5_SRV_FAILED)
		return s->err;
	while (*consumed < len) {
		size_t used = 0;

		r = socks5_srv_step(s, data + *consumed, len - *consumed, &used);
		*consumed += used;
		if (r != 0)
			break;
	}
	if (r < 0) {
		s->state = SOCKS5_SRV_FAILED;
		s->err = r;
	} else if (r > 0) {
		s->state = SOCKS5_SRV_DONE;
	}
	return r;
}

uint8_t socks5_srv_rep_from_errno(int err)
{
	switch (err) {
	case 0:
		return SOCKS5_REP_SUCCEEDED;
	case -EACCES:
		return SOCKS5_REP_NOT_ALLOWED;
	case -ENETUNREACH:
		return SOCKS5_REP_NET_UNREACH;
	case -EHOSTUNREACH:
		return SOCKS5_REP_HOST_UNREACH;
	case -ECONNREFUSED:
		return SOCKS5_REP_REFUSED;
	case -ETIMEDOUT:
		return SOCKS5_REP_TTL_EXPIRED; /* what clients show for timeouts */
	case -EOPNOTSUPP:
		return SOCKS5_REP_CMD;
	case -EAFNOSUPPORT:
		return SOCKS5_REP_ATYP;
	default:
		return SOCKS5_REP_FAILURE;
	}
}

int socks5_srv_build_reply(uint8_t *out, size_t cap, int err, const struct proxy_target *bnd)
{
	static const struct proxy_target any = {.family = AF_INET};
	int n;

	if (!out)
		return -EINVAL;
	if (cap < 3)
		return -ENOBUFS;
	out[0] = SOCKS5_VER;
	out[1] = socks5_srv_rep_from_errno(err);
	out[2] = SOCKS5_RSV;
	n = socks5_addr_put(out + 3, cap - 3, bnd ? bnd : &any);
	return n < 0 ? n : n + 3;
}

int socks5_srv_reply(struct socks5_srv *s, int err, const struct proxy_target *bnd)
{
	int n;

	if (s->state != SOCKS5_SRV_DONE || s->replied)
		return -EINVAL;
	n = socks5_srv_build_reply(s->out + s->out_len, sizeof(s->out) - s->out_len, err, bnd);
	if (n < 0)
		return n;
	s->out_len += (size_t)n;
	s->replied = true;
	return 0;
}
