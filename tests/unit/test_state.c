/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_state.c - the Derivative: snapshots, derive(), JSON load/store, files.
 *
 * Settings are built by hand here so that these tests depend on the config
 * parser only through settings_chain() and proxy_kind_name().
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
#include "state_fixture.h"
#include "tap.h"
#include "util/macro.h"

/* corp: socks5 alice:secret; exit: http via corp; tor: socks5. */
static struct proxy_conf proxies[] = {
	{.name = "corp",
	 .kind = PROXY_SOCKS5,
	 .host = "10.1.2.3",
	 .port = 1080,
	 .user = "alice",
	 .pass = "secret",
	 .via_idx = -1},
	{.name = "exit",
	 .kind = PROXY_HTTP,
	 .host = "exit.example.net",
	 .port = 3128,
	 .via = "corp",
	 .via_idx = 0},
	{.name = "tor",
	 .kind = PROXY_SOCKS5,
	 .host = "127.0.0.1",
	 .port = 9050,
	 .via_idx = -1,
	 .isolate = ISOLATE_PROFILE},
};
static struct route_conf work_routes[] = {{.pattern = "*.onion", .proxy = "tor", .proxy_idx = 2}};
static char *work_users[] = {"alice", "@wheel"};

static struct profile_conf profile_make(char *name, char *netns, char *via, int via_idx)
{
	return (struct profile_conf){
		.name = name, .via = via, .via_idx = via_idx, .netns = netns, .ipv6 = true};
}

static struct settings settings_make(struct profile_conf *p, size_t n)
{
	return settings_of(proxies, ARRAY_SIZE(proxies), p, n);
}

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

/* A valid version-1 file with two subjects; the corrupt cases edit it. */
static const char base_json[] =
	"{\"version\":1,\"root\":{\"dev\":\"4\",\"ino\":\"4026531840\",\"cookie\":\"1\"},"
	"\"next_id\":3,\"subjects\":["
	"{\"name\":\"b\",\"id\":2,\"netns\":\"nb\",\"ns\":{\"dev\":\"3\",\"ino\":"
	"\"18446744073709551615\","
	"\"cookie\":\"0\"},\"uplink4\":\"100.64.0.9\",\"uplink6\":\"fd6e:7370:0:2::1\","
	"\"profile\":{\"name\":\"b\",\"netns\":\"nb\",\"x\":[1,true,null]}},"
	"{\"name\":\"a\",\"id\":1,\"netns\":\"a\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\",\"cookie\":"
	"\"0\"},"
	"\"uplink4\":\"100.64.0.5\",\"uplink6\":\"fd6e:7370:0:1::1\","
	"\"profile\":{\"name\":\"a\",\"netns\":\"a\"}}]}";

static char *xasprintf(const char *fmt, ...) _printf_(1, 2);
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

/* @base with the first @from replaced by @to. */
static char *subst(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);

	if (!at)
		return NULL;
	return xasprintf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

/* A subject entry and a document around entries, for cases with duplicates. */
#define SUBJ(name, id, ns, v4)                                                              \
	"{\"name\":\"" name "\",\"id\":" #id ",\"netns\":\"" ns "\",\"ns\":{\"dev\":\"0\"," \
	"\"ino\":\"0\",\"cookie\":\"0\"},\"uplink4\":\"100.64.0." #v4 "\","                 \
	"\"uplink6\":\"fd6e:7370:0:" #id "::1\",\"profile\":{\"name\":\"" name              \
	"\",\"netns\":\"" ns "\"}}"
#define DOC(subjects) "{\"version\":1,\"next_id\":9,\"subjects\":[" subjects "]}"

