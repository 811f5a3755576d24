/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * socks5.c - client side of SOCKS5 (RFC 1928) with username/password
 * authentication (RFC 1929).
 *
 *   greeting  05 N METHODS...          ->  05 METHOD
 *   auth      01 ULEN USER PLEN PASS   ->  01 STATUS         (only if METHOD 02)
 *   connect   05 01 00 ATYP ADDR PORT  ->  05 REP 00 ATYP BND.ADDR BND.PORT
 *   or UDP    05 03 00 ATYP ADDR PORT  ->  05 REP 00 ATYP BND.ADDR BND.PORT
 *             (RFC 1928 §7: BND is where the proxy relays datagrams)
 *
 * Name targets always travel as ATYP 3, for socks5:// as for socks5h://:
 * netnsp never resolves a name locally.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy-internal.h"
#include "proxy/socks5_proto.h"

/**
 * socks5_hs_start() - build the method greeting (RFC 1928 §3).
 * @hs: handshake with kind, credentials and target set.
 *
 * With credentials both "no authentication" and "username/password" are
 * offered and the server picks; without, only "no authentication".
 *
 * Return: 0 or -EINVAL.
 */
int socks5_hs_start(struct proxy_hs *hs)
{
	struct proxy_wr w;

	proxy_wr_init(&w, hs);
	proxy_wr_u8(&w, SOCKS5_VER);
	if (proxy_hs_has_user(hs)) {
		proxy_wr_u8(&w, 2);
		proxy_wr_u8(&w, SOCKS5_M_NONE);
		proxy_wr_u8(&w, SOCKS5_M_USERPASS);
	} else {
		proxy_wr_u8(&w, 1);
		proxy_wr_u8(&w, SOCKS5_M_NONE);
	}
	hs->state = HS_SOCKS5_GREETING;
	return proxy_wr_finish(&w, hs);
}

/* RFC 1929 §2: 01 ULEN UNAME PLEN PASSWD. */
static int socks5_build_auth(struct proxy_hs *hs)
{
	const char *pass = hs->pass ? hs->pass : "";
	size_t ulen = strlen(hs->user), plen = strlen(pass);
	struct proxy_wr w;

	proxy_wr_init(&w, hs);
	proxy_wr_u8(&w, SOCKS5_AUTH_VER);
	proxy_wr_u8(&w, (uint8_t)ulen);
	proxy_wr_mem(&w, hs->user, ulen);
	proxy_wr_u8(&w, (uint8_t)plen);
	proxy_wr_mem(&w, pass, plen);
	hs->state = HS_SOCKS5_AUTH;
	return proxy_wr_finish(&w, hs);
}

/* RFC 1928 §4: 05 CMD 00 ATYP DST.ADDR DST.PORT, CMD 01 CONNECT or 03 UDP ASSOCIATE. */
static int socks5_build_connect(struct proxy_hs *hs)
{
	const struct proxy_target *t = &hs->target;
	struct proxy_wr w;
	size_t n;

	proxy_wr_init(&w, hs);
	proxy_wr_u8(&w, SOCKS5_VER);
	proxy_wr_u8(&w, hs->udp ? SOCKS5_CMD_UDP_ASSOCIATE : SOCKS5_CMD_CONNECT);
	proxy_wr_u8(&w, SOCKS5_RSV);
	if (t->family == AF_INET) {
		proxy_wr_u8(&w, SOCKS5_ATYP_IPV4);
		proxy_wr_mem(&w, t->addr, 4);
	} else if (t->family == AF_INET6) {
		proxy_wr_u8(&w, SOCKS5_ATYP_IPV6);
		proxy_wr_mem(&w, t->addr, 16);
	} else {
		n = strnlen(t->name, PROXY_NAME_MAX);
		proxy_wr_u8(&w, SOCKS5_ATYP_NAME);
		proxy_wr_u8(&w, (uint8_t)n);
		proxy_wr_mem(&w, t->name, n);
	}
	proxy_wr_be16(&w, t->port);
	hs->state = HS_SOCKS5_CONNECT;
	return proxy_wr_finish(&w, hs);
}

