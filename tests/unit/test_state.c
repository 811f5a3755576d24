/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_state.c - the Derivative: snapshots, derive(), Pid subjects, the reload plan
 * (loading and storing it: test_state_json.c).
 *
 * Settings are built by hand (state_settings.h) so that these tests depend on the
 * config parser only through settings_chain() and proxy_kind_name().
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/state-internal.h"
#include "state/state.h"
#include "state_settings.h"
#include "tap.h"
#include "util/macro.h"

static void test_snapshot(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1)};
	struct settings s = settings_make(p, 1);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	p[0].users = work_users;
	p[0].n_users = 2;
	p[0].routes = work_routes;
	p[0].n_routes = 1;
	p[0].socks_port = 1080;
	a = profile_snapshot(&s, &p[0]);
	b = profile_snapshot(&s, &p[0]);
	is_str(a, b, "snapshot: same inputs give the same text");
	is_str(a,
	       "{\"name\":\"work\",\"netns\":\"work\",\"dns\":\"fake\",\"dns-server\":null,"
	       "\"ipv6\":true,\"udp\":false,\"socks-port\":1080,\"http-port\":0,"
	       "\"users\":[\"alice\",\"@wheel\"],\"routes\":[{\"pattern\":\"*.onion\","
	       "\"proxy\":\"tor\",\"chain\":[{\"name\":\"tor\",\"kind\":\"socks5\","
	       "\"host\":\"127.0.0.1\",\"port\":9050,\"user\":null,\"password\":null,"
	       "\"isolate\":\"profile\",\"netns\":null,\"via\":null}]}],\"via\":\"exit\","
	       "\"chain\":[{\"name\":\"corp\",\"kind\":\"socks5\",\"host\":\"10.1.2.3\","
	       "\"port\":1080,\"user\":\"alice\",\"password\":\"secret\",\"isolate\":\"none\","
	       "\"netns\":null,\"via\":null},{\"name\":\"exit\",\"kind\":\"http\","
	       "\"host\":\"exit.example.net\",\"port\":3128,\"user\":null,\"password\":null,"
	       "\"isolate\":\"none\",\"netns\":null,\"via\":\"corp\"}]}",
	       "snapshot: canonical text, chain first hop first, password included");
	proxies[0].pass = "changed";
	c = profile_snapshot(&s, &p[0]);
	proxies[0].pass = "secret";
	ok(c && a && strcmp(a, c) != 0, "snapshot: a changed password on the chain changes it");
	free(c);
	proxies[0].pipeline = true;
	c = profile_snapshot(&s, &p[0]);
	proxies[0].pipeline = false;
	ok(c && strstr(c, "\"via\":null,\"pipeline\":true}"), "snapshot: pipeline = yes is in it");
	free(c);
	proxies[0].fastopen = true;
	c = profile_snapshot(&s, &p[0]);
	proxies[0].fastopen = false;
	ok(c && strstr(c, "\"via\":null,\"fastopen\":true}"), "snapshot: fastopen = yes is in it");
}

/* What exec reads back from a snapshot when the config on disk does not parse. */
static void test_snapshot_users(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1)};
	struct settings s = settings_make(p, 1);
	_cleanup_free_ char *a = NULL, *none = NULL;
	char **u = NULL;
	size_t n = 99;

	p[0].users = work_users;
	p[0].n_users = 2;
	a = profile_snapshot(&s, &p[0]);
	is_int(profile_snapshot_users(a, &u, &n), 0, "snapshot users: read back");
	is_int(n, 2, "snapshot users: two entries");
	ok(u && n == 2 && !strcmp(u[0], "alice") && !strcmp(u[1], "@wheel") && !u[2],
	   "snapshot users: alice, @wheel, NULL-terminated");
	profile_users_free(u);
	p[0].users = NULL;
	p[0].n_users = 0;
	none = profile_snapshot(&s, &p[0]);
	is_int(profile_snapshot_users(none, &u, &n), 0, "snapshot users: none listed");
	ok(n == 0 && u && !u[0], "snapshot users: an empty list (root only)");
	profile_users_free(u);
	is_int(profile_snapshot_users("{\"name\":\"x\"}", &u, &n), 0,
	       "snapshot users: no key reads as none");
	ok(n == 0 && u && !u[0], "snapshot users: no key, empty list");
	profile_users_free(u);
	is_int(profile_snapshot_users("{\"users\":\"alice\"}", &u, &n), -EBADMSG,
	       "snapshot users: a string, not a list, refused");
	ok(!u && n == 0, "snapshot users: nothing returned on error");
	is_int(profile_snapshot_users("{\"users\":[\"a\",1]}", &u, &n), -EBADMSG,
	       "snapshot users: a number entry refused");
	is_int(profile_snapshot_users("[", &u, &n), -EBADMSG, "snapshot users: not JSON");
	is_int(profile_snapshot_users(NULL, &u, &n), -EBADMSG, "snapshot users: none at all");
}