static void test_load_valid(void)
{
	struct derivative d = {0};
	char err[256];
	int r = derivative_load_buffer(base_json, strlen(base_json), &d, err, sizeof(err));

	is_int(r, 0, "load: the valid base loads (%s)", err);
	is_int(d.n_subjects, 2, "load: two subjects");
	ok(d.n_subjects == 2 && strcmp(d.subjects[0].name, "a") == 0, "load: sorted by name");
	ok(d.n_subjects == 2 && d.subjects[1].ns.ino == UINT64_MAX, "load: 64-bit ino exact");
	ok(d.have_root && d.root.ino == 4026531840u, "load: root identity");
	ok(d.n_subjects == 2 &&
		   strcmp(d.subjects[1].snapshot,
			  "{\"name\":\"b\",\"netns\":\"nb\",\"x\":[1,true,null]}") == 0,
	   "load: snapshot kept as canonical text");
	derivative_free(&d);
	r = derivative_load_buffer("{\"version\":1,\"next_id\":1,\"subjects\":[]}\n", 40, &d, err,
				   sizeof(err));
	ok(r == 0 && !d.have_root && d.next_id == 1, "load: no root, no subjects");
	derivative_free(&d);
	r = derivative_load_buffer(DOC(SUBJ("b", 1, "x", 5) "," SUBJ("a", 2, "y", 9)),
				   strlen(DOC(SUBJ("b", 1, "x", 5) "," SUBJ("a", 2, "y", 9))), &d,
				   err, sizeof(err));
	is_int(r, 0, "load: the document the duplicate cases edit is valid (%s)", err);
	derivative_free(&d);
}

struct bad_case {
	const char *from, *to; /* edit of base_json; from == NULL: @to is the whole text */
	const char *msg;       /* expected in the error message */
	size_t len;	       /* length of a whole text if it holds a NUL, else 0 */
};

