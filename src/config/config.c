/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - Settings parser: libinih over a line-counting reader.
 *
 * libinih (Debian's build, runtime options) splits "key = value", strips
 * comments and blanks and calls handle_key().  Our reader serves it one line
 * at a time from the buffer, so we always know the current line number, and
 * it checks what inih would silently accept or mangle: NUL bytes and control
 * characters, overlong lines (inih would cut them in two), CRLF, a UTF-8 BOM,
 * "key: value" (inih's configparser concession) and section headers, which
 * it parses itself because this inih build does not report empty sections.
 *
 * inih's options are process-wide globals: they are set for the parse and
 * restored after, so parsing is not thread-safe (the daemon parses on its
 * main thread only).
 *
 * Each key's setter, and the tables a section's keys are looked up in, are in
 * config-keys.c; cross-checks after the parse in config-validate.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config-internal.h"
#include "util/fileio.h"
#include "util/parse.h"

static int fail(struct parser *ps, int line, const char *key, int r, const char *why)
{
	if (r == -ENOMEM)
		conf_error(ps->err, ps->errlen, ps->file, 0, NULL, "out of memory");
	else
		conf_error(ps->err, ps->errlen, ps->file, line, key, "%s", why);
	ps->rc = r;
	return r;
}

static void key_list(const struct key_def *keys, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; keys[i].name && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", keys[i].name);
}

static int set_key(struct parser *ps, const struct key_def *keys, void *obj, unsigned *set,
		   const char *name, const char *value)
{
	char why[CONF_ERR_MAX];
	size_t i;
	int r;

	for (i = 0; keys[i].name && strcmp(keys[i].name, name) != 0; i++)
		;
	if (!keys[i].name) {
		char list[CONF_ERR_MAX / 2];

		key_list(keys, list, sizeof(list));
		snprintf(why, sizeof(why), "unknown key (want %s)", list);
		return fail(ps, ps->line, name, -EINVAL, why);
	}
	if (ps->seen_line[i] && !keys[i].repeatable) {
		snprintf(why, sizeof(why), "duplicate key (first at line %d)", ps->seen_line[i]);
		return fail(ps, ps->line, name, -EINVAL, why);
	}
	r = keys[i].set(ps, obj, value, why, sizeof(why));
	if (r < 0)
		return fail(ps, ps->line, name, r, why);
	if (!ps->seen_line[i])
		ps->seen_line[i] = ps->line;
	if (keys[i].line_off >= 0)
		*(int *)((char *)obj + keys[i].line_off) = ps->line;
	if (set)
		*set |= keys[i].set_bit;
	return 0;
}

static int set_flatpak(struct parser *ps, const char *app, const char *profile)
{
	struct settings *s = ps->s;
	struct flatpak_conf *grown;
	char why[CONF_ERR_MAX];

	if (!conf_app_id_valid(app))
		return fail(ps, ps->line, app, -EINVAL,
			    "bad Flatpak app id (want e.g. org.mozilla.firefox)");
	for (size_t i = 0; i < s->n_flatpaks; i++) {
		if (strcmp(s->flatpaks[i].app_id, app) == 0) {
			snprintf(why, sizeof(why), "duplicate entry (first at line %d)",
				 s->flatpaks[i].line);
			return fail(ps, ps->line, app, -EINVAL, why);
		}
	}
	if (!name_valid(profile)) {
		snprintf(why, sizeof(why), "bad profile name '%s'", profile);
		return fail(ps, ps->line, app, -EINVAL, why);
	}
	grown = reallocarray(s->flatpaks, s->n_flatpaks + 1, sizeof(*grown));
	if (!grown)
		return fail(ps, 0, NULL, -ENOMEM, NULL);
	s->flatpaks = grown;
	grown[s->n_flatpaks] = (struct flatpak_conf){.line = ps->line};
	grown[s->n_flatpaks].app_id = strdup(app);
	grown[s->n_flatpaks].profile = strdup(profile);
	s->n_flatpaks++;
	if (!grown[s->n_flatpaks - 1].app_id || !grown[s->n_flatpaks - 1].profile)
		return fail(ps, 0, NULL, -ENOMEM, NULL);
	return 0;
}

/* inih callback: one "name = value" line, comments and blanks already stripped. */
static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;

	if (ps->rc < 0)
		return 0;
	if (ps->kind == SECT_NONE)
		return fail(ps, ps->line, name, -EINVAL, "key outside any section"), 0;
	if (!*value)
		return fail(ps, ps->line, name, -EINVAL, "empty value"), 0;
	switch (ps->kind) {
	case SECT_PROXY:
		return set_key(ps, conf_proxy_keys, &ps->s->proxies[ps->cur], NULL, name, value) ==
		       0;
	case SECT_PROFILE: {
		struct profile_conf *p = &ps->s->profiles[ps->cur];

		return set_key(ps, conf_profile_keys, p, &p->set, name, value) == 0;
	}
	case SECT_DAEMON:
		return set_key(ps, conf_daemon_keys, ps->s, NULL, name, value) == 0;
	default:
		return set_flatpak(ps, name, value) == 0;
	}
}

static int add_proxy(struct parser *ps, const char *name)
{
	struct settings *s = ps->s;
	struct proxy_conf *grown = reallocarray(s->proxies, s->n_proxies + 1, sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->proxies = grown;
	grown[s->n_proxies] = (struct proxy_conf){.via_idx = -1, .line = ps->line};
	grown[s->n_proxies].name = strdup(name);
	ps->cur = s->n_proxies++;
	return grown[ps->cur].name ? 0 : -ENOMEM;
}

static int add_profile(struct parser *ps, const char *name)
{
	struct settings *s = ps->s;
	struct profile_conf *grown = reallocarray(s->profiles, s->n_profiles + 1, sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->profiles = grown;
	grown[s->n_profiles] = (struct profile_conf){
		.via_idx = -1,
		.dns = DNS_FAKE,
		.ipv6 = true,
		.line = ps->line,
	};
	grown[s->n_profiles].name = strdup(name);
	grown[s->n_profiles].netns = strdup(name);
	ps->cur = s->n_profiles++;
	return grown[ps->cur].name && grown[ps->cur].netns ? 0 : -ENOMEM;
}

/* Line of an earlier section of this kind and name, or 0. */
static int find_section(const struct parser *ps, enum sect_kind kind, const char *name)
{
	const struct settings *s = ps->s;

	if (kind == SECT_FLATPAK)
		return ps->flatpak_line;
	if (kind == SECT_DAEMON)
		return ps->daemon_line;
	for (size_t i = 0; kind == SECT_PROXY && i < s->n_proxies; i++)
		if (strcmp(s->proxies[i].name, name) == 0)
			return s->proxies[i].line;
	for (size_t i = 0; kind == SECT_PROFILE && i < s->n_profiles; i++)
		if (strcmp(s->profiles[i].name, name) == 0)
			return s->profiles[i].line;
	return 0;
}

/* Which kind of section "[KW NAME]" opens, after checking its shape and name. */
static int section_kind(struct parser *ps, const char *label, const char *kw, const char *name,
			bool extra, enum sect_kind *kind)
{
	char why[CONF_ERR_MAX];

	if (!kw)
		return fail(ps, ps->line, label, -EINVAL, "empty section header");
	if (strcmp(kw, "flatpak") == 0 || strcmp(kw, "daemon") == 0) {
		*kind = kw[0] == 'f' ? SECT_FLATPAK : SECT_DAEMON;
		snprintf(why, sizeof(why), "want '[%s]'", kw);
		return name ? fail(ps, ps->line, label, -EINVAL, why) : 0;
	}
	if (strcmp(kw, "proxy") != 0 && strcmp(kw, "profile") != 0) {
		snprintf(why, sizeof(why),
			 "unknown section '%s' (want proxy, profile, flatpak or daemon)", kw);
		return fail(ps, ps->line, label, -EINVAL, why);
	}
	*kind = strcmp(kw, "proxy") == 0 ? SECT_PROXY : SECT_PROFILE;
	if (!name || extra) {
		snprintf(why, sizeof(why), "want '[%s NAME]'", kw);
		return fail(ps, ps->line, label, -EINVAL, why);
	}
	if (!name_valid(name)) {
		snprintf(why, sizeof(why),
			 "bad name '%s' (1..%d of A-Z a-z 0-9 _ . -, not starting with - or .)",
			 name, CONF_NAME_MAX);
		return fail(ps, ps->line, label, -EINVAL, why);
	}
	return 0;
}

static int open_section(struct parser *ps, const char *label, char *inner)
{
	char *save = NULL, why[CONF_ERR_MAX];
	char *kw = strtok_r(inner, " \t", &save);
	char *name = kw ? strtok_r(NULL, " \t", &save) : NULL;
	bool extra = name && strtok_r(NULL, " \t", &save);
	enum sect_kind kind = SECT_NONE;
	int first, r;

	r = section_kind(ps, label, kw, name, extra, &kind);
	if (r < 0)
		return r;
	first = find_section(ps, kind, name);
	if (first) {
		snprintf(why, sizeof(why), "duplicate section (first at line %d)", first);
		return fail(ps, ps->line, label, -EINVAL, why);
	}
	memset(ps->seen_line, 0, sizeof(ps->seen_line));
	ps->kind = kind;
	if (kind == SECT_FLATPAK || kind == SECT_DAEMON) {
		*(kind == SECT_FLATPAK ? &ps->flatpak_line : &ps->daemon_line) = ps->line;
		return 0;
	}
	r = kind == SECT_PROXY ? add_proxy(ps, name) : add_profile(ps, name);
	return r < 0 ? fail(ps, 0, NULL, r, NULL) : 0;
}

/* "[kind NAME]" optionally followed by a comment; @p points at the '['. */
static int parse_section(struct parser *ps, const char *p)
{
	const char *close = strchr(p, ']'), *rest;
	_cleanup_free_ char *inner = NULL;
	char label[CONF_NAME_MAX * 2 + 16];

	if (!close)
		return fail(ps, ps->line, NULL, -EINVAL, "missing ']' in section header");
	rest = close + 1 + strspn(close + 1, " \t");
	snprintf(label, sizeof(label), "%.*s", (int)(close - p + 1), p);
	if (*rest && *rest != '#' && *rest != ';')
		return fail(ps, ps->line, label, -EINVAL, "unexpected text after ']'");
	inner = strndup(p + 1, (size_t)(close - p - 1));
	if (!inner)
		return fail(ps, 0, NULL, -ENOMEM, NULL);
	return open_section(ps, label, inner);
}

/*
 * Checks one line before inih sees it: comments and blanks pass, section
 * headers are handled here, anything else must be "key = value".  inih's
 * own rule for inline comments applies: '#' preceded by whitespace.
 */
static int check_line(struct parser *ps, const char *l)
{
	const char *p = l + strspn(l, " \t");
	bool was_space = false;

	if (!*p || *p == '#' || *p == ';')
		return 0;
	if (*p == '[')
		return parse_section(ps, p);
	for (const char *c = p; *c; c++) {
		if (*c == '=') {
			if (c == p)
				return fail(ps, ps->line, NULL, -EINVAL, "missing key before '='");
			return 0;
		}
		if (*c == ':' || (*c == '#' && was_space))
			break;
		was_space = *c == ' ' || *c == '\t';
	}
	return fail(ps, ps->line, NULL, -EINVAL, "want 'key = value', '[section]' or a comment");
}

static int check_bytes(struct parser *ps, const char *l, size_t len, int num)
{
	char why[64];

	if (len > CONF_LINE_MAX || len + 1 > (size_t)num) {
		snprintf(why, sizeof(why), "line longer than %d bytes", CONF_LINE_MAX);
		return fail(ps, ps->line, NULL, -EINVAL, why);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c == '\0')
			return fail(ps, ps->line, NULL, -EINVAL, "NUL byte in line");
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(why, sizeof(why), "control character 0x%02x in line", c);
			return fail(ps, ps->line, NULL, -EINVAL, why);
		}
	}
	return 0;
}

/* ini_reader: serve the next line of the buffer, like fgets() without the '\n'. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	const char *l = ps->buf + ps->pos, *nl;
	size_t len;

	if (ps->rc < 0 || ps->pos >= ps->len)
		return NULL;
	nl = memchr(l, '\n', ps->len - ps->pos);
	len = nl ? (size_t)(nl - l) : ps->len - ps->pos;
	ps->pos += len + (nl ? 1 : 0);
	ps->line++;
	if (len > 0 && l[len - 1] == '\r')
		len--;
	if (ps->line == 1 && len >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
		l += 3; /* UTF-8 byte order mark */
		len -= 3;
	}
	if (check_bytes(ps, l, len, num) < 0)
		return NULL;
	memcpy(str, l, len);
	str[len] = '\0';
	return check_line(ps, str) < 0 ? NULL : str;
}

