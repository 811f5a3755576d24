/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_nl.c - rtnetlink and sock_diag reply parsers on arbitrary bytes.  The
 * first byte picks the parser (link, address dump, rule dump, route dump, the
 * check's link and route dumps, socket owner); the rest is what a recv() on
 * the netlink socket would have returned.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nl-diag.h"
#include "netlink/nl-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_addr addrs[NL_MAX_ADDRS];
	struct nl_rule rules[NL_MAX_RULES];
	struct nl_route routes[NL_MAX_ROUTES];
	struct nl_link link;
	struct nl_diag_owner own;
	uint8_t *buf;
	size_t n;

	if (size < 1)
		return 0;
	/* A private, exactly sized copy so ASan sees any read past the end. */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 6) {
	case 0:
		(void)nl_link_parse(buf, size - 1, &link);
		break;
	case 1:
		(void)nl_addr_parse(buf, size - 1, (int)(data[0] >> 2), addrs, &n);
		break;
	case 2:
		(void)nl_rule_parse(buf, size - 1, rules, &n);
		break;
	case 3:
		/* Main table or netnsp's saved one, the two a teardown reads. */
		(void)nl_route_parse(buf, size - 1, data[0] & 8 ? 254 : 20053, routes, &n);
		break;
	case 4:
		(void)nl_audit_parse(buf, size - 1);
		break;
	default:
		(void)nl_diag_parse_owner(buf, size - 1, &own);
		break;
	}
	free(buf);
	return 0;
}
