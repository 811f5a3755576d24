// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.c - the relay's one API for a subject (relay.h): open what the
 * profile asks for, tick, read the counters, stop and close.  The daemon
 * hands over the profile and the Derivative entry; what the relay builds
 * from them (listeners, the UDP relay, the resolver and its fake-IP pool,
 * dns-server) is its own business.
 */
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "resolver.h"
#include "udp.h"

int relay_subject_open(struct relay *r, struct relay_subject *rs, int nsfd,
		       const struct relay_subject_conf *conf, const char **what)
{
	int ret;

	*what = "listeners";
	rs->spread = r->workers && relay_subject_spreads(rs);
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
	relay_listeners_close(r, rs); /* first: nothing more is handed over */
	relay_udp_close(r, rs);
	conn_close_all(r, rs);
	relay_workers_forget(r, rs);
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
	uint64_t *o = (uint64_t *)out;

	*out = rs->stats;
	for (size_t w = 1; w < CONF_WORKERS_MAX; w++) {
		const uint64_t *in = (const uint64_t *)&rs->wk[w].stats;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			o[k] += relay_stat_get(&in[k]);
	}
}

uint64_t relay_subject_live(const struct relay_subject *rs)
{
	uint64_t n = rs->stats.live, taken = 0;

	for (size_t w = 1; w < CONF_WORKERS_MAX; w++) {
		taken += relay_stat_get_taken(&rs->wk[w].taken); /* first: see relay.h */
		n += relay_stat_get(&rs->wk[w].stats.live);
	}
	return n + (rs->handed - taken); /* live, and handed over but not yet taken in */
}

/* A chain a worker can serve: nothing in it is shared with the main loop. */
static bool chain_spreads(const struct relay_chain *ch)
{
	/* The egress broker (egress.c) and namespaces (egress_ns.c) are the main loop's. */
	return !ch->egress && !ch->ens && !relay_chain_isolates_apps(ch);
}

bool relay_subject_spreads(const struct relay_subject *rs)
{
	if (!chain_spreads(&rs->chain))
		return false;
	for (size_t k = 0; k < rs->n_routes; k++)
		if (!chain_spreads(&rs->route_chains[k]))
			return false;
	return true;
}

int64_t relay_subject_last_error(struct relay_subject *rs, char *buf, size_t len)
{
	int64_t when;

	pthread_mutex_lock(&rs->err_mu);
	when = rs->last_error_time;
	snprintf(buf, len, "%s", rs->last_error);
	pthread_mutex_unlock(&rs->err_mu);
	return when;
}

void relay_tick(struct relay *r, uint64_t now)
{
	conn_tick(r, now);
	relay_udp_tick(r, now);
}
