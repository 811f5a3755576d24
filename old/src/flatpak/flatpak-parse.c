/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flatpak-parse.c - the two files of a Flatpak instance directory, and the
 * checks on the process they name.
 *
 * "info" is a GKeyFile written by flatpak-run.c (flatpak_run_add_app_info_args);
 * we parse the subset of GKeyFile syntax that file uses, ourselves, so the
 * daemon does not need glib.  "bwrapinfo.json" is what bubblewrap writes to
 * --info-fd: {"child-pid": N} plus one "<type>-namespace": INODE member per
 * namespace it read from /proc/N/ns (bwrap.c namespace_ids_write()).
 * Both files are written by the user who owns the sandbox, so both parsers
 * treat their input as hostile: bounded, NUL-free, strict.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "flatpak/flatpak.h"
#include "util/macro.h"

enum info_group { GROUP_OTHER, GROUP_APPLICATION, GROUP_INSTANCE, GROUP_CONTEXT };

/* Which of the keys we rely on were seen: a second one is an error. */
#define SEEN_NAME (1u << 0)
#define SEEN_INSTANCE_ID (1u << 1)
#define SEEN_SHARED (1u << 2)

struct info_parser {
	enum info_group group;
	bool in_group; /* GKeyFile: a key before the first group is an error */
	unsigned int seen;
	struct flatpak_instance *out;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One token of the app id: [A-Za-z0-9_-]+, not starting with a digit. */
static bool app_element_valid(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* flatpak_is_valid_name(): 3+ elements, at most 255 characters. */
static bool app_id_valid(const char *s, size_t len)
{
	size_t start = 0, elements = 0;

	if (len == 0 || len >= FLATPAK_APP_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!app_element_valid(s + start, i - start))
			return false;
		elements++;
		start = i + 1;
	}
	return elements >= 3;
}

static bool instance_id_valid(const char *s, size_t len)
{
	if (len == 0 || len >= FLATPAK_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * [Context] shared=network;ipc;  GKeyFile list: ';'-separated, trailing ';'
 * optional.  Elements are compared after trimming blanks, so " network" also
 * counts: reading "shared" where there is none only costs a refusal.
 * "!network" (an override that unshares) does not count.
 */
static bool shared_has_network(const char *v, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		size_t a = start, b = i;

		if (i < len && v[i] != ';')
			continue;
		start = i + 1;
		while (a < b && is_blank(v[a]))
			a++;
		while (b > a && is_blank(v[b - 1]))
			b--;
		if (b - a == 7 && memcmp(v + a, "network", 7) == 0)
			return true;
	}
	return false;
}

static int info_take_once(struct info_parser *p, unsigned int bit)
{
	if (p->seen & bit)
		return -EINVAL;
	p->seen |= bit;
	return 0;
}

static int info_key(struct info_parser *p, const char *k, size_t klen, const char *v, size_t vlen)
{
#define KEY_IS(s) (klen == sizeof(s) - 1 && memcmp(k, s, klen) == 0)
	if (p->group == GROUP_APPLICATION && KEY_IS("name")) {
		if (info_take_once(p, SEEN_NAME) < 0 || !app_id_valid(v, vlen))
			return -EINVAL;
		memcpy(p->out->app_id, v, vlen);
		p->out->app_id[vlen] = '\0';
	} else if (p->group == GROUP_INSTANCE && KEY_IS("instance-id")) {
		if (info_take_once(p, SEEN_INSTANCE_ID) < 0 || !instance_id_valid(v, vlen))
			return -EINVAL;
		memcpy(p->out->instance_id, v, vlen);
		p->out->instance_id[vlen] = '\0';
	} else if (p->group == GROUP_CONTEXT && KEY_IS("shared")) {
		if (info_take_once(p, SEEN_SHARED) < 0)
			return -EINVAL;
		p->out->network_shared = shared_has_network(v, vlen);
	}
	return 0;
#undef KEY_IS
}

/* "[Name]" with nothing but blanks after ']'; no '[' or ']' inside. */
static int info_group_line(struct info_parser *p, const char *s, size_t len)
{
	size_t close = 1;

	while (close < len && s[close] != ']') {
		if (s[close] == '[' || iscntrl((unsigned char)s[close]))
			return -EINVAL;
		close++;
	}
	if (close >= len || close == 1)
		return -EINVAL;
	for (size_t i = close + 1; i < len; i++)
		if (!is_blank(s[i]))
			return -EINVAL;
	p->in_group = true;
	p->group = GROUP_OTHER;
	if (close - 1 == 11 && memcmp(s + 1, "Application", 11) == 0)
		p->group = GROUP_APPLICATION;
	else if (close - 1 == 8 && memcmp(s + 1, "Instance", 8) == 0)
		p->group = GROUP_INSTANCE;
	else if (close - 1 == 7 && memcmp(s + 1, "Context", 7) == 0)
		p->group = GROUP_CONTEXT;
	return 0;
}

static int info_line(struct info_parser *p, const char *s, size_t len)
{
	const char *eq;
	size_t klen, voff;

	while (len > 0 && is_blank(*s)) { /* GKeyFile skips leading whitespace */
		s++;
		len--;
	}
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (len == 0 || s[0] == '#')
		return 0;
	if (s[0] == '[')
		return info_group_line(p, s, len);
	eq = memchr(s, '=', len);
	if (!eq || !p->in_group)
		return -EINVAL;
	klen = (size_t)(eq - s);
	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	if (klen == 0)
		return -EINVAL;
	if (memchr(s, '[', klen)) /* localized "name[de]=": not the key we want */
		return 0;
	voff = (size_t)(eq - s) + 1;
	while (voff < len && is_blank(s[voff]))
		voff++;
	return info_key(p, s, klen, s + voff, len - voff);
}

int flatpak_parse_info(const char *buf, size_t len, struct flatpak_instance *out)
{
	struct flatpak_instance tmp = *out; /* @out is only written on success */
	struct info_parser p = {.out = &tmp};
	size_t off = 0;

	if (len > FLATPAK_FILE_MAX)
		return -EFBIG;
	if (memchr(buf, '\0', len))
		return -EINVAL;
	tmp.network_shared = false;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - buf) : len;
		int r = info_line(&p, buf + off, end - off);

		if (r < 0)
			return r;
		off = end + 1;
	}
	if (!(p.seen & SEEN_NAME) || !(p.seen & SEEN_INSTANCE_ID))
		return -EINVAL;
	*out = tmp;
	return 0;
}

