/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_flatpak.c - the Flatpak instance parsers (info, bwrapinfo.json) and the
 * explanation of a refusal; the watcher and the /proc checks: test_flatpak_watch.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatpak/flatpak.h"
#include "tap.h"
#include "util/macro.h"

static const char firefox_info[] =
	"[Application]\n"
	"name=org.mozilla.firefox\n"
	"runtime=runtime/org.freedesktop.Platform/x86_64/23.08\n"
	"\n"
	"[Instance]\n"
	"instance-id=1234567890\n"
	"instance-path=/home/u/.var/app/org.mozilla.firefox\n"
	"app-path=/var/lib/flatpak/app/org.mozilla.firefox/x86_64/stable/abc/files\n"
	"branch=stable\n"
	"arch=x86_64\n"
	"flatpak-version=1.14.4\n"
	"session-bus-proxy=true\n"
	"\n"
	"[Context]\n"
	"shared=network;ipc;\n"
	"sockets=x11;wayland;pulseaudio;\n";

static const char firefox_bwrap[] =
	"{\"child-pid\": 4242, \"cgroup-namespace\": 4026531835, \"ipc-namespace\": 4026532519, "
	"\"mnt-namespace\": 4026532517, \"net-namespace\": 4026532520, \"pid-namespace\": "
	"4026532518}";

/* ---- parsers ---------------------------------------------------------- */

static int info(const char *s, struct flatpak_instance *in)
{
	memset(in, 0, sizeof(*in));
	return flatpak_parse_info(s, strlen(s), in);
}

static int bwrap(const char *s, struct flatpak_instance *in)
{
	memset(in, 0, sizeof(*in));
	return flatpak_parse_bwrapinfo(s, strlen(s), in);
}

static void test_info_valid(void)
{
	struct flatpak_instance in;

	is_int(info(firefox_info, &in), 0, "info: Flatpak's own layout parses");
	is_str(in.app_id, "org.mozilla.firefox", "info: app id from [Application] name");
	is_str(in.instance_id, "1234567890", "info: instance-id from [Instance]");
	ok(in.network_shared, "info: shared=network;ipc; means the host network");

	is_int(info("[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n"
		    "[Context]\nshared=ipc;\n",
		    &in),
	       0, "info: shared without network");
	ok(!in.network_shared, "info: shared=ipc; is not the host network");
	is_int(info("[Application]\nname=org.a.b\n[Instance]\ninstance-id=1", &in), 0,
	       "info: no [Context], no trailing newline");
	ok(!in.network_shared, "info: no shared key: not shared");
	is_int(info("[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n"
		    "[Context]\nshared=ipc;!network;\n",
		    &in),
	       0, "info: !network parses");
	ok(!in.network_shared, "info: !network is not shared");
	is_int(info("[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n"
		    "[Context]\nshared=ipc; network ;\n",
		    &in),
	       0, "info: blanks in list");
	ok(in.network_shared, "info: ' network ' counts as network (refusing is the safe side)");
	is_int(info("# c\r\n  [Application]  \r\nname[de] = org.de.x\r\n name = org.ex-1.App_2 \r\n"
		    "[Instance]\r\ninstance-id\t=\t77\r\n",
		    &in),
	       0, "info: CRLF, comments, blanks around '=', localized key");
	is_str(in.app_id, "org.ex-1.App_2", "info: localized name[de] ignored, blanks trimmed");
	is_str(in.instance_id, "77", "info: tab-separated instance-id");
	is_int(info("[Instance]\nname=org.evil.x\ninstance-id=3\n[Application]\nname=org.a.b\n",
		    &in),
	       0, "info: name in another group is not the app id");
	is_str(in.app_id, "org.a.b", "info: only [Application] name counts");
}

static const char *long_element(size_t n)
{
	static char buf[300];

	memset(buf, 'x', n);
	buf[n] = '\0';
	return buf;
}

