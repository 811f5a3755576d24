// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_check.c - `netnsp check PROFILE [--json]`: is the subject sealed?
 *
 * Two halves.  The setup audit compares what is in the subject with what
 * netnsp makes there, computed by the very code that makes it: links,
 * addresses, routes and rules (nl_subject_audit(), from nl_rules_want()),
 * and the nft table (nft_subject_expected(): the table netnsp loads, loaded
 * into a scratch namespace and listed by the same libnftables that lists
 * the subject's).  The probes (check_probe.c) then try every way out from
 * inside.  The daemon is asked for its status: dead or not applied is
 * reported, and its answer says whether UDP is relayed (which changes the
 * expected rules); without it both variants are tried and the closer wins.
 *
 * Each line is ok, LEAK (a way out exists or was used) or broken (nothing
 * left, but the setup is not netnsp's, or not working).  Exit 0 only when
 * every line is ok; 1 otherwise; 2 for usage and config errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli/check.h"
#include "cli/cli.h"
#include "netns/netns.h"
#include "nft/nft.h"
#include "relay/relay.h"
#include "util/log.h"
#include "util/macro.h"

#define NFT_LIST_MAX 8192

struct check_ctx {
	const struct cli_ctx *cli;
	const char *profile;
	struct check_report *r;
	struct check_target t;
	bool udp_known; /* the daemon said whether UDP is relayed */
};

static const char *const verdict_names[] = {"ok", "LEAK", "broken"};

/* The daemon's view: alive, applied, its pid, and whether UDP is relayed. */
static void check_daemon(struct check_ctx *c)
{
	json_object *o = NULL, *subs = NULL, *v;
	bool found = false;

	if (cli_ctl(c->cli, "check", "{\"version\":1,\"command\":\"status\"}", &o, true) < 0) {
		check_add(c->r, "daemon", CHECK_BROKEN,
			  "not running: new connections are refused (fails closed), nothing is "
			  "relayed");
		return;
	}
	if (json_object_object_get_ex(o, "pid", &v))
		c->t.relay_pid = (pid_t)json_object_get_int(v);
	json_object_object_get_ex(o, "subjects", &subs);
	for (size_t i = 0; subs && i < json_object_array_length(subs); i++) {
		json_object *s = json_object_array_get_idx(subs, i), *f;

		if (!json_object_object_get_ex(s, "profile", &f) ||
		    strcmp(json_object_get_string(f), c->profile) ||
		    !json_object_object_get_ex(s, "kind", &f) ||
		    strcmp(json_object_get_string(f), "named"))
			continue;
		found = true;
		c->udp_known = json_object_object_get_ex(s, "udp", &f);
		/* "associate" or "direct": UDP goes to the relay (never "refused"). */
		c->t.udp_relayed = c->udp_known && strcmp(json_object_get_string(f), "refused");
		if (json_object_object_get_ex(s, "applied", &f) && json_object_get_boolean(f))
			check_add(c->r, "daemon", CHECK_OK, "running (pid %d), subject applied",
				  (int)c->t.relay_pid);
		else
			check_add(c->r, "daemon", CHECK_BROKEN, "subject not applied: %s",
				  json_object_object_get_ex(s, "error", &f)
					  ? json_object_get_string(f)
					  : "?");
	}
	if (!found)
		check_add(c->r, "daemon", CHECK_BROKEN, "running, but has no subject '%s'",
			  c->profile);
	json_object_put(o);
}

/* First differing line of two listings, or "" if equal. */
static void listing_diff(const char *have, const char *want, char *out, size_t len)
{
	int line = 1;

	out[0] = '\0';
	while (*have || *want) {
		size_t a = strcspn(have, "\n"), b = strcspn(want, "\n");

		if (a != b || strncmp(have, want, a)) {
			snprintf(out, len, "line %d is '%.*s', netnsp loads '%.*s'", line,
				 (int)(a > 60 ? 60 : a), have, (int)(b > 60 ? 60 : b), want);
			return;
		}
		have += a + (have[a] == '\n');
		want += b + (want[b] == '\n');
		line++;
	}
}

/* The nft table against the one netnsp loads for @udp; returns 0 if equal, 1 if not. */
static int check_nft(struct check_ctx *c, bool udp, bool report)
{
	const struct nft_subject want = {.tcp_port = RELAY_TPROXY_PORT,
					 .fwmark = NETNSP_FWMARK,
					 .ipv6 = c->t.p->ipv6,
					 .dns_port = RELAY_DNS_PORT,
					 .udp_port = udp ? RELAY_TPROXY_PORT : 0};
	_cleanup_free_ char *have = malloc(NFT_LIST_MAX), *exp = malloc(NFT_LIST_MAX);
	char err[256], diff[200];
	int r;

	if (!have || !exp)
		return -ENOMEM;
	r = nft_subject_expected(&want, exp, NFT_LIST_MAX, err, sizeof(err));
	if (r < 0) {
		if (report)
			check_add(c->r, "nft table", CHECK_BROKEN,
				  "cannot compute the expected table: %s",
				  err[0] ? err : strerror(-r));
		return 1;
	}
	r = nft_subject_list(c->t.nsfd, have, NFT_LIST_MAX, err, sizeof(err));
	if (r < 0) {
		if (report)
			check_add(c->r, "nft table", CHECK_BROKEN,
				  "table " NFT_TABLE_FAMILY " " NFT_TABLE_NAME ": %s",
				  err[0] ? err : strerror(-r));
		return 1;
	}
	listing_diff(have, exp, diff, sizeof(diff));
	if (report)
		check_add(c->r, "nft table", diff[0] ? CHECK_BROKEN : CHECK_OK, "%s",
			  diff[0] ? diff : "as netnsp loads it");
	return diff[0] ? 1 : 0;
}

static void check_report_audit(struct check_ctx *c, const struct nl_audit *a)
{
	bool any = false;

	for (size_t i = 0; i < a->n; i++, any = true)
		check_add(c->r, "setup", a->f[i].leak ? CHECK_LEAK : CHECK_BROKEN, "%s",
			  a->f[i].text);
	if (a->truncated)
		check_add(c->r, "setup", CHECK_BROKEN, "more differences not shown");
	if (!any)
		check_add(c->r, "setup", CHECK_OK,
			  "links, addresses, routes and rules as netnsp makes them");
}

/*
 * The audit for the UDP variant the daemon reported; without a daemon, the
 * variant (udp relayed or refused) that differs least from what is there.
 */
static int check_setup(struct check_ctx *c, struct nl_audit *a)
{
	struct subject_net net = {.v4 = c->t.st->uplink4, .v6 = c->t.st->uplink6};
	bool variants[2] = {c->t.udp_relayed, !c->t.udp_relayed};
	size_t nvar = c->udp_known || !c->t.p->udp ? 1 : 2, best = SIZE_MAX;
	struct nl_audit *tmp = malloc(sizeof(*tmp));
	bool pick = variants[0];
	int r = 0;

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < nvar; i++) {
		size_t score;

		net.allow = NL_ALLOW_DNS | (variants[i] ? NL_ALLOW_UDP : 0);
		r = nl_subject_audit(c->t.nsfd, &net, tmp);
		if (r < 0)
			break;
		score = tmp->n + (size_t)check_nft(c, variants[i], false);
		if (score < best) {
			best = score;
			pick = variants[i];
			*a = *tmp;
		}
	}
	free(tmp);
	if (r < 0)
		return r;
	c->t.udp_relayed = pick;
	check_report_audit(c, a);
	(void)check_nft(c, pick, true);
	return 0;
}

/* The caller's own global addresses: a program inside must not reach them directly. */
static void check_outside(struct check_target *t)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i && t->n_outside < CHECK_MAX_OUTSIDE; i = i->ifa_next) {
		struct sockaddr_storage *ss = &t->outside[t->n_outside];

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			memcpy(ss, i->ifa_addr, sizeof(struct sockaddr_in));
			((struct sockaddr_in *)ss)->sin_port = htons(9);
		} else if (i->ifa_addr->sa_family == AF_INET6 &&
			   !IN6_IS_ADDR_LINKLOCAL(
				   &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr)) {
			memcpy(ss, i->ifa_addr, sizeof(struct sockaddr_in6));
			((struct sockaddr_in6 *)ss)->sin6_port = htons(9);
		} else {
			continue;
		}
		t->n_outside++;
	}
	freeifaddrs(ifa);
}

