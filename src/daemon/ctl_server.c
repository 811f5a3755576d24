// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_server.c - the daemon's half of the control protocol (ctl.h).
 *
 * Clients are non-blocking and live on the loop: a request is read up to
 * its newline (at most CTL_MAX_REQUEST bytes), answered, and the reply is
 * written as the socket drains.  Only uid 0 (SO_PEERCRED) is served.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "ctl.h"
#include "daemon.h"
#include "relay/worker.h"
#include "tor.h"
#include "transport.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"

struct ctl_client {
	struct ev ev; /* owned fd */
	struct ctl_client *next;
	char req[CTL_MAX_REQUEST];
	size_t req_len;
	char *reply; /* owned, once answered */
	size_t reply_len, reply_off;
};

int ctl_listen(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	mode_t old;
	int r;

	r = ctl_socket_path(d->ctx->run_dir, sa.sun_path, sizeof(sa.sun_path));
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	(void)unlink(sa.sun_path); /* a stale socket: the run-dir lock says we own it */
	old = umask(0177);	   /* created 0600, never briefly wider */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0)
		return neg_errno();
	d->ctl = (struct ev){.tag = EV_CTL_LISTEN, .fd = fd};
	r = loop_add(&d->loop, &d->ctl, EPOLLIN);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}

static void ctl_client_free(struct daemon *d, struct ctl_client *c)
{
	struct ctl_client **pp;

	for (pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_close(&d->loop, &c->ev);
	free(TAKE_PTR(c->reply));
	loop_defer_free(&d->loop, c, NULL); /* relay/loop.h rule 2 */
}

void ctl_close_all(struct daemon *d)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	while (d->clients)
		ctl_client_free(d, d->clients);
	if (d->ctl.fd >= 0) {
		loop_close(&d->loop, &d->ctl);
		if (ctl_socket_path(d->ctx->run_dir, path, sizeof(path)) == 0)
			(void)unlink(path);
	}
}

static const char *ctl_udp_mode(enum relay_udp_mode m)
{
	if (m == RELAY_UDP_ASSOCIATE)
		return "associate";
	return m == RELAY_UDP_DIRECT ? "direct" : "refused";
}

static const char *ctl_dns_mode(const struct subject_rt *s)
{
	static const char *const names[] = {
		[DNS_FAKE] = "fake", [DNS_PROXY] = "proxy", [DNS_OFF] = "off"};

	return s->dns_mode < ARRAY_SIZE(names) ? names[s->dns_mode] : "?";
}

/* The command name of process @pid (/proc/PID/comm, 15 bytes at most), or NULL. */
static json_object *ctl_pid_comm(int32_t pid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	char path[64];
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fd_read_all(fd, 64, &text, &len) < 0)
		return NULL;
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	return json_object_new_string(text);
}

/* The subject's addresses and namespace identity, from its Derivative entry. */
static void ctl_subject_entry(struct daemon *d, const struct subject_rt *s, json_object *o)
{
	const struct subject_state *st = daemon_entry(d, s);
	json_object *addrs = json_object_new_array();
	char a[INET6_ADDRSTRLEN];

	if (st && inet_ntop(AF_INET, &st->uplink4, a, sizeof(a)))
		json_object_array_add(addrs, json_object_new_string(a));
	if (st && inet_ntop(AF_INET6, &st->uplink6, a, sizeof(a)))
		json_object_array_add(addrs, json_object_new_string(a));
	json_object_object_add(o, "id", st ? json_object_new_int64(st->id) : NULL);
	json_object_object_add(o, "addresses", addrs);
	json_object_object_add(o, "ns_inode",
			       st && st->ns.ino ? json_object_new_uint64(st->ns.ino) : NULL);
	json_object_object_add(o, "ns_cookie",
			       st && st->ns.cookie ? json_object_new_uint64(st->ns.cookie) : NULL);
}

/*
 * One subject.  Keys are only ever added (scripts read this): the text
 * status (cmd_status.c) is rendered from the same object.
 */