static const struct bad_case bad_cases[] = {
	{NULL, "", "$: truncated"},
	{NULL, "{\"version\":1,\"next_id\":1,\"subj", "truncated"},
	{NULL, "[1,2]", "$: not a JSON object but array"},
	{NULL, "42", "$: not a JSON object but int"},
	{NULL, "\"state\"", "$: not a JSON object"},
	{NULL, "null", "$: not a JSON object"},
	{NULL, "{\"version\":1,\"next_id\":1,\"subjects\":[]} x", "trailing data"},
	{NULL, "{\"version\":1,\"next_id\":1,\"subjects\":[]}{}", "trailing data"},
	{NULL, "{\"version\":1,\"next_id\":1,\"subjects\":[]}\0", "trailing data", 40},
	{NULL, DOC(SUBJ("a", 2, "a", 9) "," SUBJ("b", 2, "b", 9)),
	 "subjects[1].id: duplicate of subjects[0]"},
	{NULL, DOC(SUBJ("a", 2, "a", 9) "," SUBJ("a", 1, "b", 5)),
	 "subjects[1].name: duplicate of subjects[0]"},
	{NULL, DOC(SUBJ("b", 1, "x", 5) "," SUBJ("a", 2, "x", 9)),
	 "subjects[1].netns: duplicate of subjects[0]"},
	{NULL,
	 "{\"version\":1,\"next_id\":1,\"subjects\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}",
	 "not JSON"},
	{NULL, "{\"version\":1 \"next_id\":1}", "not JSON"},
	{"\"version\":1", "\"version\":2", "version: 2 is not the supported version 1"},
	{"\"version\":1", "\"version\":\"1\"", "$: 'version' is not of type int"},
	{"\"version\":1", "\"version\":1.0", "'version' is not of type int"},
	{"\"version\":1,", "", "$: missing 'version'"},
	{"\"version\":1", "\"version\":99999999999999999999", "version"},
	{"\"next_id\":3", "\"next_id\":0", "'next_id' out of range"},
	{"\"next_id\":3", "\"next_id\":-3", "'next_id' out of range"},
	{"\"next_id\":3", "\"next_id\":1048577", "'next_id' out of range"},
	{"\"next_id\":3", "\"next_id\":18446744073709551616", "'next_id' out of range"},
	{"\"next_id\":3", "\"next_id\":true", "'next_id' is not of type int"},
	{"\"next_id\":3", "\"next_id\":2", "subjects[0]: 'id' out of range 1..1"},
	{"\"next_id\":3", "\"next_id\":3,\"extra\":1", "$: unknown key 'extra'"},
	{"\"subjects\":[", "\"subjects\":{},\"s\":[", "$: unknown key 's'"},
	{"\"next_id\":3,\"subjects\":[", "\"next_id\":3,\"subjects\":{\"a\":1},\"y\":[",
	 "$: unknown key 'y'"},
	{"\"root\":{\"dev\":\"4\"", "\"root\":{\"dev\":4", "root: 'dev' is not of type string"},
	{"\"root\":{\"dev\":\"4\",\"ino\":\"4026531840\",\"cookie\":\"1\"}", "\"root\":[\"4\"]",
	 "root: not an object"},
	{"\"ino\":\"4026531840\"", "\"ino\":\"-1\"", "root: 'ino' is not a decimal"},
	{"\"ino\":\"4026531840\"", "\"ino\":\"18446744073709551616\"",
	 "root: 'ino' is not a decimal"},
	{"\"ino\":\"4026531840\"", "\"ino\":\"04026531840\"", "root: 'ino' is not a decimal"},
	{"\"ino\":\"4026531840\"", "\"ino\":\"\"", "root: 'ino' is not a decimal"},
	{"\"ino\":\"4026531840\"", "\"ino\":\"12 \"", "root: 'ino' is not a decimal"},
	{",\"cookie\":\"1\"}", "}", "root: missing 'cookie'"},
	{"\"cookie\":\"1\"", "\"cookie\":\"1\",\"pid\":\"2\"", "root: unknown key 'pid'"},
	{"\"subjects\":[", "\"subjects\":[7,", "subjects[0]: not an object"},
	{"\"id\":2", "\"id\":-2", "subjects[0]: 'id' out of range"},
	{"\"id\":2", "\"id\":0", "subjects[0]: 'id' out of range"},
	{"\"id\":2", "\"id\":3", "subjects[0]: 'id' out of range"},
	{"\"id\":2", "\"id\":2.5", "subjects[0]: 'id' is not of type int"},
	{"\"id\":2,", "", "subjects[0]: missing 'id'"},
	{"\"netns\":\"nb\"", "\"netns\":\"a\"", "subjects[0].profile: 'netns' differs"},
	{"\"name\":\"b\"", "\"name\":\"-b\"", "subjects[0]: 'name' is not a valid name"},
	{"\"name\":\"b\"", "\"name\":\"\"", "subjects[0]: 'name' is not a valid name"},
	{"\"name\":\"b\"", "\"name\":\"a/b\"", "subjects[0]: 'name' is not a valid name"},
	{"\"name\":\"b\"", "\"name\":\"b\\u0000c\"", "subjects[0]: 'name' contains a NUL"},
	{"\"name\":\"b\"", "\"name\":\"abcdefghijabcdefghijabcdefghijabc\"", "not a valid name"},
	{"\"netns\":\"nb\"", "\"netns\":\"..\"", "subjects[0]: 'netns' is not a valid name"},
	{"\"uplink4\":\"100.64.0.9\"", "\"uplink4\":\"100.64.0.300\"",
	 "subjects[0]: 'uplink4' is not an IPv4 address"},
	{"\"uplink4\":\"100.64.0.9\"", "\"uplink4\":\"fd6e::1\"",
	 "'uplink4' is not an IPv4 address"},
	{"\"uplink4\":\"100.64.0.9\"", "\"uplink4\":\"100.64.0.5\"",
	 "subjects[0]: 'uplink4' does not match id 2"},
	{"\"uplink4\":\"100.64.0.9\"", "\"uplink4\":\"192.0.2.9\"",
	 "'uplink4' does not match id 2"},
	{"\"uplink6\":\"fd6e:7370:0:2::1\"", "\"uplink6\":\"fd6e:7370:0:2::2\"",
	 "subjects[0]: 'uplink6' does not match id 2"},
	{"\"uplink6\":\"fd6e:7370:0:2::1\"", "\"uplink6\":\"100.64.0.9\"",
	 "'uplink6' is not an IPv6 address"},
	{"\"uplink6\":\"fd6e:7370:0:2::1\"", "\"uplink6\":null", "'uplink6' is not of type string"},
	{"\"ns\":{\"dev\":\"3\"", "\"ns\":{\"dev\":\"x\"",
	 "subjects[0].ns: 'dev' is not a decimal"},
	{"\"ns\":{\"dev\":\"3\",\"ino\":\"18446744073709551615\",\"cookie\":\"0\"}", "\"ns\":[]",
	 "subjects[0]: 'ns' is not of type object"},
	{"\"profile\":{\"name\":\"b\",\"netns\":\"nb\",\"x\":[1,true,null]}", "\"profile\":\"{}\"",
	 "subjects[0]: 'profile' is not of type object"},
	{"\"profile\":{\"name\":\"b\"", "\"profile\":{\"name\":\"c\"",
	 "subjects[0].profile: 'name' differs"},
	{"\"profile\":{\"name\":\"b\",", "\"profile\":{", "subjects[0].profile: missing 'name'"},
	{"\"uplink6\":\"fd6e:7370:0:1::1\",", "\"uplink6\":\"fd6e:7370:0:1::1\",\"z\":0,",
	 "subjects[1]: unknown key 'z'"},
};