static size_t check_print(const struct check_ctx *c, bool json, size_t *leaks)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t bad = 0;

	*leaks = 0;
	for (size_t i = 0; i < c->r->n; i++) {
		const struct check_item *it = &c->r->items[i];
		json_object *e = json_object_new_object();

		bad += it->v != CHECK_OK;
		*leaks += it->v == CHECK_LEAK;
		if (!json)
			printf("%-6s %s: %s\n", verdict_names[it->v], it->probe, it->why);
		json_object_object_add(e, "probe", json_object_new_string(it->probe));
		json_object_object_add(e, "result", json_object_new_string(verdict_names[it->v]));
		json_object_object_add(e, "reason", json_object_new_string(it->why));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "profile", json_object_new_string(c->profile));
	json_object_object_add(o, "ok", json_object_new_boolean(bad == 0));
	json_object_object_add(o, "leaks", json_object_new_uint64(*leaks));
	json_object_object_add(o, "broken", json_object_new_uint64(bad - *leaks));
	json_object_object_add(o, "probes", arr);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	return bad;
}

/* Everything after the namespace is open; the report says the rest. */
static int check_run(struct check_ctx *c)
{
	struct nl_audit *a = calloc(1, sizeof(*a));
	struct ns_ident now;
	int r;

	if (!a)
		return -ENOMEM;
	if (netns_ident_fd(c->t.nsfd, &now) == 0 && c->t.st->ns.ino &&
	    !netns_ident_equal(&now, &c->t.st->ns))
		check_add(c->r, "namespace", CHECK_BROKEN,
			  "/run/netns/%s is not the namespace netnsp applied (recorded identity "
			  "differs)",
			  c->t.st->netns);
	check_daemon(c);
	r = check_setup(c, a);
	if (r == 0) {
		c->t.audit = a;
		check_outside(&c->t);
		r = check_probes(&c->t, c->r);
	}
	if (r == 0)
		r = check_probe_resolver(&c->t, c->r);
	if (r == 0)
		r = check_probe_links(&c->t, c->r);
	free(a);
	return r;
}

