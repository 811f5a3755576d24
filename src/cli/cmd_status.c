// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_status.c - `netnsp status [--json]`: ask the daemon, print each subject.
 *
 * The text is laid out as wg(8) shows interfaces and peers: a head line per
 * subject ("profile: NAME" or "pid: PID (COMM)"), then "  label: value"
 * rows from one table, a blank line between subjects.  Colour only on a
 * terminal, never with NO_COLOR set.  Pid subjects that `down` handed back
 * follow, one "detached pid N from PROFILE: ..." line each.  --json prints
 * the daemon's reply.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "daemon/ctl.h"
#include "util/log.h"
#include "util/macro.h"

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static unsigned long long jnum(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (unsigned long long)json_object_get_uint64(v)
						     : 0;
}

/* ---- rendering: one line per row, one function per subject block ---- */

/* SGR codes, used only when stdout is a terminal and NO_COLOR is unset. */
#define C_BOLD "1"
#define C_RED "1;31"
#define C_GREEN "1;32"
#define C_YELLOW "1;33"

/* One value being written: its text, and whether it may carry colour. */
struct cell {
	char buf[1024];
	size_t len;
	bool color;
};

static void _printf_(2, 3) cell_add(struct cell *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->len >= sizeof(c->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->buf + c->len, sizeof(c->buf) - c->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->len = c->len + (size_t)n < sizeof(c->buf) ? c->len + (size_t)n
							     : sizeof(c->buf) - 1;
}

/* @text in colour @sgr (if colours are on). */
static void cell_paint(struct cell *c, const char *sgr, const char *text)
{
	if (c->color)
		cell_add(c, "\033[%sm%s\033[0m", sgr, text);
	else
		cell_add(c, "%s", text);
}

/* 1536 -> "1.50 KiB", as wg(8) shows transfer. */
static void cell_bytes(struct cell *c, unsigned long long v)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double x = (double)v;
	size_t u = 0;

	if (v < 1024) {
		cell_add(c, "%llu B", v);
		return;
	}
	for (x /= 1024; x >= 1024 && u + 1 < ARRAY_SIZE(units); u++)
		x /= 1024;
	cell_add(c, "%.2f %s", x, units[u]);
}

/*
 * A row writes the value of its label for subject @s into @c, or returns
 * false to leave the row out (nothing to say).
 */
typedef bool (*row_fn)(json_object *s, struct cell *c);

struct row {
	const char *label;
	row_fn value;
};

static bool row_profile(json_object *s, struct cell *c)
{
	cell_add(c, "%s", jstr(s, "profile"));
	return true;
}

/* "work (net:[4026532281])" for Named, "net:[4026532281]" for Pid: ls -l /proc/PID/ns/net. */
static bool row_namespace(json_object *s, struct cell *c)
{
	unsigned long long ino = jnum(s, "ns_inode");
	bool named = strcmp(jstr(s, "kind"), "pid") != 0;

	if (named && ino)
		cell_add(c, "%s (net:[%llu])", jstr(s, "netns"), ino);
	else if (named)
		cell_add(c, "%s", jstr(s, "netns"));
	else if (ino)
		cell_add(c, "net:[%llu]", ino);
	return c->len > 0;
}

static bool row_state(json_object *s, struct cell *c)
{
	json_object *v;
	bool ok = json_object_object_get_ex(s, "applied", &v) && json_object_get_boolean(v);

	cell_paint(c, ok ? C_GREEN : C_RED, ok ? "applied" : "NOT applied");
	return true;
}

static bool row_chain(json_object *s, struct cell *c)
{
	json_object *chain = NULL;
	size_t n;

	json_object_object_get_ex(s, "chain", &chain);
	n = chain ? json_object_array_length(chain) : 0;
	for (size_t i = 0; i < n; i++)
		cell_add(c, "%s%s", i ? " -> " : "",
			 json_object_get_string(json_object_array_get_idx(chain, i)));
	if (!n)
		cell_add(c, "(none)");
	return true;
}

