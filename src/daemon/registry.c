// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry.c - the daemon's runtime subjects: create, find, start, free,
 * and the files that describe them (the Derivative, RUN_DIR/subjects.json).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "daemon.h"
#include "relay/resolver.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"
#include "tor.h"
#include "transport.h"

struct subject_state *daemon_entry(struct daemon *d, const struct subject_rt *s)
{
	if (s->kind == SUBJ_PID)
		return derivative_find_pid(&d->deriv, s->pid);
	return derivative_find(&d->deriv, s->name);
}

struct subject_rt *daemon_subject_new(struct daemon *d, const struct subject_state *st)
{
	struct subject_rt **arr, *s;

	arr = realloc(d->subj, (d->n_subj + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	d->subj = arr;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->nsfd = -1;
	s->pidfd = (struct ev){.tag = EV_PIDFD, .fd = -1, .owner = s};
	s->rs.lis[0] = s->rs.lis[1] = (struct ev){.tag = EV_LISTENER, .fd = -1};
	for (int k = 0; k < 4; k++)
		s->rs.ep[k] = (struct ev){.tag = EV_ENDPOINT, .fd = -1};
	s->rs.udp_lis[0] = s->rs.udp_lis[1] = (struct ev){.tag = EV_UDP, .fd = -1};
	s->rs.diag_fd = -1;
	pthread_mutex_init(&s->rs.err_mu, NULL);
	s->kind = st->kind;
	s->pid = st->pid;
	s->pid_start = st->pid_start;
	snprintf(s->name, sizeof(s->name), "%s", st->name);
	snprintf(s->rs.name, sizeof(s->rs.name), "%s", st->name);
	snprintf(s->netns, sizeof(s->netns), "%s", st->netns ? st->netns : "");
	d->subj[d->n_subj++] = s;
	return s;
}

void daemon_subject_free(struct daemon *d, struct subject_rt *s)
{
	relay_subject_close(&d->relay, &s->rs);
	relay_chain_free(&s->rs.chain);
	relay_routes_free(&s->rs);
	nft_live_close(TAKE_PTR(s->live));
	if (s->nsfd >= 0)
		close(s->nsfd);
	loop_close(&d->loop, &s->pidfd);
	s->nsfd = -1;
	for (size_t i = 0; i < d->n_subj; i++) {
		if (d->subj[i] == s) {
			memmove(&d->subj[i], &d->subj[i + 1], (d->n_subj - i - 1) * sizeof(s));
			d->n_subj--;
			break;
		}
	}
	/* The current epoll batch may still name its listeners or pidfd. */
	loop_defer_free(&d->loop, s, NULL);
}

void daemon_caps(struct daemon *d)
{
	struct rlimit rl;
	uint64_t share;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = CONF_MAX_CONNS_MAX;
	d->relay.max_slots = relay_limits(rl.rlim_cur, d->n_subj, &share);
	for (size_t i = 0; i < d->n_subj; i++) {
		const struct profile_conf *p =
			settings_find_profile(&d->settings, d->subj[i]->name);

		d->subj[i]->rs.max_conns = p && p->max_conns ? p->max_conns : share;
	}
}

/*
 * Isolation credentials, the egress namespace held, and the address of a
 * managed transport at hop 0: tor's SocksPort unix socket, i2pd's SOCKS port
 * on 127.0.0.1.
 */
static int daemon_chain_finish(struct daemon *d, struct subject_rt *s, struct relay_chain *ch,
			       const struct subject_state *st)
{
	const char *name = ch->hops[0].target.name;
	const struct transport *t;
	char path[PATH_MAX];
	int r = relay_chain_isolate(ch, &d->iso_key, st->id);

	if (r == 0 && ch->egress_ns[0])
		r = egress_ns_get(&d->egress, ch->egress_ns, &ch->ens);
	if (r < 0 || ch->n_hops == 0 || !ch->hops[0].managed)
		return r;
	t = transport_find(d, name);
	if (t && t->ops == &i2p_ops) {
		r = i2p_socks_addr(d, name, &ch->first, &ch->first_len);
	} else {
		r = tor_socks_path(d, name, path, sizeof(path));
		if (r == 0)
			r = relay_chain_set_unix(ch, path);
	}
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "proxy '%.32s': managed %s %s", name,
			 t ? t->ops->label : "transport",
			 r == -ENOENT ? "not running" : strerror(-r));
	return r;
}

/* The default chain and one per route line, each finished as above. */
static int daemon_chains_build(struct daemon *d, struct subject_rt *s,
			       const struct subject_state *st, const struct profile_conf *p)
{
	char err[CONF_ERR_MAX] = "";
	int r = relay_chain_build(&d->settings, p->via_idx, &s->rs.chain, err, sizeof(err));

	if (r == 0)
		r = relay_routes_build(&d->settings, p, &s->rs, err, sizeof(err));
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "%s", err);
		return r;
	}
	r = daemon_chain_finish(d, s, &s->rs.chain, st);
	for (size_t k = 0; r == 0 && k < s->rs.n_routes; k++)
		r = daemon_chain_finish(d, s, &s->rs.route_chains[k], st);
	return r;
}