static void check_addr(const struct subject_state *e, const char *v4, const char *v6,
		       const char *what)
{
	char b4[INET_ADDRSTRLEN] = "", b6[INET6_ADDRSTRLEN] = "";

	inet_ntop(AF_INET, &e->uplink4, b4, sizeof(b4));
	inet_ntop(AF_INET6, &e->uplink6, b6, sizeof(b6));
	is_str(b4, v4, "%s: uplink4", what);
	is_str(b6, v6, "%s: uplink6", what);
}

static void test_derive_fresh(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1),
				   profile_make("home", "nshome", "tor", 2)};
	struct settings s = settings_make(p, 2);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0};
	struct ns_ident root = {.dev = 4, .ino = 4026531840u, .cookie = 1};
	int r = derive(&s, &prev, &root, &d);

	is_int(r, 0, "derive fresh: succeeds");
	is_int(d.n_subjects, 2, "derive fresh: one subject per profile");
	is_int(d.next_id, 3, "derive fresh: next_id after two new ids");
	ok(d.have_root && d.root.ino == 4026531840u && d.root.cookie == 1,
	   "derive fresh: root taken from root_now");
	if (d.n_subjects == 2) {
		is_str(d.subjects[0].name, "home", "derive fresh: sorted by name");
		is_int(d.subjects[0].id, 1, "derive fresh: ids given in name order");
		is_str(d.subjects[0].netns, "nshome", "derive fresh: netns from the profile");
		is_int(d.subjects[1].id, 2, "derive fresh: second id");
		check_addr(&d.subjects[0], "100.64.0.5", "fd6e:7370:0:1::1", "id 1");
		check_addr(&d.subjects[1], "100.64.0.9", "fd6e:7370:0:2::1", "id 2");
		ok(d.subjects[1].ns.ino == 0, "derive fresh: no ns identity yet");
	}
	ok(derivative_find(&d, "work") == &d.subjects[1], "derivative_find: finds work");
	ok(derivative_find(&d, "nope") == NULL, "derivative_find: NULL for unknown");
	derivative_free(&d);
}

static void test_derive_prev(void)
{
	struct profile_conf p1[] = {profile_make("work", "work", "exit", 1),
				    profile_make("home", "home", "tor", 2)};
	struct profile_conf p2[] = {profile_make("zeta", "zeta", "tor", 2),
				    profile_make("work", "work", "tor", 2),
				    profile_make("alpha", "alpha", "corp", 0)};
	struct settings s1 = settings_make(p1, 2), s2 = settings_make(p2, 3);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d1 = {0}, d2 = {0};
	struct ns_ident root2 = {.dev = 9, .ino = 9, .cookie = 9};
	struct subject_state *w1, *w2;
	_cleanup_free_ char *snap1 = NULL;

	is_int(derive(&s1, &empty, NULL, &d1), 0, "derive prev: first derive");
	ok(!d1.have_root, "derive prev: no root without root_now");
	w1 = derivative_find(&d1, "work");
	if (!w1)
		return;
	w1->ns = (struct ns_ident){.dev = 3, .ino = 77, .cookie = 5};
	snap1 = strdup(w1->snapshot);
	is_int(derive(&s2, &d1, &root2, &d2), 0, "derive prev: second derive");
	is_int(d2.n_subjects, 3, "derive prev: removed profile dropped, new ones added");
	ok(!derivative_find(&d2, "home"), "derive prev: home is gone");
	w2 = derivative_find(&d2, "work");
	ok(w2 && w2->id == w1->id, "derive prev: work keeps its id");
	ok(w2 && w2->ns.ino == 77 && w2->ns.cookie == 5, "derive prev: ns identity kept");
	ok(w2 && strcmp(w2->snapshot, snap1) != 0, "derive prev: changed profile, new snapshot");
	is_int(derivative_find(&d2, "alpha") ? derivative_find(&d2, "alpha")->id : 0, 3,
	       "derive prev: new profile alpha gets next id");
	is_int(derivative_find(&d2, "zeta") ? derivative_find(&d2, "zeta")->id : 0, 4,
	       "derive prev: then zeta (name order)");
	is_int(d2.next_id, 5, "derive prev: next_id never goes back");
	ok(d2.have_root && d2.root.dev == 9, "derive prev: root_now used when prev had none");
	derivative_free(&d1);

	/* The namespace name changes: the recorded identity is for another namespace. */
	p2[1].netns = "work2";
	is_int(derive(&s2, &d2, &root2, &d1), 0, "derive netns change: succeeds");
	w1 = derivative_find(&d1, "work");
	ok(w1 && w1->ns.ino == 0 && w1->ns.dev == 0 && w1->ns.cookie == 0,
	   "derive netns change: ns identity cleared");
	ok(w1 && strcmp(w1->netns, "work2") == 0, "derive netns change: netns refreshed");
	ok(w1 && w2 && w1->id == w2->id, "derive netns change: id kept");
	derivative_free(&d1);
	derivative_free(&d2);
}