static json_object *ctl_subject_json(struct daemon *d, const struct subject_rt *s)
{
	json_object *o = json_object_new_object(), *chain = json_object_new_array();
	struct relay_stats stats;
	const struct relay_stats *st = &stats;
	char last[sizeof(s->rs.last_error)];
	int64_t when;

	relay_subject_stats(&s->rs, &stats);

	for (size_t i = 0; i < s->rs.chain.n_hops; i++) {
		char hop[PROXY_NAME_MAX + 32];

		relay_chain_describe(&s->rs.chain, i, hop, sizeof(hop));
		json_object_array_add(chain, json_object_new_string(hop));
	}
	json_object_object_add(o, "profile", json_object_new_string(s->name));
	json_object_object_add(o, "kind",
			       json_object_new_string(s->kind == SUBJ_PID ? "pid" : "named"));
	json_object_object_add(o, "netns",
			       s->kind == SUBJ_NAMED ? json_object_new_string(s->netns) : NULL);
	json_object_object_add(o, "pid", s->kind == SUBJ_PID ? json_object_new_int(s->pid) : NULL);
	json_object_object_add(o, "chain", chain);
	json_object_object_add(o, "applied", json_object_new_boolean(s->applied));
	json_object_object_add(o, "dns", json_object_new_string(ctl_dns_mode(s)));
	json_object_object_add(o, "udp", json_object_new_string(ctl_udp_mode(s->rs.udp_mode)));
	json_object_object_add(
		o, "udp_why",
		s->rs.udp_mode != RELAY_UDP_REFUSED ? NULL : json_object_new_string(s->rs.udp_why));
	json_object_object_add(o, "error", s->applied ? NULL : json_object_new_string(s->error));
	json_object_object_add(o, "connections", json_object_new_uint64(st->live));
	json_object_object_add(o, "connections_total", json_object_new_uint64(st->total));
	json_object_object_add(o, "connections_failed", json_object_new_uint64(st->failed));
	json_object_object_add(o, "connections_refused", json_object_new_uint64(st->refused));
	json_object_object_add(o, "max_connections", json_object_new_uint64(s->rs.max_conns));
	json_object_object_add(o, "bytes_up", json_object_new_uint64(st->bytes_up));
	json_object_object_add(o, "bytes_down", json_object_new_uint64(st->bytes_down));
	json_object_object_add(o, "udp_flows", json_object_new_uint64(st->udp_live));
	json_object_object_add(o, "udp_flows_total", json_object_new_uint64(st->udp_total));
	json_object_object_add(o, "udp_flows_failed", json_object_new_uint64(st->udp_failed));
	json_object_object_add(o, "udp_flows_refused", json_object_new_uint64(st->udp_refused));
	json_object_object_add(o, "udp_dgrams_up", json_object_new_uint64(st->udp_dgrams_up));
	json_object_object_add(o, "udp_dgrams_down", json_object_new_uint64(st->udp_dgrams_down));
	json_object_object_add(o, "comm", s->kind == SUBJ_PID ? ctl_pid_comm(s->pid) : NULL);
	when = relay_subject_last_error((struct relay_subject *)&s->rs, last, sizeof(last));
	json_object_object_add(o, "last_error", when ? json_object_new_string(last) : NULL);
	json_object_object_add(o, "last_error_time", when ? json_object_new_int64(when) : NULL);
	ctl_subject_entry(d, s, o);
	return o;
}

static json_object *ctl_detached_json(const struct pid_detached *x)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "profile", json_object_new_string(x->profile));
	json_object_object_add(o, "pid", json_object_new_int(x->pid));
	json_object_object_add(o, "teardown", json_object_new_string(x->teardown));
	return o;
}