/**
 * socks5_hs_pipeline() - put every request in hs->out at once (see
 * proxy_hs_pipeline() in proxy.h).
 * @hs: SOCKS5 handshake in HS_SOCKS5_GREETING, nothing of it sent.
 *
 * Return: 0 or -EINVAL.
 */
int socks5_hs_pipeline(struct proxy_hs *hs)
{
	uint8_t all[PROXY_OUT_MAX];
	bool user = proxy_hs_has_user(hs);
	size_t n = 0;
	int r;

	if (hs->state != HS_SOCKS5_GREETING || hs->pipelined || hs->out_len != (user ? 4u : 3u))
		return -EINVAL;
	all[n++] = SOCKS5_VER;
	all[n++] = 1;
	all[n++] = user ? SOCKS5_M_USERPASS : SOCKS5_M_NONE;
	if (user) {
		r = socks5_build_auth(hs);
		if (r < 0)
			return r;
		memcpy(all + n, hs->out, hs->out_len);
		n += hs->out_len;
	}
	r = socks5_build_connect(hs);
	/* At most 3 + 513 + 262 bytes: always fits. */
	if (r < 0 || n + hs->out_len > sizeof(all))
		return r < 0 ? r : -EINVAL;
	memcpy(all + n, hs->out, hs->out_len);
	n += hs->out_len;
	memcpy(hs->out, all, n);
	hs->out_len = n;
	hs->state = HS_SOCKS5_GREETING;
	hs->pipelined = true;
	return 0;
}

static int socks5_on_auth(struct proxy_hs *hs)
{
	/* RFC 1929 §2: any STATUS other than 00 is a failure. */
	if (hs->in[0] != SOCKS5_AUTH_VER)
		return -EPROTO;
	if (hs->in[1] != SOCKS5_AUTH_OK)
		return -EACCES;
	hs->in_len = 0;
	if (hs->pipelined) {
		hs->state = HS_SOCKS5_CONNECT;
		return 0;
	}
	return socks5_build_connect(hs);
}

static int socks5_on_method(struct proxy_hs *hs)
{
	/*
	 * Pipelined with credentials, Tor (0.4.9 seen) parses the greeting and
	 * the credentials in one go and sends only its last reply, 01 00: the
	 * method reply (05 02) is lost.  An RFC 1929 reply here can only mean
	 * the server took username/password and answered them.
	 */
	if (hs->pipelined && proxy_hs_has_user(hs) && hs->in[0] == SOCKS5_AUTH_VER)
		return socks5_on_auth(hs);
	if (hs->in[0] != SOCKS5_VER)
		return -EPROTO;
	hs->in_len = 0;
	switch (hs->in[1]) {
	case SOCKS5_M_NONE:
		/* Pipelined with credentials only username/password was offered. */
		if (hs->pipelined && proxy_hs_has_user(hs))
			return -EPROTO;
		if (hs->pipelined) {
			hs->state = HS_SOCKS5_CONNECT;
			return 0;
		}
		return socks5_build_connect(hs);
	case SOCKS5_M_USERPASS:
		/* The server picked a method we did not offer. */
		if (!proxy_hs_has_user(hs))
			return -EPROTO;
		if (hs->pipelined) {
			hs->state = HS_SOCKS5_AUTH;
			return 0;
		}
		return socks5_build_auth(hs);
	case SOCKS5_M_NONE_ACCEPTABLE:
		return -EOPNOTSUPP;
	default:
		return -EPROTO;
	}
}

/*
 * RFC 1928 §6 REP.  REP 1, "general SOCKS server failure", is what servers
 * such as microsocks and dante send when their connect() failed for a reason
 * with no code of its own, so it maps to -ECONNREFUSED, not -EPROTO.
 */
static int socks5_rep_errno(uint8_t rep)
{
	switch (rep) {
	case SOCKS5_REP_FAILURE:
		return -ECONNREFUSED;
	case SOCKS5_REP_NOT_ALLOWED:
		return -EACCES;
	case SOCKS5_REP_NET_UNREACH:
		return -ENETUNREACH;
	case SOCKS5_REP_HOST_UNREACH:
		return -EHOSTUNREACH;
	case SOCKS5_REP_REFUSED:
		return -ECONNREFUSED;
	case SOCKS5_REP_TTL_EXPIRED:
		return -ETIMEDOUT;
	case SOCKS5_REP_CMD:
		return -EOPNOTSUPP;
	case SOCKS5_REP_ATYP:
		return -EAFNOSUPPORT;
	default:
		return -EPROTO;
	}
}