static bool row_addresses(json_object *s, struct cell *c)
{
	json_object *a = NULL;

	json_object_object_get_ex(s, "addresses", &a);
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		cell_add(c, "%s%s", i ? ", " : "",
			 json_object_get_string(json_object_array_get_idx(a, i)));
	return c->len > 0;
}

static bool row_dns(json_object *s, struct cell *c)
{
	cell_add(c, "%s", jstr(s, "dns"));
	return c->len > 0;
}

static bool row_udp(json_object *s, struct cell *c)
{
	const char *why = jstr(s, "udp_why");

	cell_add(c, "%s%s%s", jstr(s, "udp"), *why ? ": " : "", why);
	return c->len > 0;
}

static bool row_connections(json_object *s, struct cell *c)
{
	cell_add(c, "%llu live, %llu total, %llu failed", jnum(s, "connections"),
		 jnum(s, "connections_total"), jnum(s, "connections_failed"));
	return true;
}

/* The subject's cap, and what was refused at it (reset at accept, datagrams dropped). */
static bool row_cap(json_object *s, struct cell *c)
{
	cell_add(c, "%llu, refused: %llu connections, %llu UDP datagrams",
		 jnum(s, "max_connections"), jnum(s, "connections_refused"),
		 jnum(s, "udp_flows_refused"));
	return true;
}

static bool row_udp_flows(json_object *s, struct cell *c)
{
	if (strcmp(jstr(s, "udp"), "refused") == 0 && !jnum(s, "udp_flows_total"))
		return false;
	cell_add(c, "%llu live, %llu total, %llu failed", jnum(s, "udp_flows"),
		 jnum(s, "udp_flows_total"), jnum(s, "udp_flows_failed"));
	return true;
}

static bool row_transfer(json_object *s, struct cell *c)
{
	cell_bytes(c, jnum(s, "bytes_up"));
	cell_add(c, " up, ");
	cell_bytes(c, jnum(s, "bytes_down"));
	cell_add(c, " down");
	return true;
}

/* Why the subject is not applied, else the relay's last failure and how long ago. */
static bool row_last_error(json_object *s, struct cell *c)
{
	json_object *v;
	long long age;

	if (json_object_object_get_ex(s, "error", &v) && v) {
		cell_paint(c, C_RED, json_object_get_string(v));
		return true;
	}
	if (!json_object_object_get_ex(s, "last_error", &v) || !v)
		return false;
	age = (long long)time(NULL) - (long long)jnum(s, "last_error_time");
	if (age < 0)
		age = 0;
	if (age < 120)
		cell_add(c, "%llds ago: ", age);
	else if (age < 7200)
		cell_add(c, "%lldm ago: ", age / 60);
	else
		cell_add(c, "%lldh ago: ", age / 3600);
	cell_paint(c, C_RED, json_object_get_string(v));
	return true;
}

/* The rows every subject shows, in order; a new field is one function and one line here. */
static const struct row subject_rows[] = {
	{"namespace", row_namespace},
	{"state", row_state},
	{"chain", row_chain},
	{"addresses", row_addresses},
	{"dns", row_dns},
	{"udp", row_udp},
	{"connections", row_connections},
	{"max-connections", row_cap},
	{"udp flows", row_udp_flows},
	{"transfer", row_transfer},
	{"last error", row_last_error},
};

static void status_print_rows(json_object *s, const struct row *rows, size_t n, bool color)
{
	for (size_t i = 0; i < n; i++) {
		struct cell c = {.color = color};

		if (!rows[i].value(s, &c))
			continue;
		if (color)
			printf("  \033[" C_BOLD "m%s\033[0m: %s\n", rows[i].label, c.buf);
		else
			printf("  %s: %s\n", rows[i].label, c.buf);
	}
}

/* "TITLE: NAME" as wg(8) starts a block, the title in colour @sgr. */
static void status_print_head(const char *title, const char *sgr, const char *name, bool color)
{
	if (color)
		printf("\033[%sm%s\033[0m: \033[%sm%s\033[0m\n", sgr, title, sgr, name);
	else
		printf("%s: %s\n", title, name);
}