static void test_derive_determinism(void)
{
	struct profile_conf p[] = {profile_make("b", "b", "exit", 1),
				   profile_make("a", "a", "tor", 2)};
	struct profile_conf q[] = {p[1], p[0]};
	struct settings s = settings_make(p, 2), t = settings_make(q, 2);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = 7}, d1 = {0}, d2 = {0},
			  d3 = {0};
	struct ns_ident root = {1, 2, 3};
	_cleanup_free_ char *j1 = NULL, *j2 = NULL, *j3 = NULL;

	derive(&s, &prev, &root, &d1);
	derive(&s, &prev, &root, &d2);
	derive(&t, &prev, &root, &d3);
	j1 = to_json(&d1);
	j2 = to_json(&d2);
	j3 = to_json(&d3);
	ok(j1 != NULL, "determinism: serialises");
	is_str(j1, j2, "determinism: derive twice, identical JSON");
	is_str(j1, j3, "determinism: profile order in the config does not matter");
	ok(d1.n_subjects == 2 && d1.subjects[0].id == 7, "determinism: ids start at prev next_id");
	derivative_free(&d1);
	derivative_free(&d2);
	derivative_free(&d3);
}

static void test_derive_limits(void)
{
	struct profile_conf p[] = {profile_make("a", "a", "tor", 2)};
	struct settings s = settings_make(p, 1);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = STATE_ID_MAX}, d = {0};
	char b6[INET6_ADDRSTRLEN] = "";
	struct in6_addr a6 = state_uplink6(65536 + 2);

	is_int(derive(&s, &prev, NULL, &d), 0, "limits: the last id is handed out");
	ok(d.n_subjects == 1 && d.subjects[0].id == STATE_ID_MAX, "limits: id is STATE_ID_MAX");
	if (d.n_subjects == 1)
		check_addr(&d.subjects[0], "100.127.255.253", "fd6e:7370:f:ffff::1", "last id");
	derivative_free(&d);
	prev.next_id = STATE_ID_MAX + 1;
	is_int(derive(&s, &prev, NULL, &d), -ENOSPC, "limits: no id left, -ENOSPC");
	is_int(d.n_subjects, 0, "limits: nothing returned on failure");
	inet_ntop(AF_INET6, &a6, b6, sizeof(b6));
	is_str(b6, "fd6e:7370:1:2::1", "limits: ids above 16 bits spill into the third group");
	p[0].via_idx = 99;
	is_int(derive(&s, &prev, NULL, &d), -EINVAL, "limits: dangling via refused");
}

/* ---- Pid subjects ---- */