static int check_parse(int argc, char **argv, bool *json, const char **profile)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {}};
	int o;

	while ((o = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (o != 'j')
			return -EINVAL;
		*json = true;
	}
	if (optind + 1 != argc)
		return -EINVAL;
	*profile = argv[optind];
	return 0;
}

int cmd_check(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct settings s = {0};
	struct derivative d = {0};
	struct check_ctx c = {.cli = ctx, .t.nsfd = -1};
	char err[CONF_ERR_MAX], path[PATH_MAX];
	size_t bad = 0, leaks = 0;
	bool json = false;
	int r, ret = EXIT_RUNTIME;

	if (check_parse(argc, argv, &json, &c.profile) < 0) {
		log_err("check: usage: netnsp check PROFILE [--json]");
		return EXIT_USAGE;
	}
	if (settings_parse_file(ctx->config, &s, err, sizeof(err)) < 0) {
		log_err("check: %s", err);
		return EXIT_USAGE;
	}
	c.t.p = settings_find_profile(&s, c.profile);
	if (!c.t.p) {
		log_err("check: %s: no profile '%s'", ctx->config, c.profile);
		ret = EXIT_USAGE;
		goto out;
	}
	if (cli_state_path(ctx, path, sizeof(path)) < 0 ||
	    derivative_load(path, &d, err, sizeof(err)) < 0) {
		log_err("check: profile '%s': no state to check against (%s)", c.profile, path);
		goto out;
	}
	c.t.st = derivative_find(&d, c.profile);
	if (!c.t.st) {
		log_err("check: profile '%s': never applied (no entry in %s)", c.profile, path);
		goto out;
	}
	c.t.nsfd = netns_open_named(c.t.st->netns);
	if (c.t.nsfd < 0) {
		log_err("check: profile '%s': /run/netns/%s: %s", c.profile, c.t.st->netns,
			strerror(-c.t.nsfd));
		goto out;
	}
	c.r = calloc(1, sizeof(*c.r));
	r = c.r ? check_run(&c) : -ENOMEM;
	if (r < 0) {
		log_err("check: profile '%s': %s", c.profile, strerror(-r));
		goto out;
	}
	bad = check_print(&c, json, &leaks);
	if (bad)
		log_err("check: profile '%s': %zu leak(s), %zu broken", c.profile, leaks,
			bad - leaks);
	ret = bad ? EXIT_RUNTIME : EXIT_OK;
out:
	free(c.r);
	if (c.t.nsfd >= 0)
		close(c.t.nsfd);
	derivative_free(&d);
	settings_free(&s);
	return ret;
}