/* Integer member in [lo, hi]; json-c clamps larger numbers to INT64_MAX. */
static int json_get_ranged(struct json_object *v, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int64(v);
	if (x < lo || x > hi)
		return -ERANGE;
	*out = x;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int bwrapinfo_members(struct json_object *obj, struct flatpak_instance *out)
{
	struct json_object *pid;
	int64_t x;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return -EINVAL;
	if (!json_object_object_get_ex(obj, "child-pid", &pid))
		return -EINVAL;
	r = json_get_ranged(pid, 1, INT32_MAX, &x);
	if (r < 0)
		return r;
	out->child_pid = (int32_t)x;
	out->net_ns = 0;
	json_object_object_foreach(obj, key, val)
	{
		if (!has_suffix(key, "-namespace"))
			continue;
		r = json_get_ranged(val, 1, UINT32_MAX, &x);
		if (r < 0)
			return r;
		if (strcmp(key, "net-namespace") == 0)
			out->net_ns = (uint64_t)x;
	}
	return 0;
}

/*
 * json-c's JSON_TOKENER_STRICT still takes 'single-quoted' strings (json-c
 * 0.16); RFC 8259 §7 has only double quotes, so refuse a quote outside one.
 */
static bool json_has_single_quote(const char *buf, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (in_string && buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			in_string = !in_string;
		else if (!in_string && buf[i] == '\'')
			return true;
	}
	return false;
}

int flatpak_parse_bwrapinfo(const char *buf, size_t len, struct flatpak_instance *out)
{
	struct flatpak_instance tmp = *out;
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;
	int r;

	if (len > FLATPAK_FILE_MAX)
		return -EFBIG;
	if (len == 0 || memchr(buf, '\0', len) || json_has_single_quote(buf, len))
		return -EINVAL;
	tok = json_tokener_new_ex(4);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	r = obj && json_tokener_get_error(tok) == json_tokener_success ? 0 : -EINVAL;
	json_tokener_free(tok);
	for (size_t i = end; r == 0 && i < len; i++) /* only whitespace may follow */
		if (!strchr(" \t\r\n", buf[i]))
			r = -EINVAL;
	if (r == 0)
		r = bwrapinfo_members(obj, &tmp);
	json_object_put(obj);
	if (r == 0)
		*out = tmp;
	return r;
}

int flatpak_pid_open_netns(const struct flatpak_instance *in, int *nsfd)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	struct stat pst, nst, self;
	char path[32];

	if (in->child_pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%" PRId32, in->child_pid);
	/* An fd on /proc/PID stays bound to that task: if it exits and the pid
	 * is reused, lookups through the fd fail instead of finding the new one. */
	pfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? -ESRCH : neg_errno();
	if (fstat(pfd, &pst) < 0)
		return neg_errno();
	if (pst.st_uid != in->uid)
		return -EPERM;
	fd = openat(pfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : errno == EACCES ? -EPERM : neg_errno();
	if (fstat(fd, &nst) < 0 || stat("/proc/self/ns/net", &self) < 0)
		return neg_errno();
	if (nst.st_dev == self.st_dev && nst.st_ino == self.st_ino)
		return -EEXIST;
	if (in->net_ns && (uint64_t)nst.st_ino != in->net_ns)
		return -ESTALE;
	*nsfd = TAKE_FD(fd);
	return 0;
}

int flatpak_pid_check(const struct flatpak_instance *in)
{
	_cleanup_close_ int fd = -1;

	return flatpak_pid_open_netns(in, &fd);
}

int flatpak_explain_refusal(const struct flatpak_instance *in, int err, char *buf, size_t size)
{
	int n;

	if (!buf || size == 0 || err > 0)
		return -EINVAL;
	if (err == 0 && !in->network_shared)
		return -EINVAL;
	if (err == 0 || err == -EEXIST)
		n = snprintf(buf, size,
			     "flatpak app '%s' (instance %s, uid %" PRIu32
			     ") shares the host network, which netnsp never touches; run "
			     "'flatpak override --unshare=network %s' (as root, or add --user for "
			     "your own overrides) and restart it",
			     in->app_id, in->instance_id, in->uid, in->app_id);
	else if (err == -EPERM)
		n = snprintf(buf, size,
			     "flatpak app '%s' (instance %s): pid %" PRId32
			     " is not a process of uid %" PRIu32,
			     in->app_id, in->instance_id, in->child_pid, in->uid);
	else if (err == -ESTALE)
		n = snprintf(buf, size,
			     "flatpak app '%s' (instance %s): pid %" PRId32
			     " is not in the network namespace bwrap reported (pid reused?)",
			     in->app_id, in->instance_id, in->child_pid);
	else
		n = snprintf(buf, size, "flatpak app '%s' (instance %s): pid %" PRId32 ": %s",
			     in->app_id, in->instance_id, in->child_pid,
			     err == -ESRCH ? "process has exited" : strerror(-err));
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= size ? (int)size - 1 : n;
}