/* Full length of the reply whose first bytes are in hs->in, or 0 if unknown yet. */
static size_t socks5_reply_len(const struct proxy_hs *hs)
{
	switch (hs->in[3]) {
	case SOCKS5_ATYP_IPV4:
		return 4 + 4 + 2;
	case SOCKS5_ATYP_IPV6:
		return 4 + 16 + 2;
	case SOCKS5_ATYP_NAME:
		return hs->in_len >= 5 ? 4 + 1 + (size_t)hs->in[4] + 2 : 5;
	default:
		return 0;
	}
}

static int socks5_step_connect(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used)
{
	size_t need;

	*used = proxy_hs_take(hs, data, len, 4);
	if (hs->in_len < 4)
		return 0;
	if (hs->in[0] != SOCKS5_VER)
		return -EPROTO;
	hs->reply_code = hs->in[1];
	if (hs->in[1] != SOCKS5_REP_SUCCEEDED)
		return socks5_rep_errno(hs->in[1]);
	/* Success: the tunnel starts only after BND.ADDR and BND.PORT. */
	for (;;) {
		need = socks5_reply_len(hs);
		if (need == 0)
			return -EPROTO;
		*used += proxy_hs_take(hs, data + *used, len - *used, need);
		if (hs->in_len < need)
			return 0;
		if (need == socks5_reply_len(hs))
			return 1;
	}
}

/**
 * socks5_hs_step() - consume bytes of the current SOCKS5 reply.
 * @hs: handshake in one of the HS_SOCKS5_* states.
 * @data: received bytes.
 * @len: their number.
 * @used: receives how many bytes were taken.
 *
 * Return: 0 for more input or a new request, 1 when connected, or a
 * negative errno as described at proxy_hs_feed().
 */
int socks5_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used)
{
	switch (hs->state) {
	case HS_SOCKS5_GREETING:
		*used = proxy_hs_take(hs, data, len, 2);
		return hs->in_len < 2 ? 0 : socks5_on_method(hs);
	case HS_SOCKS5_AUTH:
		*used = proxy_hs_take(hs, data, len, 2);
		return hs->in_len < 2 ? 0 : socks5_on_auth(hs);
	case HS_SOCKS5_CONNECT:
		return socks5_step_connect(hs, data, len, used);
	default:
		return -EPROTO;
	}
}

/**
 * socks5_hs_bound() - parse BND.ADDR and BND.PORT of the reply held in hs->in.
 * @hs: SOCKS5 handshake in HS_DONE (hs->in holds the whole request reply).
 * @bnd: receives the address or name and the port.
 *
 * Return: 0 or -EINVAL.
 */
int socks5_hs_bound(const struct proxy_hs *hs, struct proxy_target *bnd)
{
	const uint8_t *p = hs->in + 4;
	size_t alen;

	if (hs->state != HS_DONE || hs->in_len < 5 || hs->in_len != socks5_reply_len(hs))
		return -EINVAL;
	memset(bnd, 0, sizeof(*bnd));
	switch (hs->in[3]) {
	case SOCKS5_ATYP_IPV4:
		bnd->family = AF_INET;
		alen = 4;
		memcpy(bnd->addr, p, alen);
		break;
	case SOCKS5_ATYP_IPV6:
		bnd->family = AF_INET6;
		alen = 16;
		memcpy(bnd->addr, p, alen);
		break;
	default:
		/* ATYP 3: a length byte, then the name (socks5_reply_len() checked). */
		alen = 1 + (size_t)p[0];
		if (p[0] == 0 || memchr(p + 1, 0, p[0]))
			return -EINVAL;
		memcpy(bnd->name, p + 1, p[0]);
		break;
	}
	bnd->port = (uint16_t)(p[alen] << 8 | p[alen + 1]);
	return 0;
}