static void test_info_invalid(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"[Instance]\ninstance-id=1\n", "missing name"},
		{"[Application]\nname=org.a.b\n", "missing instance-id"},
		{"name=org.a.b\n[Instance]\ninstance-id=1\n", "key before the first group"},
		{"[Application]\nname=org.a.b\njunk\n[Instance]\ninstance-id=1\n",
		 "line without ="},
		{"[Application\nname=org.a.b\n[Instance]\ninstance-id=1\n", "unclosed group"},
		{"[]\n[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n", "empty group"},
		{"[Application]x\nname=org.a.b\n[Instance]\ninstance-id=1\n", "text after group"},
		{"[Application]\n=org.a.b\n[Instance]\ninstance-id=1\n", "empty key"},
		{"[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n[Application]\nname=org."
		 "c.d\n",
		 "name twice (GKeyFile would take the last)"},
		{"[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\ninstance-id=2\n",
		 "instance-id twice"},
		{"[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n[Context]\nshared="
		 "network;\n"
		 "[Context]\nshared=ipc;\n",
		 "shared twice"},
		{"[Application]\nname=org.mozilla\n[Instance]\ninstance-id=1\n",
		 "two-element app id"},
		{"[Application]\nname=org..b\n[Instance]\ninstance-id=1\n", "empty app id element"},
		{"[Application]\nname=org.1a.b\n[Instance]\ninstance-id=1\n",
		 "element starts with digit"},
		{"[Application]\nname=org.a b.c\n[Instance]\ninstance-id=1\n", "space in app id"},
		{"[Application]\nname=org.a.b/../c\n[Instance]\ninstance-id=1\n",
		 "slash in app id"},
		{"[Application]\nname=\n[Instance]\ninstance-id=1\n", "empty app id"},
		{"[Application]\nname=org.a.b\n[Instance]\ninstance-id=12a\n",
		 "non-digit instance id"},
		{"[Application]\nname=org.a.b\n[Instance]\ninstance-id=-1\n",
		 "negative instance id"},
		{"", "empty file"},
	};
	struct flatpak_instance in;
	char big[400];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(info(bad[i].text, &in), -EINVAL, "info refused: %s", bad[i].why);

	memset(&in, 0, sizeof(in));
	is_int(flatpak_parse_info("[Application]\nname=org.a.b\0\n[Instance]\ninstance-id=1\n", 46,
				  &in),
	       -EINVAL, "info refused: embedded NUL");

	/* 255 characters is the longest valid app id, 256 is too long. */
	snprintf(big, sizeof(big), "[Application]\nname=org.a.%s\n[Instance]\ninstance-id=1\n",
		 long_element(249));
	is_int(info(big, &in), 0, "info: 255-character app id accepted");
	is_int((long long)strlen(in.app_id), 255, "info: 255-character app id kept whole");
	snprintf(big, sizeof(big), "[Application]\nname=org.a.%s\n[Instance]\ninstance-id=1\n",
		 long_element(250));
	is_int(info(big, &in), -EINVAL, "info refused: 256-character app id");

	memset(&in, 0x5a, sizeof(in));
	{
		struct flatpak_instance before = in;

		flatpak_parse_info("[Application]\nname=org.a.b\n", 27, &in);
		ok(memcmp(&in, &before, sizeof(in)) == 0, "info: output untouched on failure");
	}
}

static void test_info_size(void)
{
	struct flatpak_instance in;
	size_t len = FLATPAK_FILE_MAX + 1;
	char *buf = malloc(len);
	const char *head = "[Application]\nname=org.a.b\n[Instance]\ninstance-id=1\n#";

	memset(buf, 'x', len);
	memcpy(buf, head, strlen(head));
	is_int(flatpak_parse_info(buf, len, &in), -EFBIG, "info refused: larger than 64 KiB");
	is_int(flatpak_parse_info(buf, len - 1, &in), 0, "info: exactly 64 KiB accepted");
	is_int(flatpak_parse_bwrapinfo(buf, len, &in), -EFBIG,
	       "bwrapinfo refused: larger than 64 KiB");
	free(buf);
}

