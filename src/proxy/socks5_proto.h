/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * socks5_proto.h - the numbers of the SOCKS5 protocol (RFC 1928) and its
 * username/password sub-negotiation (RFC 1929), for the client
 * (socks5.c, socks5_udp.c), the endpoint server (socks5_server.c) and the
 * relay alike: each number is written down once.
 */
#ifndef NETNSP_SOCKS5_PROTO_H
#define NETNSP_SOCKS5_PROTO_H

#define SOCKS5_VER 0x05	     /* RFC 1928 §3 VER */
#define SOCKS5_AUTH_VER 0x01 /* RFC 1929 §2 sub-negotiation version */

/* RFC 1929 §2 STATUS: 00 is success, anything else a failure. */
#define SOCKS5_AUTH_OK 0x00
#define SOCKS5_AUTH_FAIL 0x01

/* RFC 1928 §3 METHOD */
#define SOCKS5_M_NONE 0x00
#define SOCKS5_M_USERPASS 0x02
#define SOCKS5_M_NONE_ACCEPTABLE 0xff

/* RFC 1928 §4 CMD */
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_CMD_BIND 0x02
#define SOCKS5_CMD_UDP_ASSOCIATE 0x03

/* RFC 1928 §5 ATYP */
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_NAME 0x03
#define SOCKS5_ATYP_IPV6 0x04

#define SOCKS5_RSV 0x00 /* RFC 1928 §4, §6, §7: reserved, sent as 00 */

/* RFC 1928 §7: a UDP datagram starts RSV RSV FRAG, then ATYP DST.ADDR DST.PORT. */
#define SOCKS5_UDP_FIXED 3

/* RFC 1928 §6 REP */
#define SOCKS5_REP_SUCCEEDED 0x00
#define SOCKS5_REP_FAILURE 0x01	     /* general SOCKS server failure */
#define SOCKS5_REP_NOT_ALLOWED 0x02  /* connection not allowed by ruleset */
#define SOCKS5_REP_NET_UNREACH 0x03  /* network unreachable */
#define SOCKS5_REP_HOST_UNREACH 0x04 /* host unreachable */
#define SOCKS5_REP_REFUSED 0x05	     /* connection refused */
#define SOCKS5_REP_TTL_EXPIRED 0x06  /* TTL expired */
#define SOCKS5_REP_CMD 0x07	     /* command not supported */
#define SOCKS5_REP_ATYP 0x08	     /* address type not supported */

#endif
