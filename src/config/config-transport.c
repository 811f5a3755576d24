// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config-transport.c - the files that managed transports take more lines
 * from: `tor-config = FILE` (torrc lines, %include'd by tor itself) and
 * `i2p-config = FILE` (i2pd.conf lines, checked here and copied into the
 * generated i2pd.conf).  Both are fingerprinted by content, so that reload
 * restarts a transport whose file changed.
 *
 * An i2p-config file may tune i2pd (limits, bandwidth, transports, reseed,
 * ...) but may not open another way in or out: no section or dotted key of
 * i2pd's listeners and outproxies (web console, HTTP and SOCKS proxies, SAM,
 * BOB, I2CP, I2PControl, UPnP), and none of the keys netnsp sets itself
 * (i2pd refuses a key given twice, and tunconf / tunnelsdir would bring
 * client tunnels, which are listeners too).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config-internal.h"
#include "util/fileio.h"
#include "util/siphash.h"

#define CONF_EXTRA_MAX (64u << 10)

/* Sections (and dotted-key prefixes) that open a listener, an outproxy or a port mapping. */
static const char *const i2p_closed[] = {"http", "httpproxy", "socksproxy", "sam",
					 "bob",	 "i2cp",      "i2pcontrol", "upnp"};
/* Top-level keys of the generated i2pd.conf, and the two i2pd takes from its command line. */
static const char *const i2p_ours[] = {"tunconf",  "tunnelsdir", "pidfile", "certsdir", "log",
				       "loglevel", "daemon",	 "service", "datadir",	"conf"};

static bool word_in(const char *w, size_t len, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(set[i]) == len && strncasecmp(w, set[i], len) == 0)
			return true;
	return false;
}

int conf_read_extra(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, CONF_EXTRA_MAX, text, len);
	close(fd);
	return r;
}

uint64_t conf_file_sig(const char *path)
{
	static const uint8_t key[SIPHASH_KEY_LEN] = {0}; /* a fingerprint, not a secret */
	char *text = NULL;
	size_t len = 0;
	uint64_t h;

	if (!path || !path[0])
		return 0;
	if (conf_read_extra(path, &text, &len) < 0)
		return 1; /* unreadable: differs from any content read before */
	h = siphash24(key, text, len);
	free(text);
	return h > 1 ? h : 2;
}

/* One line of an i2p-config file, trimmed, NUL-terminated; @top: no section seen yet. */
static int i2p_line_check(char *l, bool *top, char *why, size_t n)
{
	size_t len = strlen(l), k;

	while (len && isspace((unsigned char)l[len - 1]))
		l[--len] = '\0';
	l += strspn(l, " \t");
	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[') {
		char *end = strchr(l, ']');

		if (!end)
			return conf_why(why, n, "'%.40s': no closing ']'", l);
		l += 1 + strspn(l + 1, " \t");
		for (k = (size_t)(end - l); k && isspace((unsigned char)l[k - 1]); k--)
			;
		*top = false;
		if (word_in(l, k, i2p_closed, ARRAY_SIZE(i2p_closed)))
			return conf_why(why, n,
					"[%.*s] opens a listener or an outproxy (netnsp "
					"keeps it off)",
					(int)k, l);
		return 0;
	}
	if (!strchr(l, '='))
		return conf_why(why, n, "'%.40s' is not 'key = value'", l);
	if (!*top)
		return 0;
	k = strcspn(l, ".= \t");
	if (l[k] == '.' && word_in(l, k, i2p_closed, ARRAY_SIZE(i2p_closed)))
		return conf_why(why, n,
				"'%.*s' opens a listener or an outproxy (netnsp keeps "
				"[%.*s] off)",
				(int)strcspn(l, "= \t"), l, (int)k, l);
	if (l[k] != '.' && word_in(l, k, i2p_ours, ARRAY_SIZE(i2p_ours)))
		return conf_why(why, n, "'%.*s' is set by netnsp", (int)k, l);
	return 0;
}

int conf_i2p_extra_check(const char *text, size_t len, char *why, size_t n)
{
	char line[CONF_LINE_MAX + 1], reason[160];
	bool top = true;
	int no = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - text - pos) : len - pos;

		no++;
		if (ll > CONF_LINE_MAX || memchr(text + pos, '\0', ll))
			return conf_why(why, n, "line %d: too long, or a NUL byte", no);
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		if (i2p_line_check(line, &top, reason, sizeof(reason)) < 0)
			return conf_why(why, n, "line %d: %s", no, reason);
		pos += ll + 1;
	}
	return 0;
}

int conf_i2p_extra_load(const char *path, char **text, size_t *len, char *why, size_t n)
{
	char reason[200];
	int r = conf_read_extra(path, text, len);

	if (r < 0) {
		conf_why(why, n, "%s: %s", path, strerror(-r));
		return r;
	}
	if (conf_i2p_extra_check(*text, *len, reason, sizeof(reason)) < 0) {
		free(*text);
		*text = NULL;
		return conf_why(why, n, "%s: %s", path, reason);
	}
	return 0;
}

int conf_proxy_i2p_config(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct proxy_conf *p = obj;
	char *text = NULL;
	size_t len;
	int r;

	(void)ps;
	if (v[0] != '/')
		return conf_why(why, n, "want an absolute path to a file of i2pd.conf lines");
	r = conf_i2p_extra_load(v, &text, &len, why, n);
	free(text);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	free(p->i2p_config);
	p->i2p_config = strdup(v);
	return p->i2p_config ? 0 : -ENOMEM;
}

int conf_check_transport_keys(const struct settings *s, const struct proxy_conf *p, char *err,
			      size_t errlen)
{
	if (p->i2p_config && p->kind != PROXY_I2P)
		return conf_error(err, errlen, s->path, p->i2p_config_line, "i2p-config",
				  "only for url = i2p");
	return 0;
}