/* A Named subject: headed by its profile. */
static void status_print_named(json_object *s, bool color)
{
	status_print_head("profile", C_GREEN, jstr(s, "profile"), color);
	status_print_rows(s, subject_rows, ARRAY_SIZE(subject_rows), color);
}

/* A Pid subject: headed by its process, then the profile it is under. */
static void status_print_pid(json_object *s, bool color)
{
	static const struct row head[] = {{"profile", row_profile}};
	char name[128];
	const char *comm = jstr(s, "comm");

	snprintf(name, sizeof(name), "%llu%s%s%s", jnum(s, "pid"), *comm ? " (" : "", comm,
		 *comm ? ")" : "");
	status_print_head("pid", C_YELLOW, name, color);
	status_print_rows(s, head, ARRAY_SIZE(head), color);
	status_print_rows(s, subject_rows, ARRAY_SIZE(subject_rows), color);
}

void cli_print_detached(struct json_object *x)
{
	printf("detached pid %s from %s: %s\n", jstr(x, "pid"), jstr(x, "profile"),
	       jstr(x, "teardown"));
}

/* Managed transports (url = tor, url = i2p): one block each, after the subjects. */
static bool row_transport_state(json_object *t, struct cell *c)
{
	cell_add(c, "%s (%s), pid %llu, %llu restarts", jstr(t, "state"), jstr(t, "kind"),
		 jnum(t, "pid"), jnum(t, "restarts"));
	return true;
}

static bool row_bootstrap(json_object *t, struct cell *c)
{
	json_object *b = NULL;

	if (strcmp(jstr(t, "kind"), "tor") != 0)
		return false;
	if (json_object_object_get_ex(t, "bootstrap", &b) && b)
		cell_add(c, "%d%%", json_object_get_int(b));
	else
		cell_add(c, "not yet");
	return true;
}

/* i2pd: its SOCKS port on the daemon's loopback, and whether it listens yet. */
static bool row_socks(json_object *t, struct cell *c)
{
	json_object *r = NULL;

	if (strcmp(jstr(t, "kind"), "i2p") != 0)
		return false;
	json_object_object_get_ex(t, "ready", &r);
	cell_add(c, "%s (%s)", jstr(t, "socks"),
		 r && json_object_get_boolean(r) ? "listening" : "not yet");
	return true;
}

static const struct row transport_rows[] = {
	{"state", row_transport_state},
	{"bootstrap", row_bootstrap},
	{"socks", row_socks},
};

/* One block per entry of the array @key: "TITLE: NAME" (NAME its @name_key), then @rows. */
static void status_print_blocks(json_object *o, const char *key, const char *title,
				const char *name_key, const struct row *rows, size_t n, bool color)
{
	json_object *arr = NULL;

	json_object_object_get_ex(o, key, &arr);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *t = json_object_array_get_idx(arr, i);

		putchar('\n');
		status_print_head(title, C_YELLOW, jstr(t, name_key), color);
		status_print_rows(t, rows, n, color);
	}
}

/* Egress namespaces (a proxy's netns = NAME): one block each, after the transports. */
static bool row_egress_netns(json_object *x, struct cell *c)
{
	json_object *p = NULL;

	if (json_object_object_get_ex(x, "present", &p) && json_object_get_boolean(p)) {
		cell_add(c, "%s (present, inode %s)", jstr(x, "netns"), jstr(x, "inode"));
		return true;
	}
	cell_add(c, "%s (", jstr(x, "netns"));
	cell_paint(c, C_RED, "gone");
	cell_add(c, ": connections through it are refused)");
	return true;
}

static bool row_egress_queue(json_object *x, struct cell *c)
{
	cell_add(c, "%llu waiting for a socket, %llu waited so far", jnum(x, "waiting"),
		 jnum(x, "queued"));
	return true;
}

static const struct row egress_rows[] = {
	{"netns", row_egress_netns},
	{"queue", row_egress_queue},
};

/*
 * The event loops serving connections ([daemon] workers): one block when there
 * are several, each loop's live and total connections, the main loop first.
 */
