/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_state_json.c - the Derivative as a file: strict loading of valid and corrupt
 * JSON (named and Pid subjects), store and load round trips, files set aside.
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

/* "k1,k2,..." of a change, for exact comparison. */
int main(void)
{
	test_load_valid();
	test_load_corrupt();
	strcpy(tmpdir, "/tmp/netnsp-test-state-XXXXXX");
	if (!mkdtemp(tmpdir))
		return ok(0, "mkdtemp"), tap_done();
	test_store_load();
	test_corrupt_file();
	test_pid_round_trip();
	test_pid_load();
	test_pid_corrupt();
	rmdir_tree(tmpdir);
	return tap_done();
}