static void test_load_corrupt(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		_cleanup_free_ char *text = c->from ? subst(base_json, c->from, c->to) : NULL;
		const char *buf = c->from ? text : c->to;
		size_t len = c->len ? c->len : buf ? strlen(buf) : 0;
		struct derivative d = {0};
		char err[256] = "unset";
		int r;

		if (!buf) {
			ok(0, "corrupt %zu: edit '%s' applies", i, c->from);
			continue;
		}
		r = derivative_load_buffer(buf, len, &d, err, sizeof(err));
		is_int(r, -EBADMSG, "corrupt %zu refused: %s", i, err);
		ok(strstr(err, c->msg) != NULL, "corrupt %zu message has '%s'", i, c->msg);
		ok(d.subjects == NULL && d.n_subjects == 0, "corrupt %zu: nothing handed out", i);
		derivative_free(&d);
	}
}

static char tmpdir[64];

/* Remove what the file tests leave: tmpdir/a/b/state.json and the directories. */
static void rmdir_tree(const char *top)
{
	_cleanup_free_ char *f = NULL, *b = NULL, *a = NULL;

	f = xasprintf("%s/a/b/state.json", top);
	b = xasprintf("%s/a/b", top);
	a = xasprintf("%s/a", top);
	unlink(f);
	rmdir(b);
	rmdir(a);
	ok(rmdir(top) == 0, "temp dir removed, nothing left in it");
}