static void status_print_workers(json_object *o, bool color)
{
	struct cell now = {.color = color}, all = {.color = color};
	json_object *arr = NULL;
	size_t n;
	char title[48];

	json_object_object_get_ex(o, "workers", &arr);
	n = arr ? json_object_array_length(arr) : 0;
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *w = json_object_array_get_idx(arr, i);

		cell_add(&now, "%s%llu", i ? " / " : "", jnum(w, "connections"));
		cell_add(&all, "%s%llu", i ? " / " : "", jnum(w, "connections_total"));
	}
	snprintf(title, sizeof(title), "%zu event loops", n);
	putchar('\n');
	status_print_head("relay", C_YELLOW, title, color);
	printf(color ? "  \033[" C_BOLD "mconnections\033[0m: %s (main loop first)\n"
		     : "  connections: %s (main loop first)\n",
	       now.buf);
	printf(color ? "  \033[" C_BOLD "mconnections in all\033[0m: %s\n"
		     : "  connections in all: %s\n",
	       all.buf);
}

static void status_print_text(json_object *o, bool color)
{
	json_object *subs = NULL, *det = NULL;
	size_t n;

	json_object_object_get_ex(o, "subjects", &subs);
	n = subs ? json_object_array_length(subs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(subs, i);

		if (i)
			putchar('\n');
		if (strcmp(jstr(s, "kind"), "pid") == 0)
			status_print_pid(s, color);
		else
			status_print_named(s, color);
	}
	if (!n)
		printf("no subjects\n");
	json_object_object_get_ex(o, "detached", &det);
	for (size_t i = 0; det && i < json_object_array_length(det); i++) {
		if (i == 0)
			putchar('\n');
		cli_print_detached(json_object_array_get_idx(det, i));
	}
	status_print_blocks(o, "transports", "transport", "name", transport_rows,
			    ARRAY_SIZE(transport_rows), color);
	status_print_blocks(o, "egress", "egress", "proxy", egress_rows, ARRAY_SIZE(egress_rows),
			    color);
	status_print_workers(o, color);
}

/* Colour as most tools decide it: a terminal, and no NO_COLOR (no-color.org). */
static bool status_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

int cli_ctl(const struct cli_ctx *ctx, const char *cmd, const char *req, json_object **out,
	    bool quiet_absent)
{
	_cleanup_free_ char *reply = NULL;
	json_object *o, *ok;
	char path[128];
	int r;

	r = ctl_call(ctx->run_dir, req, &reply);
	if (r < 0) {
		bool absent = r == -ENOENT || r == -ECONNREFUSED;

		(void)ctl_socket_path(ctx->run_dir, path, sizeof(path));
		if (!absent || !quiet_absent)
			log_err("%s: %s (%s: %s)", cmd,
				absent ? "daemon not running" : "control socket failed", path,
				strerror(-r));
		return r;
	}
	o = json_tokener_parse(reply);
	if (!o || !json_object_object_get_ex(o, "ok", &ok)) {
		log_err("%s: malformed reply from the daemon", cmd);
		json_object_put(o);
		return -EPROTO;
	}
	if (!json_object_get_boolean(ok)) {
		json_object *ex;
		/* A config error's text already names FILE:LINE: print it as is. */
		bool usage =
			json_object_object_get_ex(o, "exit", &ex) && json_object_get_int(ex) == 2;

		if (usage)
			log_err("%s", jstr(o, "error"));
		else
			log_err("%s: %s", cmd, jstr(o, "error"));
		json_object_put(o);
		return usage ? -EINVAL : -EIO;
	}
	*out = o;
	return 0;
}

int cmd_status(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {}};
	json_object *o = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc) {
		log_err("status: unexpected argument '%s' (usage: netnsp status [--json])",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_ctl(ctx, "status", "{\"version\":1,\"command\":\"status\"}", &o, false) < 0)
		return EXIT_RUNTIME;
	if (json) {
		json_object_object_del(o, "ok");
		printf("%s\n", json_object_to_json_string_ext(
				       o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		status_print_text(o, status_color());
	}
	json_object_put(o);
	return EXIT_OK;
}
