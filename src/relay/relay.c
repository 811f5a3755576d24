// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.c - the relay's one API for a subject (relay.h): open what the
 * profile asks for, tick, read the counters, stop and close.  The daemon
 * hands over the profile and the Derivative entry; what the relay builds
 * from them (listeners, the UDP relay, the resolver and its fake-IP pool,
 * dns-server) is its own business.
 */
#include <string.h>

#include "conn.h"
#include "resolver.h"

int relay_subject_open(struct relay *r, struct relay_subject *rs, int nsfd,
		       const struct relay_subject_conf *conf, const char **what)
{
	int ret;

	*what = "listeners";
	rs->socks_port = conf->p->socks_port;
	rs->http_port = conf->p->http_port;
	ret = relay_subject_listen(r, rs, nsfd);
	if (ret < 0)
		return ret;
	*what = "UDP relay";
	ret = relay_udp_listen(r, rs, nsfd);
	if (ret == 0)
		ret = relay_udp_probe_start(r, rs, conf->udp_probed, conf->arg);
	if (ret < 0)
		return ret;
	*what = "resolver";
	return relay_dns_open(r, rs, nsfd, conf->p, conf->st);
}

void relay_subject_stop(struct relay *r, struct relay_subject *rs)
{
	relay_listeners_close(r, rs);
	relay_udp_close(r, rs);
	conn_close_all(r, rs);
}

void relay_subject_close(struct relay *r, struct relay_subject *rs)
{
	relay_subject_stop(r, rs);
	relay_dns_close(r, rs);
}

bool relay_subject_tick(struct relay *r, struct relay_subject *rs, int nsfd, uint64_t now)
{
	relay_dns_tick(r, rs, now);
	/* A listener killed from inside: at most one recreation a second. */
	if (rs->relisten && nsfd >= 0)
		(void)relay_subject_relisten(r, rs, nsfd);
	return relay_dns_dirty(rs);
}

void relay_subject_stats(const struct relay_subject *rs, struct relay_stats *out)
{
	*out = rs->stats;
}

void relay_tick(struct relay *r, uint64_t now)
{
	conn_tick(r, now);
	relay_udp_tick(r, now);
}
