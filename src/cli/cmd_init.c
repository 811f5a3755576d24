// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_init.c - `netnsp init [--yes] [--via URL] [--name P] [--config F]`:
 * the profile creation wizard.
 *
 * Asks for the upstream's URL (or takes --via), probes it (init_probe.c),
 * proposes a [proxy] and a [profile] section from what it found (udp = on
 * only where UDP ASSOCIATE was granted), shows them as a unified diff
 * against the config file, and on confirmation writes the file atomically:
 * a temporary file beside it, fsync, rename(2), fsync of the directory.
 * Existing text is kept byte for byte, the new sections are appended; a
 * name that is already taken is never overwritten (with --yes: exit 2).
 * The result is parsed with the daemon's own parser before anything is
 * written, so a file init writes always loads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/init.h"
#include "config/config.h"
#include "netns/netns.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/parse.h"

#define CONF_TEXT_MAX (1u << 20)

struct init_opts {
	const char *config;
	const char *via;
	const char *name;
	bool yes;
};

struct init_ctx {
	struct init_opts o;
	char *old; /* owned: the file's text, "" if it does not exist */
	size_t old_len;
	bool exists;
	struct settings cur; /* the file parsed (empty if it does not exist) */
	char url[1100];
	char name[CONF_NAME_MAX + 1];
	char *add; /* owned: the sections to append */
};

/* One line from stdin after printing @q; "" on an empty line, -ECANCELED at EOF. */
static int prompt(const char *q, const char *def, char *buf, size_t len, bool secret)
{
	struct termios old, quiet;
	bool tty = secret && tcgetattr(STDIN_FILENO, &old) == 0;
	int r = 0;

	printf("%s%s%s%s: ", q, def && *def ? " [" : "", def && *def ? def : "",
	       def && *def ? "]" : "");
	fflush(stdout);
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (!fgets(buf, (int)len, stdin))
		r = -ECANCELED;
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
		printf("\n");
	}
	if (r < 0)
		return r;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0] && def)
		snprintf(buf, len, "%s", def);
	return 0;
}

/* y/N question; --yes answers yes; EOF answers no. */
static bool confirm(const struct init_ctx *c, const char *q)
{
	char a[16];

	if (c->o.yes)
		return true;
	if (prompt(q, "y/N", a, sizeof(a), false) < 0)
		return false;
	return a[0] == 'y' || a[0] == 'Y';
}

static int read_config(struct init_ctx *c)
{
	_cleanup_close_ int fd = open(c->o.config, O_RDONLY | O_CLOEXEC);
	char err[CONF_ERR_MAX];
	int r;

	r = fd < 0 && errno != ENOENT ? neg_errno() : 0;
	c->exists = fd >= 0;
	if (fd >= 0)
		r = fd_read_all(fd, CONF_TEXT_MAX, &c->old, &c->old_len);
	if (r < 0) {
		log_err("init: %s: %s", c->o.config, strerror(-r));
		return r;
	}
	if (fd < 0) {
		c->old = strdup("");
		if (!c->old)
			return -ENOMEM;
	}
	if (c->exists &&
	    settings_parse_buffer(c->old, c->old_len, c->o.config, &c->cur, err, sizeof(err)) < 0) {
		log_err("init: the config has errors; fix them first: %s", err);
		return -EINVAL;
	}
	return 0;
}

static bool name_taken(const struct init_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->cur.n_proxies; i++)
		if (!strcmp(c->cur.proxies[i].name, name))
			return true;
	return settings_find_profile(&c->cur, name) != NULL;
}

/* The section text for @url, @name: the proxy and the profile share the name. */
static char *sections(const char *url, const char *name, const struct init_probe *pr)
{
	char *s = NULL;

	if (asprintf(&s,
		     "\n# Written by `netnsp init`: %s%s%s.\n"
		     "[proxy %s]\nurl = %s\n%s\n[profile %s]\nvia = %s\nudp = %s\n",
		     pr && pr->udp ? "UDP ASSOCIATE granted" : "UDP not relayed",
		     pr && pr->names == 1 ? ", host names sent to the proxy" : "",
		     pr && pr->pipeline == 1 ? ", requests pipelined" : "", name, url,
		     pr && pr->pipeline == 1 ? "pipeline = yes\n" : "", name, name,
		     pr && pr->udp ? "on" : "off") < 0)
		return NULL;
	return s;
}

/* Parse @old + @add as the daemon would; @out (if given) gets the result. */
static int parse_with(const struct init_ctx *c, const char *add, struct settings *out, char *err,
		      size_t errlen)
{
	_cleanup_free_ char *all = NULL;
	struct settings tmp = {0};
	int r;

	if (asprintf(&all, "%.*s%s", (int)c->old_len, c->old, add) < 0)
		return -ENOMEM;
	r = settings_parse_buffer(all, strlen(all), c->o.config, out ? out : &tmp, err, errlen);
	settings_free(&tmp);
	return r;
}