static int count_entries(const char *dir, const char *prefix)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!dh)
		return -1;
	while ((e = readdir(dh)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(dh);
	return n;
}

static void test_store_load(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1),
				   profile_make("home", "home", "tor", 2)};
	struct settings s = settings_make(p, 2);
	struct derivative empty = {0}, d = {0}, back = {0};
	struct ns_ident root = {.dev = 4, .ino = 4026531840u, .cookie = UINT64_MAX};
	_cleanup_free_ char *dir = NULL, *path = NULL, *j1 = NULL, *j2 = NULL;
	char err[256] = "";
	struct stat st;

	dir = xasprintf("%s/a/b", tmpdir);
	path = xasprintf("%s/state.json", dir);
	is_int(derivative_load(path, &empty, err, sizeof(err)), 0, "load missing file: 0");
	ok(empty.version == DERIVATIVE_VERSION && empty.next_id == 1 && !empty.have_root &&
		   empty.n_subjects == 0,
	   "load missing file: empty derivative");
	is_int(derive(&s, &empty, &root, &d), 0, "store: derive");
	d.subjects[0].ns = (struct ns_ident){1, 2, 3};
	is_int(derivative_store(path, &d), 0, "store: into a directory that does not exist");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "store: file mode 0600");
	ok(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "store: directory mode 0700");
	is_int(count_entries(dir, "state.json.tmp"), 0, "store: no temp file left behind");
	is_int(derivative_load(path, &back, err, sizeof(err)), 0, "load stored: 0 (%s)", err);
	j1 = to_json(&d);
	j2 = to_json(&back);
	is_str(j2, j1, "round trip: identical JSON");
	ok(back.n_subjects == 2 && strcmp(back.subjects[1].snapshot, d.subjects[1].snapshot) == 0,
	   "round trip: snapshot byte-identical");
	ok(back.root.cookie == UINT64_MAX, "round trip: 64-bit cookie exact");
	back.next_id = 9;
	is_int(derivative_store(path, &back), 0, "store again: replaces the file");
	derivative_free(&back);
	derivative_load(path, &back, err, sizeof(err));
	is_int(back.next_id, 9, "store again: new content read back");
	is_int(count_entries(dir, "state.json"), 1,
	       "store again: only state.json in the directory");
	free(d.subjects[0].snapshot);
	d.subjects[0].snapshot = strdup("not json");
	is_int(derivative_store(path, &d), -EINVAL, "store: a broken snapshot is refused");
	is_int(count_entries(dir, "state.json"), 1, "store failure: no temp file left behind");
	derivative_free(&back);
	derivative_load(path, &back, err, sizeof(err));
	is_int(back.next_id, 9, "store failure: old file intact");
	derivative_free(&back);
	derivative_free(&d);
}

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "we");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(text, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static void test_corrupt_file(void)
{
	_cleanup_free_ char *path = NULL, *big = NULL;
	char err[256] = "", np1[512] = "", np2[512] = "", tiny[8];
	struct derivative d = {0};
	size_t bigsz = STATE_FILE_MAX + 2;

	path = xasprintf("%s/c.json", tmpdir);
	write_file(path, "{\"version\":1", 12);
	is_int(derivative_load(path, &d, err, sizeof(err)), -EBADMSG, "corrupt file refused");
	ok(strstr(err, "truncated") != NULL, "corrupt file: message says why: %s", err);
	is_int(derivative_set_aside(path, "corrupt", np1, sizeof(np1)), 0, "set aside: renamed");
	ok(strstr(np1, "/c.json.corrupt-2") && access(np1, F_OK) == 0 && access(path, F_OK) < 0,
	   "set aside: PATH.corrupt-STAMP exists, PATH gone (%s)", np1);
	write_file(path, "x", 1);
	is_int(derivative_set_aside(path, "corrupt", np2, sizeof(np2)), 0,
	       "set aside again: renamed");
	ok(strcmp(np1, np2) != 0 && access(np1, F_OK) == 0 && access(np2, F_OK) == 0,
	   "set aside again: a second name, the first kept (%s)", np2);
	write_file(path, "x", 1);
	is_int(derivative_set_aside(path, "corrupt", tiny, sizeof(tiny)), -ENAMETOOLONG,
	       "set aside: small buffer refused");
	unlink(np1);
	unlink(np2);

	big = malloc(bigsz);
	if (big) {
		memset(big, ' ', bigsz);
		memcpy(big, "{\"version\":1,\"next_id\":1,\"subjects\":[]}", 39);
		write_file(path, big, bigsz);
		is_int(derivative_load(path, &d, err, sizeof(err)), -EBADMSG,
		       "file > STATE_FILE_MAX refused");
		ok(strstr(err, "larger than") != NULL, "file > STATE_FILE_MAX: %s", err);
		is_int(derivative_load_buffer(big, bigsz, &d, err, sizeof(err)), -EBADMSG,
		       "buffer > STATE_FILE_MAX refused");
		write_file(path, big, STATE_FILE_MAX);
		is_int(derivative_load(path, &d, err, sizeof(err)), 0,
		       "file of STATE_FILE_MAX bytes loads");
		derivative_free(&d);
	}
	unlink(path);
	ok(mkfifo(path, 0600) == 0, "a FIFO at the state path");
	is_int(derivative_load(path, &d, err, sizeof(err)), -EBADMSG,
	       "FIFO refused without blocking: %s", err);
	unlink(path);
}

/* ---- Pid subjects ---- */

static int count_kind(const struct derivative *d, enum subject_kind k)
{
	int n = 0;

	for (size_t i = 0; i < d->n_subjects; i++)
		n += d->subjects[i].kind == k;
	return n;
}

/* Subjects in state_subject_cmp() order, and derivative_find() finding every named one. */
static bool sorted_ok(const struct derivative *d)
{
	for (size_t i = 1; i < d->n_subjects; i++)
		if (state_subject_cmp(&d->subjects[i - 1], &d->subjects[i]) >= 0)
			return false;
	for (size_t i = 0; i < d->n_subjects; i++)
		if (d->subjects[i].kind == SUBJ_NAMED &&
		    derivative_find(d, d->subjects[i].name) != &d->subjects[i])
			return false;
	return true;
}

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

static void test_pid_round_trip(void)
{
	struct profile_conf p[] = {profile_make("work", "work", "exit", 1)};
	struct settings s = settings_make(p, 1);
	struct derivative empty = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0},
			  back = {0};
	struct subject_state *e = NULL, *b;
	_cleanup_free_ char *path = xasprintf("%s/pid.json", tmpdir), *j1 = NULL, *j2 = NULL;
	char err[256] = "";

	if (derive(&s, &empty, NULL, &d) < 0)
		return (void)ok(0, "pid round trip: derive");
	derivative_add_pid(&d, &s, &p[0], STATE_PID_MAX, UINT64_MAX, &e);
	if (e)
		e->ns = (struct ns_ident){1, 2, 3};
	derivative_add_pid(&d, &s, &p[0], 1, 1, NULL);
	is_int(derivative_store(path, &d), 0, "pid round trip: stored");
	is_int(derivative_load(path, &back, err, sizeof(err)), 0, "pid round trip: loads (%s)",
	       err);
	j1 = to_json(&d);
	j2 = to_json(&back);
	is_str(j2, j1, "pid round trip: identical JSON");
	b = derivative_find_pid(&back, STATE_PID_MAX);
	ok(b && b->pid_start == UINT64_MAX && b->ns.cookie == 3 && !b->netns && b->id == 2,
	   "pid round trip: pid, 64-bit pid_start, ns, no netns");
	ok(j1 && strstr(j1, "\"kind\":\"pid\",\"id\":2,\"pid\":4194304,"
			    "\"pid_start\":\"18446744073709551615\",\"ns\":"),
	   "pid round trip: JSON fields as documented");
	ok(j1 && strstr(j1, "\"name\":\"work\",\"kind\":\"named\",\"id\":1,\"netns\":\"work\""),
	   "pid round trip: named entries say kind named");
	ok(sorted_ok(&back) && count_kind(&back, SUBJ_PID) == 2,
	   "pid round trip: sorted, two pids");
	unlink(path);
	derivative_free(&back);
	derivative_free(&d);
}

