/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server-internal.h - the SOCKS5 address field (ATYP DST.ADDR DST.PORT,
 * RFC 1928 §4/§5), shared by the SOCKS5 server (socks5_server.c) and the
 * UDP datagram header (socks5_udp.c).  Not for use outside src/proxy.
 */
#ifndef NETNSP_PROXY_SERVER_INTERNAL_H
#define NETNSP_PROXY_SERVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy.h"
#include "proxy/socks5_proto.h"

int socks5_addr_need(const uint8_t *p, size_t avail);
int socks5_addr_parse(const uint8_t *p, size_t len, struct proxy_target *t);
int socks5_addr_put(uint8_t *out, size_t cap, const struct proxy_target *t);

#endif
