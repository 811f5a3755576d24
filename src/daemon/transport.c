// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * transport.c - supervision shared by the managed transports (see
 * transport.h): directories, spawning as the program's user, the log pipe,
 * pidfd, restart backoff and the status fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "daemon.h"
#include "exec/exec.h"
#include "transport.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#define TRANSPORT_BACKOFF_MAX 60

static const struct transport_ops *const transport_kinds[] = {&tor_ops, &i2p_ops};

int transport_path(const struct transport *t, const char *leaf, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", t->dir, leaf) >= (int)len ? -ENAMETOOLONG : 0;
}

FILE *transport_write_file(const struct transport *t, const char *leaf, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;
	int fd;

	if (transport_path(t, leaf, path, sizeof(path)) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	return f;
}

int transport_close_file(FILE *f)
{
	int r = fflush(f) != 0 || ferror(f) ? -EIO : 0;

	fclose(f);
	return r;
}

/*
 * STATE_DIR/PREFIX-NAME is root's, 0711: the config there cannot be swapped
 * by the program's user for a symlink that the daemon would then write
 * through.  data/ is that user's, 0700 (tor demands it of its DataDirectory
 * and of the directory of a unix socket).
 */
static int transport_mkdirs(const struct transport *t)
{
	char data[PATH_MAX];

	if (transport_path(t, "data", data, sizeof(data)) < 0)
		return -ENAMETOOLONG;
	if (mkdir(t->dir, 0711) < 0 && errno != EEXIST)
		return neg_errno();
	if (mkdir(data, 0700) < 0 && errno != EEXIST)
		return neg_errno();
	if (chmod(t->dir, 0711) < 0 || chmod(data, 0700) < 0 || lchown(data, t->uid, t->gid) < 0)
		return neg_errno();
	return 0;
}

static const char *transport_binary(const struct transport *t)
{
	for (const char *const *b = t->ops->bins; *b; b++)
		if (access(*b, X_OK) == 0)
			return *b;
	return NULL;
}

/*
 * In the child, for a program that does not switch users itself: become
 * @uid/@gid for good, keeping only CAP_NET_BIND_SERVICE (as an ambient
 * capability, so it survives exec) for a listening port below
 * ip_unprivileged_port_start, which no other user can then take while the
 * program is down.  Async-signal-safe calls only.
 */
static int transport_child_drop(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct c[2] = {{0}};
	const uint32_t bind = 1u << CAP_NET_BIND_SERVICE;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(1, &gid) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	c[0].permitted = c[0].effective = c[0].inheritable = bind;
	if (syscall(SYS_capset, &h, c) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/*
 * In the child: plain signal state, the pipe as stdout and stderr, the
 * program's user, then exec; only async-signal-safe calls (@a was formatted
 * before fork()).
 */
__attribute__((noreturn)) static void transport_exec(const struct transport *t, const char *bin,
						     const struct transport_argv *a, int out,
						     pid_t parent)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the daemon blocks signals for its signalfd */
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	/* Nothing of the daemon's reaches the program, close-on-exec or not. */
	if (priv_close_fds() < 0)
		_exit(127);
	if (!t->ops->self_drop && t->uid && transport_child_drop(t->uid, t->gid) < 0)
		_exit(126);
	/* Ends with the daemon, even after SIGKILL (set after the uid change, which clears it). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	execv(bin, (char *const *)a->v);
	_exit(127);
}

void transport_close_ev(struct daemon *d, struct ev *ev)
{
	loop_close(&d->loop, ev);
}

static void transport_watch(struct daemon *d, struct transport *t, int out, pid_t pid)
{
	long pfd;

	(void)fcntl(out, F_SETFL, O_NONBLOCK);
	t->out = (struct ev){.tag = EV_TOR, .fd = out, .owner = t};
	pfd = syscall(SYS_pidfd_open, pid, 0);
	t->pidfd = (struct ev){.tag = EV_TOR, .fd = (int)pfd, .owner = t};
	if (loop_add(&d->loop, &t->out, EPOLLIN) < 0 || pfd < 0 ||
	    loop_add(&d->loop, &t->pidfd, EPOLLIN) < 0)
		log_warn("%s '%s': cannot watch pid %d: %s", t->ops->label, t->name, (int)pid,
			 strerror(errno));
}

static int transport_spawn(struct daemon *d, struct transport *t)
{
	const char *bin = transport_binary(t);
	struct transport_argv a = {0};
	pid_t pid, self = getpid();
	int pipefd[2], r;

	/* What reload compares (transport_same()): the content as this start reads it. */
	t->extra_sig = conf_file_sig(t->extra);
	/* Prepared even without a binary: a chain to i2pd then has its (refusing) port. */
	r = transport_mkdirs(t);
	if (r == 0)
		r = t->ops->prepare(d, t);
	if (r < 0)
		return r;
	if (!bin)
		return -ENOENT;
	t->ops->argv(t, bin, &a);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return neg_errno();
	pid = fork();
	if (pid < 0) {
		r = neg_errno();
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0)
		transport_exec(t, bin, &a, pipefd[1], self);
	close(pipefd[1]);
	t->pid = pid;
	t->bootstrap = -1;
	t->phase[0] = '\0';
	t->line_len = 0;
	t->state = TRANSPORT_STARTING;
	transport_watch(d, t, pipefd[0], pid);
	log_info("%s '%s': started %s as pid %d (data in %s/data)", t->ops->label, t->name, bin,
		 (int)pid, t->dir);
	return 0;
}

void transport_set_ready(struct transport *t)
{
	if (t->state != TRANSPORT_STARTING)
		return;
	t->state = TRANSPORT_RUNNING;
	t->backoff = 0; /* a child that came up earned a fresh backoff */
	log_info("%s '%s': ready%s%s", t->ops->label, t->name, t->phase[0] ? ": " : "", t->phase);
}

static void transport_schedule(struct transport *t, const char *why)
{
	t->state = TRANSPORT_BACKOFF;
	t->backoff = t->backoff ? t->backoff * 2 : 1;
	if (t->backoff > TRANSPORT_BACKOFF_MAX)
		t->backoff = TRANSPORT_BACKOFF_MAX;
	t->restart_at = mono_now() + t->backoff;
	log_warn("%s '%s': %s; starting again in %u s", t->ops->label, t->name, why, t->backoff);
}

void transport_start(struct daemon *d, struct transport *t)
{
	char why[128];
	int r;

	/* The one it replaces (reload) still holds its data dir and sockets: after it. */
	if (transport_stopping_find(d, t->name)) {
		t->state = TRANSPORT_BACKOFF;
		t->restart_at = UINT64_MAX; /* transport_stopped() starts it */
		snprintf(t->phase, sizeof(t->phase), "waiting for the old one to stop");
		return;
	}
	r = transport_spawn(d, t);

	if (r == -ENOENT) {
		t->state = TRANSPORT_FAILED;
		log_err("%s '%s': no %s binary (install Debian's %s package)", t->ops->label,
			t->name, t->ops->label, t->ops->package);
	} else if (r < 0) {
		snprintf(why, sizeof(why), "cannot start: %s", strerror(-r));
		transport_schedule(t, why);
	}
}

/*
 * The program's user must be able to reach STATE_DIR/PREFIX-NAME/data: give
 * the state dir search permission (0711), never read permission, so nothing
 * in it can be listed, and every file there keeps its own mode (state.json
 * and isolate.key 0600).
 */
static int transport_state_dir_searchable(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return neg_errno();
	if ((st.st_mode & 0011) == 0011)
		return 0;
	return chmod(dir, (st.st_mode & 07777) | 0011) < 0 ? neg_errno() : 0;
}

/* The program's user, or 0 (root) with a warning when there is none. */
static void transport_user(struct daemon *d, const struct transport_ops *ops, uid_t *uid,
			   gid_t *gid)
{
	const struct passwd *pw = getpwnam(ops->user);

	*uid = 0;
	*gid = 0;
	if (pw && pw->pw_uid && transport_state_dir_searchable(d->ctx->state_dir) < 0) {
		log_warn("managed %s: cannot let '%s' reach %s: it runs as root", ops->label,
			 ops->user, d->ctx->state_dir);
		return;
	}
	if (!pw || !pw->pw_uid) {
		log_warn("managed %s: no user '%s' (Debian's %s package makes it): it runs as root",
			 ops->label, ops->user, ops->package);
		return;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* The index of @kind in transport_kinds, or -1 when netnsp does not manage it. */
static int transport_kind_index(enum proxy_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(transport_kinds); i++)
		if (transport_kinds[i]->kind == kind)
			return (int)i;
	return -1;
}

/* The proxy's file of more config lines (tor-config, i2p-config), "" if none. */
static const char *transport_extra(const struct proxy_conf *pc)
{
	return pc->tor_config ? pc->tor_config : pc->i2p_config ? pc->i2p_config : "";
}

/* A new transport for proxy @pc, appended to d->transports (not started). */
static struct transport *transport_new(struct daemon *d, const struct transport_ops *ops,
				       const struct proxy_conf *pc, uid_t uid, gid_t gid)
{
	struct transport **arr = reallocarray(d->transports, d->n_transports + 1, sizeof(*arr));
	struct transport *t;

	if (!arr)
		return NULL;
	d->transports = arr;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ops = ops;
	t->pidfd.fd = t->out.fd = -1;
	t->bootstrap = -1;
	t->uid = uid;
	t->gid = gid;
	snprintf(t->name, sizeof(t->name), "%s", pc->name);
	snprintf(t->dir, sizeof(t->dir), "%s/%s-%s", d->ctx->state_dir, ops->dir_prefix, pc->name);
	snprintf(t->extra, sizeof(t->extra), "%s", transport_extra(pc));
	d->transports[d->n_transports++] = t;
	return t;
}

int transport_start_all(struct daemon *d)
{
	const struct settings *s = &d->settings;
	bool user_done[ARRAY_SIZE(transport_kinds)] = {false};
	uid_t uids[ARRAY_SIZE(transport_kinds)];
	gid_t gids[ARRAY_SIZE(transport_kinds)];

	for (size_t i = 0; i < s->n_proxies; i++) {
		const struct proxy_conf *pc = &s->proxies[i];
		int k = transport_kind_index(pc->kind);
		struct transport *t;

		if (k < 0 || transport_find(d, pc->name))
			continue;
		if (!user_done[k]) { /* look the user up once per kind, warn once */
			transport_user(d, transport_kinds[k], &uids[k], &gids[k]);
			user_done[k] = true;
		}
		t = transport_new(d, transport_kinds[k], pc, uids[k], gids[k]);
		if (!t)
			return -ENOMEM;
		if (d->reloading)
			log_info("%s '%s': added by reload", t->ops->label, t->name);
		transport_start(d, t);
	}
	return 0;
}

/* Reap the child; 1 when it is gone. */
int transport_reap(struct daemon *d, struct transport *t, int options, int *status)
{
	pid_t r = waitpid(t->pid, status, options);

	if (r != t->pid)
		return 0;
	t->pid = 0;
	transport_close_ev(d, &t->pidfd);
	return 1;
}

/*
 * The generated config files of a transport that left the config: what tor
 * and i2pd leave behind in data/ (keys, caches) stays for a proxy of that
 * name added again; `rm -r` the directory to forget it.
 */
static void transport_forget(struct transport *t)
{
	static const char *const leaves[] = {"torrc", "i2pd.conf", "tunnels.conf"};
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++)
		if (transport_path(t, leaves[i], path, sizeof(path)) == 0)
			(void)unlink(path);
}

static const struct proxy_conf *transport_conf(const struct settings *s, const char *name)
{
	for (size_t i = 0; i < s->n_proxies; i++)
		if (strcmp(s->proxies[i].name, name) == 0)
			return &s->proxies[i];
	return NULL;
}

/*
 * Does the running @t still match proxy @pc: same kind, same tor-config or
 * i2p-config file, and that file's content as it was when @t started?
 */
static bool transport_same(const struct transport *t, const struct proxy_conf *pc)
{
	return pc && t->ops->kind == pc->kind && strcmp(t->extra, transport_extra(pc)) == 0 &&
	       conf_file_sig(t->extra) == t->extra_sig;
}

bool transport_reload_needed(struct daemon *d, const struct settings *next)
{
	for (size_t i = 0; i < d->n_transports; i++)
		if (!transport_same(d->transports[i], transport_conf(next, d->transports[i]->name)))
			return true;
	for (size_t i = 0; i < next->n_proxies; i++)
		if (transport_kind_index(next->proxies[i].kind) >= 0 &&
		    !transport_find(d, next->proxies[i].name))
			return true;
	return false;
}

int transport_reload(struct daemon *d)
{
	for (size_t i = 0; i < d->n_transports;) {
		struct transport *t = d->transports[i];
		const struct proxy_conf *pc = transport_conf(&d->settings, t->name);

		if (transport_same(t, pc)) {
			i++;
			continue;
		}
		log_info("%s '%s': %s by reload", t->ops->label, t->name,
			 pc && transport_kind_index(pc->kind) >= 0 ? "changed, restarted"
								   : "removed, stopped");
		if (!pc || pc->kind != t->ops->kind)
			transport_forget(t);
		memmove(&d->transports[i], &d->transports[i + 1],
			(d->n_transports - i - 1) * sizeof(t));
		d->n_transports--;
		transport_stop_begin(d, t); /* to d->transports_stopping, or deferred at once */
	}
	return transport_start_all(d);
}

struct transport *transport_find(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_transports; i++)
		if (strcmp(d->transports[i]->name, name) == 0)
			return d->transports[i];
	return NULL;
}

/*
 * A log line as the daemon's log may show it: without terminal colour
 * sequences (ECMA-48 CSI, which i2pd writes even to a pipe), and with every
 * other control byte as '?', so a child that misbehaves cannot rewrite the
 * terminal of whoever reads the log.
 */
static void transport_log_line(struct transport *t, char *line)
{
	char *w = line;

	for (const char *r = line; *r; r++) {
		if (*r == '\033' && r[1] == '[') {
			r += 2;
			while (*r && (*r < '@' || *r > '~'))
				r++;
			if (!*r)
				break;
			continue;
		}
		*w++ = (unsigned char)*r < 0x20 || *r == 0x7f ? '?' : *r;
	}
	*w = '\0';
	t->ops->log_line(t, line);
}

void transport_feed(struct transport *t, const char *buf, size_t n)
{
	while (n) {
		size_t room = sizeof(t->line) - 1 - t->line_len, k = n < room ? n : room;
		char *nl;

		memcpy(t->line + t->line_len, buf, k);
		buf += k;
		n -= k;
		t->line_len += k;
		t->line[t->line_len] = '\0';
		while ((nl = memchr(t->line, '\n', t->line_len))) {
			*nl = '\0';
			transport_log_line(t, t->line);
			t->line_len -= (size_t)(nl + 1 - t->line);
			memmove(t->line, nl + 1, t->line_len);
			t->line[t->line_len] = '\0';
		}
		if (t->line_len == sizeof(t->line) - 1) { /* an overlong line: log it in parts */
			transport_log_line(t, t->line);
			t->line_len = 0;
			t->line[0] = '\0';
		}
	}
}

void transport_drain(struct daemon *d, struct transport *t)
{
	char buf[TRANSPORT_LINE_MAX];

	while (t->out.fd >= 0) {
		ssize_t n = read(t->out.fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			transport_close_ev(d, &t->out);
			return;
		}
		if (n < 0)
			return;
		transport_feed(t, buf, (size_t)n);
	}
}

static void transport_exited(struct daemon *d, struct transport *t)
{
	char why[128];
	int status = 0;

	if (!transport_reap(d, t, WNOHANG, &status))
		return;
	transport_drain(d, t);
	transport_close_ev(d, &t->out);
	t->restarts++;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
	transport_schedule(t, why);
}

void transport_on_event(struct daemon *d, struct ev *ev)
{
	struct transport *t = ev->owner;

	if (ev == &t->out)
		transport_drain(d, t);
	else if (ev == &t->pidfd && t->stopping)
		transport_stopped(d, t);
	else if (ev == &t->pidfd)
		transport_exited(d, t);
}

void transport_tick(struct daemon *d, uint64_t now)
{
	transport_stop_tick(d, now);
	for (size_t i = 0; i < d->n_transports; i++) {
		struct transport *t = d->transports[i];

		if (t->state == TRANSPORT_STARTING && t->ops->tick)
			t->ops->tick(t);
		if (t->state == TRANSPORT_BACKOFF && now >= t->restart_at)
			transport_start(d, t);
	}
}

json_object *transport_status_json(struct daemon *d)
{
	static const char *const states[] = {"stopped", "starting", "running", "restarting",
					     "failed"};
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->n_transports; i++) {
		const struct transport *t = d->transports[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(t->name));
		json_object_object_add(o, "kind",
				       json_object_new_string(proxy_kind_name(t->ops->kind)));
		json_object_object_add(o, "state", json_object_new_string(states[t->state]));
		json_object_object_add(o, "pid", json_object_new_int(t->pid));
		json_object_object_add(o, "uid", json_object_new_int((int)t->uid));
		json_object_object_add(o, "phase", json_object_new_string(t->phase));
		json_object_object_add(o, "restarts", json_object_new_int((int)t->restarts));
		if (t->ops->status)
			t->ops->status(t, o);
		json_object_array_add(arr, o);
	}
	return arr;
}