/* One object per event loop serving connections: [0] is the main loop (relay/worker.h). */
static json_object *ctl_workers_json(struct daemon *d)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < relay_workers_count(&d->relay); i++) {
		json_object *o = json_object_new_object();
		struct relay_worker_stats ws;

		relay_worker_stats(&d->relay, i, &ws);
		json_object_object_add(o, "worker", json_object_new_int((int)i));
		json_object_object_add(o, "connections", json_object_new_uint64(ws.live));
		json_object_object_add(o, "connections_total", json_object_new_uint64(ws.total));
		json_object_object_add(o, "events", json_object_new_uint64(ws.events));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void ctl_status(struct daemon *d, json_object *reply)
{
	json_object *arr = json_object_new_array(), *det = json_object_new_array();

	for (size_t i = 0; i < d->n_subj; i++)
		json_object_array_add(arr, ctl_subject_json(d, d->subj[i]));
	for (size_t i = 0; i < d->n_detached; i++)
		json_object_array_add(det, ctl_detached_json(&d->detached[i]));
	json_object_object_add(reply, "pid", json_object_new_int64(getpid()));
	json_object_object_add(reply, "subjects", arr);
	json_object_object_add(reply, "detached", det);
	json_object_object_add(reply, "transports", transport_status_json(d));
	json_object_object_add(reply, "workers", ctl_workers_json(d));
	json_object_object_add(reply, "egress", egress_status_json(d));
}

/* Which exit status the client should use for an error: 2 usage/config, 1 runtime. */
static void ctl_set_exit(json_object *reply, int status)
{
	json_object_object_add(reply, "exit", json_object_new_int(status));
}

/* Read "profiles": an array of existing Named profile names (may be absent: all). */
static int ctl_names(struct daemon *d, json_object *req, const char **names, size_t max, size_t *n,
		     char *err, size_t errlen)
{
	json_object *arr = NULL;

	*n = 0;
	if (!json_object_object_get_ex(req, "profiles", &arr) || !arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > max) {
		snprintf(err, errlen, "'profiles' must be an array of at most %zu names", max);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *nm =
			json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		if (!nm || !settings_find_profile(&d->settings, nm)) {
			snprintf(err, errlen, "no profile '%.64s'", nm ? nm : "?");
			return -ENOENT;
		}
		names[(*n)++] = nm;
	}
	return 0;
}

/*
 * Take the subjects of the named profiles (all if none) down; reply with the
 * namespaces removed and the Pid subjects handed back.
 */
static int ctl_down(struct daemon *d, json_object *req, json_object *reply, char *err,
		    size_t errlen)
{
	const char *names[256];
	json_object *done = json_object_new_array(), *det = json_object_new_array();
	size_t n;
	int r;

	json_object_object_add(reply, "removed", done);
	json_object_object_add(reply, "detached", det);
	r = ctl_names(d, req, names, ARRAY_SIZE(names), &n, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_subj;) {
		struct subject_rt *s = d->subj[i];
		bool want = n == 0;

		for (size_t j = 0; j < n && !want; j++)
			want = strcmp(names[j], s->name) == 0;
		if (want && s->kind == SUBJ_PID) {
			daemon_detach(d, s); /* unlists s: i now names the next one */
			json_object_array_add(det,
					      ctl_detached_json(&d->detached[d->n_detached - 1]));
			continue;
		}
		if (!want || s->kind != SUBJ_NAMED || (!s->applied && s->nsfd < 0)) {
			i++;
			continue;
		}
		r = subject_down(d, s);
		if (r < 0)
			log_warn("down: profile '%s': %s", s->name, strerror(-r));
		for (size_t k = 0; k < d->deriv.n_subjects; k++) {
			if (d->deriv.subjects[k].kind == SUBJ_NAMED &&
			    strcmp(d->deriv.subjects[k].name, s->name) == 0) {
				derivative_remove(&d->deriv, k);
				break;
			}
		}
		json_object_array_add(done, json_object_new_string(s->name));
		i++;
	}
	return daemon_save(d);
}

static int ctl_reload(struct daemon *d, json_object *req, json_object *reply, char *err,
		      size_t errlen)
{
	_cleanup_free_ char *plan = NULL;
	json_object *v;
	bool dry = json_object_object_get_ex(req, "dry_run", &v) && json_object_get_boolean(v);
	int r;

	r = daemon_reload(d, dry, &plan, err, errlen);
	if (r == -EINVAL)
		ctl_set_exit(reply, 2);
	if (r < 0)
		return r;
	json_object_object_add(reply, "plan", json_object_new_string(plan ? plan : ""));
	return 0;
}

static int ctl_attach(struct daemon *d, json_object *req, json_object *reply, char *err,
		      size_t errlen)
{
	json_object *vp, *vn;
	int r;

	if (!json_object_object_get_ex(req, "pid", &vp) ||
	    !json_object_is_type(vp, json_type_int) ||
	    !json_object_object_get_ex(req, "profile", &vn) ||
	    !json_object_is_type(vn, json_type_string)) {
		snprintf(err, errlen, "attach needs 'pid' (integer) and 'profile' (string)");
		ctl_set_exit(reply, 2);
		return -EINVAL;
	}
	r = daemon_attach(d, (int32_t)json_object_get_int(vp), json_object_get_string(vn),
			  DAEMON_ATTACH_ROOT, err, errlen);
	if (r == -ENOENT)
		ctl_set_exit(reply, 2);
	return r;
}

static int ctl_gc(struct daemon *d, json_object *req, json_object *reply, char *err, size_t errlen)
{
	const char *names[256];
	size_t n;
	int r;

	r = ctl_names(d, req, names, ARRAY_SIZE(names), &n, err, errlen);
	if (r < 0) {
		ctl_set_exit(reply, 2);
		return r;
	}
	r = daemon_gc(d, n ? names : NULL, n);
	if (r < 0)
		snprintf(err, errlen, "gc: %s", strerror(-r));
	return r;
}

static int ctl_newnym(struct daemon *d, json_object *req, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(req, "profile", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "newnym: missing 'profile'");
		return -EINVAL;
	}
	return tor_newnym(d, json_object_get_string(v), err, errlen);
}

