/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * socks4.c - client side of SOCKS4a (SOCKS 4 protocol, with the 4A
 * extension for names).
 *
 *   request  04 01 DSTPORT DSTIP USERID 00 [HOSTNAME 00]
 *   reply    VN CD DSTPORT DSTIP          (8 bytes)
 *
 * SOCKS4a: DSTIP 0.0.0.x with x != 0 tells the server that a host name
 * follows the user id; netnsp sends 0.0.0.1 for every name target.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy-internal.h"

#define SOCKS4_VER 0x04
#define SOCKS4_CMD_CONNECT 0x01
#define SOCKS4_REPLY_LEN 8
#define SOCKS4_CD_GRANTED 90
#define SOCKS4_CD_REJECTED 91
#define SOCKS4_CD_NO_IDENTD 92
#define SOCKS4_CD_BAD_USERID 93

/**
 * socks4_hs_start() - build the SOCKS4a CONNECT request.
 * @hs: handshake with kind, credentials and target set; the user name, if
 *      any, is the USERID, the password is not used.
 *
 * Return: 0, -EAFNOSUPPORT for an IPv6 target (SOCKS4 carries only IPv4
 * addresses), -EINVAL if the request does not fit.
 */
int socks4_hs_start(struct proxy_hs *hs)
{
	static const uint8_t ip_4a[4] = {0, 0, 0, 1};
	const struct proxy_target *t = &hs->target;
	struct proxy_wr w;

	if (t->family == AF_INET6)
		return -EAFNOSUPPORT;
	proxy_wr_init(&w, hs);
	proxy_wr_u8(&w, SOCKS4_VER);
	proxy_wr_u8(&w, SOCKS4_CMD_CONNECT);
	proxy_wr_be16(&w, t->port);
	proxy_wr_mem(&w, t->family == AF_INET ? t->addr : ip_4a, 4);
	if (proxy_hs_has_user(hs))
		proxy_wr_str(&w, hs->user);
	proxy_wr_u8(&w, 0);
	if (t->family == 0) {
		proxy_wr_mem(&w, t->name, strnlen(t->name, PROXY_NAME_MAX));
		proxy_wr_u8(&w, 0);
	}
	hs->state = HS_SOCKS4_CONNECT;
	return proxy_wr_finish(&w, hs);
}

/**
 * socks4_hs_step() - consume bytes of the 8-byte SOCKS4 reply.
 * @hs: handshake in HS_SOCKS4_CONNECT.
 * @data: received bytes.
 * @len: their number.
 * @used: receives how many bytes were taken.
 *
 * VN should be 0; some servers echo 4, which is accepted too.
 *
 * Return: 0 for more input, 1 when CD is 90 (granted), -ECONNREFUSED for
 * 91, -EACCES for 92 and 93, -EPROTO otherwise.
 */
int socks4_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used)
{
	*used = proxy_hs_take(hs, data, len, SOCKS4_REPLY_LEN);
	if (hs->in_len < SOCKS4_REPLY_LEN)
		return 0;
	if (hs->in[0] != 0 && hs->in[0] != SOCKS4_VER)
		return -EPROTO;
	hs->reply_code = hs->in[1];
	switch (hs->in[1]) {
	case SOCKS4_CD_GRANTED:
		return 1;
	case SOCKS4_CD_REJECTED:
		return -ECONNREFUSED;
	case SOCKS4_CD_NO_IDENTD:
	case SOCKS4_CD_BAD_USERID:
		return -EACCES;
	default:
		return -EPROTO;
	}
}