int daemon_subject_start(struct daemon *d, struct subject_rt *s)
{
	const struct profile_conf *p = settings_find_profile(&d->settings, s->name);
	struct subject_state *st = daemon_entry(d, s);
	int r;

	relay_chain_free(&s->rs.chain);
	daemon_caps(d);
	if (!p || !st) {
		snprintf(s->error, sizeof(s->error), "no profile '%s'", s->name);
		return -ENOENT;
	}
	r = daemon_chains_build(d, s, st, p);
	if (r == 0)
		r = subject_apply(d, s, st, p);
	if (r < 0)
		log_err("profile '%s': not applied: %s", s->name, s->error);
	else if (s->kind == SUBJ_PID)
		log_info("profile '%s': applied to the namespace of pid %d", s->name, s->pid);
	else
		log_info("profile '%s': applied in namespace '%s'", s->name, s->netns);
	return r;
}

static json_object *ident_json(const struct ns_ident *id)
{
	json_object *o = json_object_new_object();
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id->dev);
	json_object_object_add(o, "dev", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id->ino);
	json_object_object_add(o, "ino", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id->cookie);
	json_object_object_add(o, "cookie", json_object_new_string(buf));
	return o;
}

int daemon_write_subjects(struct daemon *d)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	const char *text;
	_cleanup_close_ int fd = -1;
	int r = 0;

	json_object_object_add(o, "root", ident_json(&d->self));
	for (size_t i = 0; i < d->n_subj; i++) {
		const struct subject_rt *s = d->subj[i];
		const struct subject_state *st = daemon_entry(d, s);
		json_object *e;

		if (!s->applied || !st)
			continue;
		e = ident_json(&st->ns);
		json_object_object_add(e, "profile", json_object_new_string(s->name));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "subjects", arr);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/subjects.json", d->ctx->run_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		r = fd < 0 ? neg_errno() : -EIO;
	else if (rename(tmp, path) < 0)
		r = neg_errno();
	json_object_put(o);
	return r;
}

struct fake_export {
	struct fake_map *maps;
	size_t n, cap;
};

static int fake_export_one(const char *name, const struct in_addr *v4, const struct in6_addr *v6,
			   uint64_t last_used, void *userdata)
{
	struct fake_export *e = userdata;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct fake_map *m = realloc(e->maps, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		e->maps = m;
		e->cap = cap;
	}
	e->maps[e->n] = (struct fake_map){
		.name = strdup(name), .v4 = *v4, .v6 = *v6, .last_used = last_used};
	if (!e->maps[e->n].name)
		return -ENOMEM;
	e->n++;
	return 0;
}

/* Copy each resolver's mappings into its Derivative entry (which then owns them). */
static void daemon_export_fakes(struct daemon *d)
{
	for (size_t i = 0; i < d->n_subj; i++) {
		struct subject_rt *s = d->subj[i];
		struct subject_state *st = daemon_entry(d, s);
		struct fake_export e = {0};

		if (!st || !s->rs.dns)
			continue;
		if (relay_dns_foreach(&s->rs, fake_export_one, &e) < 0) {
			for (size_t k = 0; k < e.n; k++)
				free(e.maps[k].name);
			free(e.maps);
			log_warn("profile '%s': fake mappings not saved: out of memory", s->name);
			continue;
		}
		if (derivative_set_fakes(st, e.maps, e.n) < 0)
			log_warn("profile '%s': fake mappings not saved", s->name);
	}
}

int daemon_save(struct daemon *d)
{
	int r;

	daemon_export_fakes(d);
	r = derivative_store(d->state_path, &d->deriv);

	if (r < 0)
		log_err("%s: %s", d->state_path, strerror(-r));
	if (daemon_write_subjects(d) < 0)
		log_warn("%s/subjects.json: cannot write; 'netnsp id' may be stale",
			 d->ctx->run_dir);
	return r;
}