static char *ctl_answer(struct daemon *d, const char *text, size_t len)
{
	json_object *req, *reply = json_object_new_object(), *v;
	const char *cmd = NULL;
	char err[256] = "";
	char *out;
	int r = -EINVAL;

	req = json_tokener_parse(text);
	if (!req || !json_object_is_type(req, json_type_object))
		snprintf(err, sizeof(err), "request is not a JSON object");
	else if (!json_object_object_get_ex(req, "version", &v) ||
		 json_object_get_int(v) != CTL_VERSION)
		snprintf(err, sizeof(err), "unsupported protocol version (want %d)", CTL_VERSION);
	else if (!json_object_object_get_ex(req, "command", &v) ||
		 !(cmd = json_object_get_string(v)))
		snprintf(err, sizeof(err), "missing 'command'");
	else if (strcmp(cmd, "status") == 0) {
		ctl_status(d, reply);
		r = 0;
	} else if (strcmp(cmd, "down") == 0)
		r = ctl_down(d, req, reply, err, sizeof(err));
	else if (strcmp(cmd, "reload") == 0)
		r = ctl_reload(d, req, reply, err, sizeof(err));
	else if (strcmp(cmd, "attach") == 0)
		r = ctl_attach(d, req, reply, err, sizeof(err));
	else if (strcmp(cmd, "gc") == 0)
		r = ctl_gc(d, req, reply, err, sizeof(err));
	else if (strcmp(cmd, "newnym") == 0)
		r = ctl_newnym(d, req, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "unknown command '%.64s'", cmd);
	(void)len;
	json_object_object_add(reply, "version", json_object_new_int(CTL_VERSION));
	json_object_object_add(reply, "ok", json_object_new_boolean(r == 0));
	if (r < 0 && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-r));
	if (r < 0)
		json_object_object_add(reply, "error", json_object_new_string(err));
	out = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(req);
	json_object_put(reply);
	return out;
}

static void ctl_accept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->ctl.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct ctl_client *c;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
			log_warn("control: refused a client with uid %d (root only)",
				 len == sizeof(cr) ? (int)cr.uid : -1);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->ev = (struct ev){.tag = EV_CTL_CLIENT, .fd = fd};
		if (loop_add(&d->loop, &c->ev, EPOLLIN | EPOLLOUT | EPOLLET) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->clients;
		d->clients = c;
	}
}

/* Returns 1 when a full request line is in c->req, 0 for more, <0 to drop the client. */
static int ctl_read(struct ctl_client *c)
{
	for (;;) {
		ssize_t n;

		if (c->req_len == sizeof(c->req))
			return -EMSGSIZE;
		n = recv(c->ev.fd, c->req + c->req_len, sizeof(c->req) - c->req_len, 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			return c->req_len ? 1 : -ECONNRESET;
		if (memchr(c->req + c->req_len, '\n', (size_t)n)) {
			c->req_len += (size_t)n;
			return 1;
		}
		c->req_len += (size_t)n;
	}
}

static void ctl_client_event(struct daemon *d, struct ctl_client *c)
{
	if (!c->reply) {
		int r = ctl_read(c);
		char *nl;

		if (r < 0) {
			ctl_client_free(d, c);
			return;
		}
		if (r == 0)
			return;
		nl = memchr(c->req, '\n', c->req_len);
		if (nl)
			*nl = '\0';
		else
			c->req[c->req_len] = '\0'; /* EOF before EMSGSIZE: there is room */
		c->reply = ctl_answer(d, c->req, c->req_len);
		if (!c->reply) {
			ctl_client_free(d, c);
			return;
		}
		c->reply_len = strlen(c->reply);
	}
	while (c->reply_off < c->reply_len) {
		ssize_t n = send(c->ev.fd, c->reply + c->reply_off, c->reply_len - c->reply_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN)
				ctl_client_free(d, c);
			return;
		}
		c->reply_off += (size_t)n;
	}
	ctl_client_free(d, c);
}

void ctl_on_event(struct daemon *d, struct ev *ev, uint32_t events)
{
	if (ev->tag == EV_CTL_LISTEN)
		ctl_accept(d);
	else
		ctl_client_event(
			d, (struct ctl_client *)((char *)ev - offsetof(struct ctl_client, ev)));
}