/* A Pid subject entry of profile @name. */
#define PSUBJ(name, id, pid, v4)                                                       \
	"{\"name\":\"" name "\",\"kind\":\"pid\",\"id\":" #id ",\"pid\":" #pid         \
	",\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\",\"cookie\":\"0\"}," \
	"\"uplink4\":\"100.64.0." #v4 "\",\"uplink6\":\"fd6e:7370:0:" #id "::1\","     \
	"\"profile\":{\"name\":\"" name "\",\"netns\":\"" name "\"}}"

/* A named entry without "kind" (a file from before Pid subjects) and two Pid entries. */
static const char pid_base[] =
	DOC(SUBJ("a", 1, "a", 5) "," PSUBJ("a", 2, 100, 9) "," PSUBJ("a", 3, 200, 13));

static void test_pid_load(void)
{
	struct derivative d = {0};
	char err[256] = "";
	_cleanup_free_ char *named = subst(pid_base, "\"name\":\"a\",\"id\":1",
					   "\"name\":\"a\",\"kind\":\"named\",\"id\":1");
	int r = derivative_load_buffer(pid_base, strlen(pid_base), &d, err, sizeof(err));

	is_int(r, 0, "pid load: valid (%s)", err);
	ok(d.n_subjects == 3 && d.subjects[0].kind == SUBJ_NAMED && d.subjects[0].pid == 0 &&
		   d.subjects[0].pid_start == 0,
	   "pid load: no 'kind' means named");
	ok(derivative_find_pid(&d, 200) && derivative_find_pid(&d, 200)->pid_start == 77 &&
		   derivative_find_pid(&d, 200)->netns == NULL,
	   "pid load: pid entry read");
	ok(derivative_find(&d, "a") == &d.subjects[0], "pid load: find gives the named entry");
	derivative_free(&d);
	r = named ? derivative_load_buffer(named, strlen(named), &d, err, sizeof(err)) : -1;
	ok(r == 0 && d.subjects[0].kind == SUBJ_NAMED, "pid load: explicit kind named (%s)", err);
	derivative_free(&d);
}