static int ask_name(struct init_ctx *c)
{
	for (;;) {
		const char *want = c->o.name;
		char buf[64];

		if (!want) {
			if (prompt("Profile name", "proxied", buf, sizeof(buf), false) < 0)
				return -ECANCELED;
			want = buf;
		}
		if (!name_valid(want)) {
			log_err("init: '%s' is not a usable name ([A-Za-z0-9_.-], at most %d, not "
				"starting with - or .)",
				want, CONF_NAME_MAX);
		} else if (name_taken(c, want)) {
			log_err("init: %s: a profile or proxy '%s' exists already; not overwriting "
				"it",
				c->o.config, want);
		} else {
			/* name_valid(): at most CONF_NAME_MAX bytes, so it fits. */
			memcpy(c->name, want, strlen(want) + 1);
			return 0;
		}
		if (c->o.yes || c->o.name)
			return -EINVAL;
	}
}

/* Percent-encode user info (RFC 3986 §3.2.1: unreserved characters stay). */
static void pct(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", ch);
	}
	out[o] = '\0';
}

/* Ask for credentials and rebuild the URL with them. */
static int ask_credentials(struct init_ctx *c, const struct proxy_conf *p)
{
	char user[128], pass[128], eu[390], ep[390];
	bool v6 = strchr(p->host, ':') != NULL;

	if (c->o.yes || prompt("User name", NULL, user, sizeof(user), false) < 0 ||
	    prompt("Password", NULL, pass, sizeof(pass), true) < 0)
		return -EACCES;
	pct(user, eu, sizeof(eu));
	pct(pass, ep, sizeof(ep));
	snprintf(c->url, sizeof(c->url), "%s://%s:%s@%s%s%s:%u", proxy_kind_name(p->kind), eu, ep,
		 v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
	return 0;
}

static const char *tri(int v)
{
	return v < 0 ? "unknown" : v ? "yes" : "no";
}

static void print_probe(const struct proxy_conf *p, const struct init_probe *o)
{
	printf("  reachable: yes (%ld ms)\n", o->connect_ms);
	if (o->kind_why[0])
		printf("  protocol: %s\n", o->kind_why);
	if (p->kind == PROXY_SOCKS5 || p->kind == PROXY_SOCKS5H)
		printf("  SOCKS5 methods: no authentication: %s; user/password: %s\n",
		       tri(o->method_none), tri(o->method_userpass));
	if (p->kind == PROXY_HTTP)
		printf("  HTTP CONNECT: %s (%s)\n", o->connect ? "yes" : "no", o->connect_why);
	printf("  credentials: %s%s%s\n",
	       o->auth < 0 ? "not tried"
	       : o->auth   ? "accepted"
			   : "refused",
	       o->auth == 0 ? ": " : "", o->auth == 0 ? o->auth_why : "");
	if (p->kind == PROXY_SOCKS5 || p->kind == PROXY_SOCKS5H) {
		printf("  host names (socks5h): %s (%s)\n", tri(o->names), o->names_why);
		printf("  UDP ASSOCIATE: %s (%s)\n", o->udp ? "yes" : "no",
		       o->udp_why[0] ? o->udp_why : "not tried");
		printf("  requests pipelined: %s (%s)\n", tri(o->pipeline),
		       o->pipeline_why[0] ? o->pipeline_why : "not tried");
	}
	if (o->tor_port)
		printf("  Tor control port: %s (%s)\n", o->tor_control ? "yes" : "no", o->tor_why);
}

/* Ask (or take) the URL, parse it, probe it; loops on bad answers when interactive. */
static int ask_upstream(struct init_ctx *c, struct init_probe *pr)
{
	bool again = false; /* the URL now has the credentials just asked for */

	for (;;) {
		_cleanup_free_ char *probe_text = NULL;
		struct settings one = {0};
		char err[CONF_ERR_MAX];
		int r;

		if (c->o.via && !again)
			snprintf(c->url, sizeof(c->url), "%s", c->o.via);
		else if (!again &&
			 prompt("Proxy URL (socks5://[user:pass@]host:port, http://host:port)",
				NULL, c->url, sizeof(c->url), false) < 0)
			return -ECANCELED;
		if (asprintf(&probe_text, "[proxy p]\nurl = %s\n", c->url) < 0)
			return -ENOMEM;
		r = settings_parse_buffer(probe_text, strlen(probe_text), "URL", &one, err,
					  sizeof(err));
		if (r == 0 && one.n_proxies == 1) {
			printf("Probing %s:%u ...\n",
			       one.proxies[0].host ? one.proxies[0].host : "", one.proxies[0].port);
			r = init_probe_run(&one.proxies[0], pr);
			if (r < 0)
				log_err("init: cannot reach the proxy: %s", pr->reach_why);
			else
				print_probe(&one.proxies[0], pr);
			if (r == 0 && pr->auth == 0 && !one.proxies[0].user &&
			    ask_credentials(c, &one.proxies[0]) == 0) {
				settings_free(&one);
				again = true; /* probe again with them */
				continue;
			}
			if (r == 0 && pr->auth == 0)
				r = -EACCES, log_err("init: the proxy refused the credentials");
		} else {
			log_err("init: %s", err);
			r = -EINVAL;
		}
		settings_free(&one);
		if (r == 0 || (r != -EINVAL && !c->o.yes && confirm(c, "Use it anyway?")))
			return 0;
		if (c->o.via || again)
			return r;
	}
}

/* "--- F / +++ F / @@ -N,0 +N+1,K @@" and the added lines (the file only grows). */
static void print_diff(const struct init_ctx *c)
{
	size_t lines = 0, add = 0;

	for (size_t i = 0; i < c->old_len; i++)
		lines += c->old[i] == '\n';
	if (c->old_len && c->old[c->old_len - 1] != '\n')
		lines++;
	for (const char *s = c->add; *s; s++)
		add += *s == '\n';
	printf("--- %s\n+++ %s\n@@ -%zu,0 +%zu,%zu @@\n", c->exists ? c->o.config : "/dev/null",
	       c->o.config, lines, lines + 1, add);
	for (const char *s = c->add; *s;) {
		size_t n = strcspn(s, "\n");
		const char *at = memchr(s, '@', n), *colon = NULL;

		/* Not the password on the screen: "url = scheme://user:****@host". */
		if (at && !strncmp(s, "url = ", 6) && (colon = strstr(s, "://")))
			colon = memchr(colon + 3, ':', (size_t)(at - colon - 3));
		if (colon)
			printf("+%.*s****%.*s\n", (int)(colon + 1 - s), s, (int)(s + n - at), at);
		else
			printf("+%.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/* Temporary file beside the config, fsync, rename over it, fsync the directory. */
static int write_atomic(const char *path, const char *a, size_t alen, const char *b, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL, *dcopy = strdup(path);
	_cleanup_close_ int fd = -1, dfd = -1;
	int r = 0;

	if (!dcopy || asprintf(&tmp, "%s.init.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	if (mkdir(dirname(dcopy), 0755) < 0 && errno != EEXIST)
		return neg_errno();
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return neg_errno();
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 &&
	    (write(fd, a, alen) != (ssize_t)alen || write(fd, b, strlen(b)) != (ssize_t)strlen(b)))
		r = -EIO;
	if (r == 0 && (fsync(fd) < 0 || rename(tmp, path) < 0))
		r = neg_errno();
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* The rename is done; making it durable is best effort (see fsync(2) NOTES). */
	dfd = open(dcopy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

static int init_write(struct init_ctx *c)
{
	struct stat st;
	mode_t mode = 0600; /* a new file may hold a password */
	int r;

	if (c->exists && stat(c->o.config, &st) == 0)
		mode = st.st_mode & 07777;
	if (c->exists && !c->o.yes && !confirm(c, "The file exists: append these sections to it?"))
		return -ECANCELED;
	if (!confirm(c, c->exists ? "Write it?" : "Create it?"))
		return -ECANCELED;
	r = write_atomic(c->o.config, c->old, c->old_len, c->add, mode);
	if (r < 0)
		log_err("init: %s: %s", c->o.config, strerror(-r));
	else
		printf("Wrote %s. Start it with: netnsp daemon (or reload), then netnsp exec %s\n",
		       c->o.config, c->name);
	return r;
}

static int init_run(struct init_ctx *c)
{
	struct init_probe pr;
	char err[CONF_ERR_MAX];
	int r;

	r = read_config(c);
	if (r < 0)
		return EXIT_USAGE;
	r = ask_name(c);
	if (r < 0)
		return r == -ECANCELED ? EXIT_RUNTIME : EXIT_USAGE;
	r = ask_upstream(c, &pr);
	if (r < 0)
		return r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	c->add = sections(c->url, c->name, &pr);
	if (!c->add)
		return EXIT_RUNTIME;
	/* The very parser the daemon uses: init never writes what it would refuse. */
	if (parse_with(c, c->add, NULL, err, sizeof(err)) < 0) {
		log_err("init: the proposal does not load: %s", err);
		return EXIT_USAGE;
	}
	printf("Proposed change:\n");
	print_diff(c);
	r = init_write(c);
	if (r == -ECANCELED)
		printf("Nothing written.\n");
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int init_parse(int argc, char **argv, struct init_opts *o)
{
	static const struct option opts[] = {{"yes", no_argument, NULL, 'y'},
					     {"via", required_argument, NULL, 'u'},
					     {"name", required_argument, NULL, 'n'},
					     {"config", required_argument, NULL, 'c'},
					     {}};
	int ch;

	while ((ch = getopt_long(argc, argv, "+yu:n:c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'y':
			o->yes = true;
			break;
		case 'u':
			o->via = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || (o->yes && (!o->via || !o->name)))
		return -EINVAL;
	return 0;
}

int cmd_init(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct init_ctx c = {.o.config = ctx->config};
	int ret;

	if (init_parse(argc, argv, &c.o) < 0) {
		log_err("init: usage: netnsp init [--yes --via URL --name PROFILE] [--config "
			"FILE]");
		return EXIT_USAGE;
	}
	ret = init_run(&c);
	free(c.old);
	free(c.add);
	settings_free(&c.cur);
	return ret;
}