struct ini_opts {
	bool multiline, bom, inline_comments, use_stack, realloc_, stop, no_value;
	char *start_prefixes, *inline_prefixes;
	int max_line;
};

static void ini_opts_swap(struct ini_opts *o)
{
#define SWAP(a, b)                      \
	do {                            \
		__typeof__(a) _t = (a); \
		(a) = (b);              \
		(b) = _t;               \
	} while (0)
	SWAP(ini_allow_multiline, o->multiline);
	SWAP(ini_allow_bom, o->bom);
	SWAP(ini_allow_inline_comments, o->inline_comments);
	SWAP(ini_use_stack, o->use_stack);
	SWAP(ini_allow_realloc, o->realloc_);
	SWAP(ini_stop_on_first_error, o->stop);
	SWAP(ini_allow_no_value, o->no_value);
	SWAP(ini_start_comment_prefixes, o->start_prefixes);
	SWAP(ini_inline_comment_prefixes, o->inline_prefixes);
	SWAP(ini_max_line, o->max_line);
#undef SWAP
}

static int run_inih(struct parser *ps)
{
	/* The BOM is stripped by read_line(); lines are bounded there too. */
	struct ini_opts opts = {
		.multiline = false,
		.bom = false,
		.inline_comments = true,
		.use_stack = true,
		.realloc_ = false,
		.stop = true,
		.no_value = false,
		.start_prefixes = (char *)";#",
		.inline_prefixes = (char *)"#",
		.max_line = CONF_LINE_MAX + 3,
	};
	int r;

	ini_opts_swap(&opts);
	r = ini_parse_stream(read_line, ps, handle_key, ps);
	ini_opts_swap(&opts);
	if (ps->rc < 0)
		return ps->rc;
	if (r == -2)
		return fail(ps, 0, NULL, -ENOMEM, NULL);
	if (r != 0)
		return fail(ps, r, NULL, -EINVAL, "syntax error");
	return 0;
}