static void test_bwrapinfo(void)
{
	static const struct {
		const char *text;
		int want;
		const char *why;
	} cases[] = {
		{"{\"child-pid\": 2147483647}", 0, "largest pid"},
		{"{\"child-pid\": 1, \"user-namespace\": 4026531837, \"other\": [1, {\"x\": "
		 "null}]}",
		 0, "unknown members ignored"},
		{"{\"child-pid\": 42}\n\t \r\n", 0, "trailing whitespace"},
		{"{\"mnt-namespace\": 4026532517}", -EINVAL, "no child-pid"},
		{"{\"child-pid\": 0}", -ERANGE, "pid 0"},
		{"{\"child-pid\": -1}", -ERANGE, "negative pid"},
		{"{\"child-pid\": 2147483648}", -ERANGE, "pid above INT32_MAX"},
		{"{\"child-pid\": 99999999999999999999999}", -ERANGE, "pid above INT64_MAX"},
		{"{\"child-pid\": \"42\"}", -EINVAL, "pid as a string"},
		{"{\"child-pid\": 1e3}", -EINVAL, "pid as a double"},
		{"{\"child-pid\": true}", -EINVAL, "pid as a boolean"},
		{"{\"child-pid\": 42, \"net-namespace\": 4294967296}", -ERANGE,
		 "nsfs inode > 32 bit"},
		{"{\"child-pid\": 42, \"net-namespace\": -5}", -ERANGE, "negative inode"},
		{"{\"child-pid\": 42, \"ipc-namespace\": \"x\"}", -EINVAL, "inode as a string"},
		{"{\"child-pid\": 42} x", -EINVAL, "trailing garbage"},
		{"{\"child-pid\": 42}{}", -EINVAL, "second object"},
		{"{\"child-pid\": 42", -EINVAL, "incomplete (bwrap still writing)"},
		{"", -EINVAL, "empty (created, not written yet)"},
		{"[42]", -EINVAL, "array"},
		{"42", -EINVAL, "bare number"},
		{"{'child-pid': 42}", -EINVAL, "single quotes (not strict JSON)"},
		{"{\"child-pid\": 42,}", -EINVAL, "trailing comma"},
		{"{\"a\": {\"b\": {\"c\": {\"d\": {}}}}, \"child-pid\": 1}", -EINVAL, "too deep"},
		{"{\"child-pid\": 42, \"x\": \"\xff\"}", -EINVAL, "invalid UTF-8"},
	};
	struct flatpak_instance in;

	is_int(bwrap(firefox_bwrap, &in), 0, "bwrapinfo: bwrap's output parses");
	is_int(in.child_pid, 4242, "bwrapinfo: child-pid");
	is_int((long long)in.net_ns, 4026532520LL, "bwrapinfo: net-namespace");
	is_int(bwrap("{\n    \"child-pid\": 17,\n    \"mnt-namespace\": 4026532517\n}\n", &in), 0,
	       "bwrapinfo: no net-namespace (--share=net)");
	is_int((long long)in.net_ns, 0, "bwrapinfo: net_ns 0 when absent");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(bwrap(cases[i].text, &in), cases[i].want, "bwrapinfo: %s", cases[i].why);
	memset(&in, 0, sizeof(in));
	is_int(flatpak_parse_bwrapinfo("{\"child-pid\": 4\0}", 17, &in), -EINVAL,
	       "bwrapinfo: embedded NUL");
	memset(&in, 0x5a, sizeof(in));
	{
		struct flatpak_instance before = in;

		flatpak_parse_bwrapinfo("{\"child-pid\": 42, \"net-namespace\": 0}", 37, &in);
		ok(memcmp(&in, &before, sizeof(in)) == 0, "bwrapinfo: output untouched on failure");
	}
}

static void test_explain(void)
{
	struct flatpak_instance in = {.instance_id = "99",
				      .app_id = "org.mozilla.firefox",
				      .child_pid = 5,
				      .uid = 1000,
				      .network_shared = true};
	char buf[FLATPAK_ERR_MAX];
	int n;

	n = flatpak_explain_refusal(&in, 0, buf, sizeof(buf));
	ok(n > 0 && strstr(buf, "flatpak override --unshare=network org.mozilla.firefox"),
	   "explain: shared network names the override (%s)", buf);
	ok(!strchr(buf, '\n'), "explain: one line");
	n = flatpak_explain_refusal(&in, -EPERM, buf, sizeof(buf));
	ok(n > 0 && strstr(buf, "uid 1000"), "explain: wrong owner (%s)", buf);
	n = flatpak_explain_refusal(&in, -ESRCH, buf, 16);
	is_int(n, 15, "explain: truncated to the buffer");
	in.network_shared = false;
	is_int(flatpak_explain_refusal(&in, 0, buf, sizeof(buf)), -EINVAL,
	       "explain: nothing to explain");
}

int main(void)
{
	test_info_valid();
	test_info_invalid();
	test_info_size();
	test_bwrapinfo();
	test_explain();
	return tap_done();
}