static void test_pid_add(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1),
				   profile_make("home", "home", "tor", 2)};
	struct settings s = settings_make(p, 2);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0};
	struct subject_state *e = NULL, *w;
	int32_t pid_id;

	if (derive(&s, &empty, NULL, &d) < 0)
		return (void)ok(0, "pid add: derive");
	is_int(derivative_add_pid(&d, &s, &p[0], 100, 5555, &e), 0, "pid add: succeeds");
	ok(e && e->kind == SUBJ_PID && e->pid == 100 && e->pid_start == 5555,
	   "pid add: kind, pid and pid_start set");
	ok(e && e->netns == NULL && e->ns.ino == 0 && e->ns.dev == 0 && e->ns.cookie == 0,
	   "pid add: no netns name, no ns identity yet");
	is_int(e ? e->id : 0, 3, "pid add: the next id");
	if (e)
		check_addr(e, "100.64.0.13", "fd6e:7370:0:3::1", "pid add id 3");
	is_int(d.next_id, 4, "pid add: next_id advances");
	w = derivative_find(&d, "work");
	ok(w && w->kind == SUBJ_NAMED && e && strcmp(w->snapshot, e->snapshot) == 0,
	   "pid add: derivative_find still gives the named entry; same snapshot");
	ok(derivative_find_pid(&d, 100) == e, "find_pid: finds pid 100");
	ok(derivative_find_pid(&d, 101) == NULL, "find_pid: NULL for an unknown pid");
	is_int(derivative_add_pid(&d, &s, &p[0], 50, 7, NULL), 0,
	       "pid add: second pid, same profile");
	is_int(derivative_add_pid(&d, &s, &p[1], 100, 9, NULL), -EEXIST,
	       "pid add: a pid already a subject (other profile): -EEXIST");
	is_int(derivative_add_pid(&d, &s, &p[1], 0, 9, NULL), -EINVAL, "pid add: pid 0 refused");
	is_int(derivative_add_pid(&d, &s, &p[1], -4, 9, NULL), -EINVAL, "pid add: pid < 0 refused");
	is_int(derivative_add_pid(&d, &s, &p[1], STATE_PID_MAX + 1, 9, NULL), -EINVAL,
	       "pid add: pid above PID_MAX_LIMIT refused");
	is_int(derivative_add_pid(&d, &s, &p[1], 77, 0, NULL), -EINVAL,
	       "pid add: pid_start 0 refused");
	is_int(d.n_subjects, 4, "pid add: failures add nothing");
	is_int(d.next_id, 5, "pid add: failures take no id");
	ok(sorted_ok(&d), "pid add: order kept (named first, then by pid)");
	ok(d.n_subjects == 4 && d.subjects[1].kind == SUBJ_NAMED && d.subjects[2].pid == 50 &&
		   d.subjects[3].pid == 100,
	   "pid add: home, work, work pid 50, work pid 100");
	pid_id = derivative_find_pid(&d, 50) ? (int32_t)derivative_find_pid(&d, 50)->id : 0;
	is_int(pid_id, 4, "pid add: pid 50 has id 4");
	d.next_id = STATE_ID_MAX + 1;
	is_int(derivative_add_pid(&d, &s, &p[1], 78, 9, NULL), -ENOSPC, "pid add: ids exhausted");
	d.next_id = 5;
	p[1].via_idx = 99;
	is_int(derivative_add_pid(&d, &s, &p[1], 78, 9, NULL), -EINVAL,
	       "pid add: a profile that did not validate is refused");
	p[1].via_idx = 2;
	is_int(d.n_subjects, 4, "pid add: still four entries");
	derivative_free(&d);
}

static void test_pid_remove(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1),
				   profile_make("home", "home", "tor", 2)};
	struct settings s = settings_make(p, 2);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0};

	if (derive(&s, &empty, NULL, &d) < 0)
		return (void)ok(0, "pid remove: derive");
	derivative_add_pid(&d, &s, &p[0], 30, 1, NULL);
	derivative_add_pid(&d, &s, &p[0], 10, 1, NULL);
	derivative_add_pid(&d, &s, &p[1], 20, 1, NULL);
	is_int(d.n_subjects, 5, "pid remove: five entries");
	derivative_remove(&d, 3); /* work pid 10 (home, home/20, work, work/10, work/30) */
	ok(d.n_subjects == 4 && !derivative_find_pid(&d, 10) && derivative_find_pid(&d, 30) &&
		   sorted_ok(&d),
	   "remove: entry gone, the rest kept in order");
	derivative_remove(&d, 99);
	is_int(d.n_subjects, 4, "remove: an index out of range is ignored");
	is_int(derivative_drop_profile(&d, "work"), 2, "drop_profile: named and pid entries");
	ok(!derivative_find(&d, "work") && !derivative_find_pid(&d, 30) &&
		   derivative_find(&d, "home") && derivative_find_pid(&d, 20),
	   "drop_profile: only that profile's entries went");
	is_int(derivative_drop_profile(&d, "work"), 0, "drop_profile: nothing left to drop");
	is_int(d.next_id, 6, "drop_profile: next_id not lowered, ids not reused");
	is_int(derivative_drop_profile(&d, "home"), 2, "drop_profile: the last two");
	ok(d.n_subjects == 0 && d.subjects == NULL, "drop_profile: empty derivative");
	derivative_free(&d);
}

