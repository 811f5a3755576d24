// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_resolver.c - `netnsp check`: name resolution as a program run by
 * `netnsp exec` sees it.  A child enters the subject and sets up its mount
 * namespace exactly as exec does (exec_setup_mounts()), then resolves a
 * name through libc and tries the host's resolver sockets; the parent
 * judges, counting packets as every probe does (check_probe.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/check-internal.h"
#include "cli/check.h"
#include "exec/exec.h"
#include "netns/netns.h"
#include "util/macro.h"

/* The host's resolver sockets `netnsp exec` masks (exec_mounts.c), as a program would try them. */
static const char *const resolver_sockets[] = {
	"/run/nscd/socket",
	"/run/systemd/resolve/io.systemd.Resolve",
	"/run/avahi-daemon/socket",
};

/* In the child, after setns + exec_setup_mounts(): one line per attempt on @out. */
static void resolver_child(FILE *out)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	char host[INET6_ADDRSTRLEN] = "";
	int r;

	r = getaddrinfo("netnsp-check.example", NULL, &hints, &res);
	if (r == 0 && res)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, host,
			  sizeof(host));
	fprintf(out, "gai %d %s\n", r, r == 0 ? host : gai_strerror(r));
	if (res)
		freeaddrinfo(res);
	for (size_t i = 0; i < ARRAY_SIZE(resolver_sockets); i++) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e = 0;

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", resolver_sockets[i]);
		if (fd < 0 || connect(fd, (void *)&un, sizeof(un)) < 0)
			e = errno;
		fprintf(out, "sock %zu %d\n", i, e);
		if (fd >= 0)
			close(fd);
	}
}

static bool in_fake4(const struct subject_state *st, const char *text)
{
	struct in_addr a;
	uint32_t mask = st->fake4_prefix ? ~0u << (32 - st->fake4_prefix) : 0;

	return inet_pton(AF_INET, text, &a) == 1 &&
	       (ntohl(a.s_addr) & mask) == (ntohl(st->fake4_base.s_addr) & mask);
}

static void judge_gai(struct probe *p, int rc, const char *text)
{
	enum dns_mode mode = p->t->p->dns;
	const char *name = "libc getaddrinfo";

	if (check_judge_sent(p, name))
		return;
	if (rc == 0 && mode == DNS_FAKE && !in_fake4(p->t->st, text))
		check_add(p->r, name, CHECK_LEAK, "answer %s is not from the fake pool", text);
	else if (rc == 0 && mode == DNS_OFF)
		check_add(p->r, name, CHECK_LEAK, "answered (%s) although dns = off", text);
	else if (rc == 0)
		check_add(p->r, name, CHECK_OK, "answered inside the namespace (%s)", text);
	else if (mode == DNS_OFF || (mode == DNS_PROXY && rc == EAI_NONAME))
		check_add(p->r, name, CHECK_OK, "%s (dns = %s)", text,
			  mode == DNS_OFF ? "off" : "proxy");
	else
		check_add(p->r, name, CHECK_BROKEN, "failed: %s", text);
}

static void judge_resolver_line(struct probe *p, const char *line)
{
	int rc, e;
	size_t i;
	char text[128];

	if (sscanf(line, "gai %d %127[^\n]", &rc, text) == 2) {
		judge_gai(p, rc, text);
	} else if (sscanf(line, "sock %zu %d", &i, &e) == 2 && i < ARRAY_SIZE(resolver_sockets)) {
		snprintf(text, sizeof(text), "socket %s", resolver_sockets[i]);
		if (e == 0)
			check_add(p->r, text, CHECK_LEAK,
				  "reachable from inside: the host's daemon would resolve names");
		else
			check_add(p->r, text, CHECK_OK, "not reachable (%s)", strerror(e));
	}
}

static int counters_in(void *arg)
{
	check_counters_read(arg);
	return 0;
}

struct resolver_lines {
	struct probe *p;
	char text[1024];
};

/* In the subject: the counters after are the subject's, as before the child ran. */
static int judge_lines_in(void *arg)
{
	struct resolver_lines *l = arg;
	char *save = NULL;

	for (char *line = strtok_r(l->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		judge_resolver_line(l->p, line);
	return 0;
}

int check_probe_resolver(const struct check_target *t, struct check_report *r)
{
	struct probe p = {.t = t, .r = r};
	struct resolver_lines l = {.p = &p};
	char err[256] = "";
	ssize_t n;
	size_t used = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return neg_errno();
	(void)netns_run_in(t->nsfd, counters_in, &p.before);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return neg_errno();
	}
	if (pid == 0) {
		FILE *out = fdopen(fds[1], "w");

		close(fds[0]);
		if (!out)
			_exit(1);
		if (setns(t->nsfd, CLONE_NEWNET) < 0)
			fprintf(out, "err setns: %s\n", strerror(errno));
		else if (exec_setup_mounts(t->st, err, sizeof(err)) < 0)
			fprintf(out, "err %s\n", err);
		else
			resolver_child(out);
		fclose(out);
		_exit(0);
	}
	close(fds[1]);
	while (used + 1 < sizeof(l.text) &&
	       (n = read(fds[0], l.text + used, sizeof(l.text) - 1 - used)) > 0)
		used += (size_t)n;
	l.text[used] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!strncmp(l.text, "err ", 4)) {
		l.text[strcspn(l.text, "\n")] = '\0';
		check_add(r, "libc getaddrinfo", CHECK_BROKEN, "cannot enter as exec does: %s",
			  l.text + 4);
		return 0;
	}
	return netns_run_in(t->nsfd, judge_lines_in, &l);
}