static const struct bad_case pid_bad_cases[] = {
	{"\"kind\":\"pid\",\"id\":2", "\"kind\":\"bogus\",\"id\":2",
	 "subjects[1]: 'kind' is neither"},
	{"\"kind\":\"pid\",\"id\":2", "\"kind\":1,\"id\":2",
	 "subjects[1]: 'kind' is not of type string"},
	{"\"kind\":\"pid\",\"id\":2", "\"kind\":\"PID\",\"id\":2", "'kind' is neither"},
	{"\"pid\":100,", "\"pid\":100,\"netns\":\"x\",",
	 "subjects[1]: a pid subject has no 'netns'"},
	{"\"pid\":100,", "", "subjects[1]: missing 'pid'"},
	{"\"pid\":100,", "\"pid\":0,", "subjects[1]: 'pid' out of range 1..4194304"},
	{"\"pid\":100,", "\"pid\":-100,", "subjects[1]: 'pid' out of range"},
	{"\"pid\":100,", "\"pid\":4194305,", "subjects[1]: 'pid' out of range"},
	{"\"pid\":100,", "\"pid\":99999999999999999999,", "'pid' out of range"},
	{"\"pid\":100,", "\"pid\":\"100\",", "subjects[1]: 'pid' is not of type int"},
	{"\"pid\":100,", "\"pid\":100.5,", "'pid' is not of type int"},
	{"\"pid\":100,\"pid_start\":\"77\",", "\"pid\":100,", "subjects[1]: missing 'pid_start'"},
	{"\"pid\":100,\"pid_start\":\"77\"", "\"pid\":100,\"pid_start\":\"0\"",
	 "subjects[1]: 'pid_start' is 0"},
	{"\"pid\":100,\"pid_start\":\"77\"", "\"pid\":100,\"pid_start\":77",
	 "subjects[1]: 'pid_start' is not of type string"},
	{"\"pid\":100,\"pid_start\":\"77\"", "\"pid\":100,\"pid_start\":\"-1\"",
	 "'pid_start' is not a decimal 64-bit"},
	{"\"pid\":100,\"pid_start\":\"77\"", "\"pid\":100,\"pid_start\":\"18446744073709551616\"",
	 "'pid_start' is not a decimal 64-bit"},
	{"\"netns\":\"a\"", "\"netns\":\"a\",\"pid\":5",
	 "subjects[0]: a named subject has no 'pid'"},
	{"\"netns\":\"a\"", "\"netns\":\"a\",\"pid_start\":\"5\"",
	 "subjects[0]: a named subject has no 'pid_start'"},
	{"\"name\":\"a\",\"id\":1,\"netns\":\"a\"",
	 "\"name\":\"a\",\"kind\":\"pid\",\"id\":1,"
	 "\"netns\":\"a\"",
	 "subjects[0]: a pid subject has no 'netns'"},
	{"\"pid\":200", "\"pid\":100", "subjects[2].pid: duplicate of subjects[1]"},
	{"\"id\":3,\"pid\":200,\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\","
	 "\"cookie\":\"0\"},\"uplink4\":\"100.64.0.13\",\"uplink6\":\"fd6e:7370:0:3::1\"",
	 "\"id\":2,\"pid\":200,\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\","
	 "\"cookie\":\"0\"},\"uplink4\":\"100.64.0.9\",\"uplink6\":\"fd6e:7370:0:2::1\"",
	 "subjects[2].id: duplicate of subjects[1]"},
	{"\"uplink4\":\"100.64.0.9\"", "\"uplink4\":\"100.64.0.5\"",
	 "subjects[1]: 'uplink4' does not match id 2"},
	{"\"pid\":100,\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\"",
	 "\"pid\":100,\"pid_start\":\"77\",\"ns\":{\"dev\":\"x\"",
	 "subjects[1].ns: 'dev' is not a decimal"},
	{"\"kind\":\"pid\",\"id\":2", "\"kind\":\"pid\",\"id\":9",
	 "subjects[1]: 'id' out of range"},
	{"{\"name\":\"a\",\"kind\":\"pid\"", "{\"name\":\"-a\",\"kind\":\"pid\"",
	 "subjects[1]: 'name' is not a valid name"},
	{"\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\",\"cookie\":\"0\"},"
	 "\"uplink4\":\"100.64.0.9\",\"uplink6\":\"fd6e:7370:0:2::1\",\"profile\":{\"name\":\"a\"",
	 "\"pid_start\":\"77\",\"ns\":{\"dev\":\"0\",\"ino\":\"0\",\"cookie\":\"0\"},"
	 "\"uplink4\":\"100.64.0.9\",\"uplink6\":\"fd6e:7370:0:2::1\",\"profile\":{\"name\":\"b\"",
	 "subjects[1].profile: 'name' differs"},
};