static void test_pid_derive(void)
{
	struct profile_conf p1[] = {profile_make("work", "work", "exit", 1),
				    profile_make("home", "home", "tor", 2)};
	struct profile_conf p2[] = {profile_make("work", "work", "tor", 2),
				    profile_make("new", "new", "corp", 0)};
	struct settings s1 = settings_make(p1, 2), s2 = settings_make(p2, 2);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d1 = {0}, d2 = {0};
	struct subject_state *e = NULL, *e2;
	_cleanup_free_ char *old_snap = NULL;

	if (derive(&s1, &empty, NULL, &d1) < 0)
		return (void)ok(0, "pid derive: derive");
	is_int(count_kind(&d1, SUBJ_PID), 0, "pid derive: derive never invents pid entries");
	derivative_add_pid(&d1, &s1, &p1[1], 40, 4, NULL);
	derivative_add_pid(&d1, &s1, &p1[0], 41, 4, &e);
	if (!e)
		return (void)ok(0, "pid derive: add");
	e->ns = (struct ns_ident){.dev = 3, .ino = 99, .cookie = 12};
	old_snap = strdup(e->snapshot);
	is_int(derive(&s2, &d1, NULL, &d2), 0, "pid derive: derive with home removed");
	ok(!derivative_find_pid(&d2, 40), "pid derive: pid entry of a removed profile dropped");
	e2 = derivative_find_pid(&d2, 41);
	ok(e2 && e2->id == 4 && e2->pid_start == 4 && e2->kind == SUBJ_PID && !e2->netns,
	   "pid derive: pid entry carried over with id and pid_start");
	ok(e2 && e2->ns.ino == 99 && e2->ns.cookie == 12, "pid derive: ns identity kept");
	if (e2)
		check_addr(e2, "100.64.0.17", "fd6e:7370:0:4::1", "pid derive id 4");
	ok(e2 && strcmp(e2->snapshot, old_snap) != 0 && strstr(e2->snapshot, "\"via\":\"tor\""),
	   "pid derive: snapshot refreshed from the profile");
	is_int(derivative_find(&d2, "new") ? derivative_find(&d2, "new")->id : 0, 5,
	       "pid derive: a new profile gets an id above the pid entries'");
	is_int(d2.n_subjects, 3, "pid derive: work, work/41, new");
	ok(sorted_ok(&d2), "pid derive: sorted");
	derivative_free(&d1);
	is_int(derive(&s2, &d2, NULL, &d1), 0, "pid derive: derive again");
	ok(d1.n_subjects == 3 && derivative_find_pid(&d1, 41), "pid derive: stable");
	derivative_free(&d1);
	derivative_free(&d2);
}

static char *keys_str(const struct derive_change *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < c->n_keys; i++)
		len += strlen(c->keys[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; s && i < c->n_keys; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, c->keys[i]);
	}
	return s;
}

static void check_change(const struct derive_change *c, size_t n, size_t i, const char *profile,
			 enum derive_change_what what, const char *keys)
{
	_cleanup_free_ char *k = NULL;

	if (i >= n)
		return (void)ok(0, "plan: entry %zu for %s exists", i, profile);
	k = keys_str(&c[i]);
	is_str(c[i].profile, profile, "plan[%zu]: profile %s", i, profile);
	is_int(c[i].what, what, "plan[%zu]: %s is %s", i, profile,
	       what == CHANGE_ADDED	? "added"
	       : what == CHANGE_CHANGED ? "changed"
					: "removed");
	is_str(k, keys, "plan[%zu]: %s keys '%s'", i, profile, keys);
}