int settings_parse_buffer(const char *buf, size_t len, const char *name, struct settings *out,
			  char *err, size_t errlen)
{
	struct settings s = {0};
	struct parser ps = {
		.buf = buf,
		.len = len,
		.file = name,
		.s = &s,
		.err = err,
		.errlen = errlen,
	};
	int r;

	if (err && errlen)
		err[0] = '\0';
	s.path = strdup(name);
	if (!s.path)
		return fail(&ps, 0, NULL, -ENOMEM, NULL);
	r = run_inih(&ps);
	if (r == 0)
		r = conf_validate(&s, err, errlen);
	if (r < 0) {
		settings_free(&s);
		return r;
	}
	*out = s;
	return 0;
}

static int fail_errno(const char *path, char *err, size_t errlen)
{
	int r = neg_errno();

	conf_error(err, errlen, path, 0, NULL, "%s", strerror(-r));
	return r;
}

int settings_parse_file(const char *path, struct settings *out, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return fail_errno(path, err, errlen);
	if (!S_ISREG(st.st_mode))
		return conf_error(err, errlen, path, 0, NULL, "not a regular file"), -EINVAL;
	r = fd_read_all(fd, CONF_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return conf_error(err, errlen, path, 0, NULL, "larger than %u bytes",
				  CONF_FILE_MAX);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		conf_error(err, errlen, path, 0, NULL, "%s", strerror(-r));
		return r;
	}
	return settings_parse_buffer(buf, len, path, out, err, errlen);
}