static void test_pid_corrupt(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(pid_bad_cases); i++) {
		const struct bad_case *c = &pid_bad_cases[i];
		_cleanup_free_ char *text = subst(pid_base, c->from, c->to);
		struct derivative d = {0};
		char err[256] = "unset";
		int r;

		if (!text) {
			ok(0, "pid corrupt %zu: edit '%s' applies", i, c->from);
			continue;
		}
		r = derivative_load_buffer(text, strlen(text), &d, err, sizeof(err));
		is_int(r, -EBADMSG, "pid corrupt %zu refused: %s", i, err);
		ok(strstr(err, c->msg) != NULL, "pid corrupt %zu message has '%s'", i, c->msg);
		ok(d.subjects == NULL && d.n_subjects == 0, "pid corrupt %zu: nothing handed out",
		   i);
		derivative_free(&d);
	}
}

/* ---- reload plan ---- */

/* "k1,k2,..." of a change, for exact comparison. */
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
	test_load_valid();
	test_load_corrupt();
	strcpy(tmpdir, "/tmp/netnsp-test-state-XXXXXX");
	if (!mkdtemp(tmpdir))
		return ok(0, "mkdtemp"), tap_done();
	test_store_load();
	test_corrupt_file();
	test_pid_add();
	test_pid_remove();
	test_pid_derive();
	test_pid_round_trip();
	test_pid_load();
	test_pid_corrupt();
	test_plan();
	rmdir_tree(tmpdir);
	return tap_done();
}