static void test_plan(void)
{
	struct profile_conf p1[] = {
		profile_make("work", "work", "exit", 1), profile_make("home", "home", "tor", 2),
		profile_make("gone", "gone", "corp", 0), profile_make("same", "same", "tor", 2)};
	struct profile_conf p2[] = {
		profile_make("same", "same", "tor", 2), profile_make("work", "work", "tor", 2),
		profile_make("home", "home", "tor", 2), profile_make("alpha", "alpha", "corp", 0)};
	struct settings s1 = settings_make(p1, 4), s2 = settings_make(p2, 4);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0};
	struct derive_change *c = NULL;
	size_t n = 99;

	if (derive(&s1, &empty, NULL, &d) < 0)
		return (void)ok(0, "plan: derive");
	derivative_add_pid(&d, &s1, &p1[2], 300, 3, NULL); /* a pid entry of 'gone' */
	is_int(derive_plan(&d, &s1, &c, &n), 0, "plan: same settings");
	ok(n == 0 && c == NULL, "plan: nothing to do, nothing listed");
	p2[1].ipv6 = false;
	p2[2].users = work_users;
	p2[2].n_users = 2;
	p2[2].udp = true;
	is_int(derive_plan(&d, &s2, &c, &n), 0, "plan: changed settings");
	is_int(n, 4, "plan: four lines (same and pid entries not listed)");
	check_change(c, n, 0, "alpha", CHANGE_ADDED, "");
	check_change(c, n, 1, "gone", CHANGE_REMOVED, "");
	check_change(c, n, 2, "home", CHANGE_CHANGED, "udp,users");
	check_change(c, n, 3, "work", CHANGE_CHANGED, "ipv6,via,chain");
	ok(n < 1 || (c[0].keys == NULL && c[0].n_keys == 0), "plan: added has no keys");
	{
		_cleanup_free_ char *text = derive_plan_text(c, n);
		_cleanup_free_ char *none = derive_plan_text(NULL, 0);

		is_str(text,
		       "+ profile alpha\n- profile gone\n~ profile home: udp, users\n"
		       "~ profile work: ipv6, via, chain\n",
		       "plan text: one line per change, keys after a colon");
		is_str(none, "no changes\n", "plan text: empty plan");
	}
	derive_plan_free(c, n);
	c = NULL;

	/* A password on the chain: only "chain" differs. */
	proxies[1].pass = "pw";
	is_int(derive_plan(&d, &s1, &c, &n), 0, "plan: chain password changed");
	is_int(n, 1, "plan: only work uses proxy exit");
	check_change(c, n, 0, "work", CHANGE_CHANGED, "chain");
	proxies[1].pass = NULL;
	derive_plan_free(c, n);
	c = NULL;

	/* pipeline or fastopen turned on: the chain changed (reload rebuilds it). */
	proxies[1].pipeline = true;
	is_int(derive_plan(&d, &s1, &c, &n), 0, "plan: pipeline turned on");
	check_change(c, n, 0, "work", CHANGE_CHANGED, "chain");
	proxies[1].pipeline = false;
	derive_plan_free(c, n);
	c = NULL;
	proxies[1].fastopen = true;
	is_int(derive_plan(&d, &s1, &c, &n), 0, "plan: fastopen turned on");
	check_change(c, n, 0, "work", CHANGE_CHANGED, "chain");
	proxies[1].fastopen = false;
	derive_plan_free(c, n);
	c = NULL;

	/* An old snapshot from an older writer: keys it lacks, keys only it has. */
	{
		struct subject_state *h = derivative_find(&d, "home");
		_cleanup_free_ char *legacy = h ? subst(h->snapshot, ",\"udp\":false", "") : NULL;

		if (legacy) {
			free(h->snapshot);
			h->snapshot =
				xasprintf("%.*s,\"legacy\":1}", (int)strlen(legacy) - 1, legacy);
		}
		is_int(derive_plan(&d, &s1, &c, &n), 0, "plan: legacy snapshot");
		check_change(c, n, 0, "home", CHANGE_CHANGED, "udp,legacy");
		derive_plan_free(c, n);
		c = NULL;
	}
	p2[0] = p2[1];
	is_int(derive_plan(&d, &s2, &c, &n), -EINVAL, "plan: duplicate profile refused");
	p2[0] = p1[3];
	p2[3].via_idx = 99;
	is_int(derive_plan(&d, &s2, &c, &n), 0, "plan: a new profile is not snapshotted");
	derive_plan_free(c, n);
	c = NULL;
	p2[1].via_idx = 99;
	is_int(derive_plan(&d, &s2, &c, &n), -EINVAL, "plan: dangling via of a kept profile");
	derive_plan_free(NULL, 0);
	derivative_free(&d);
}

int main(void)
{
	test_snapshot();
	test_snapshot_users();
	test_derive_fresh();
	test_derive_prev();
	test_derive_determinism();
	test_derive_limits();
	test_pid_add();
	test_pid_remove();
	test_pid_derive();
	test_plan();
	return tap_done();
}
