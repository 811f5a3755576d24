// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_run.c - `netnsp run [--via URL]... [--profile P] [--dns MODE] -- CMD ARGS...`
 *
 * A proxychains that cannot leak: CMD gets a network namespace of its own
 * whose only way out is the chain, made with an unprivileged user
 * namespace (no daemon, no setuid, no config needed) and gone when CMD
 * exits.  This file parses the options, builds the Settings (from the
 * --via URLs, or the config's profile), forks daemon/run.c and then serves
 * as its socket broker in the caller's namespaces (relay/egress.h) until it
 * exits, with CMD's status.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "relay/egress.h"
#include "util/log.h"
#include "util/macro.h"

#define RUN_PROFILE "run"

struct run_args {
	const char *via[CONF_CHAIN_MAX];
	size_t n_via;
	const char *profile;
	const char *dns; /* NULL: the profile's (fake for --via) */
	char **cmd;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: netnsp run [--via URL]... [--profile P] [--dns fake|proxy|off] -- CMD "
		   "ARGS...\n"
		   "Run CMD in a namespace of its own whose only way out is the proxy chain:\n"
		   "the --via URLs in order (socks5://, socks5h://, socks4a://, http://), or\n"
		   "the config's profile P.  Needs no root where the kernel allows\n"
		   "unprivileged user namespaces.  Exits with CMD's status.\n");
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {{"via", required_argument, NULL, 'v'},
					     {"profile", required_argument, NULL, 'p'},
					     {"dns", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *why = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (a->n_via == CONF_CHAIN_MAX) {
				log_err("run: at most %d --via", CONF_CHAIN_MAX);
				return -EINVAL;
			}
			a->via[a->n_via++] = optarg;
			break;
		case 'p':
			a->profile = optarg;
			break;
		case 'd':
			a->dns = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return -EINVAL;
		}
	}
	if (optind >= argc)
		why = "no command given";
	else if (!!a->n_via == !!a->profile)
		why = "give --via URL (one or more) or --profile P";
	else if (a->dns && strcmp(a->dns, "fake") && strcmp(a->dns, "proxy") &&
		 strcmp(a->dns, "off"))
		why = "--dns: fake, proxy or off";
	if (why) {
		log_err("run: %s", why);
		return -EINVAL;
	}
	a->cmd = argv + optind;
	return 0;
}

/* The --via chain as a config text, parsed and validated like any config. */
static int run_settings_via(const struct run_args *a, struct settings *s)
{
	char text[CONF_CHAIN_MAX * 1100], err[CONF_ERR_MAX];
	size_t off = 0;

	for (size_t i = 0; i < a->n_via; i++) {
		/* A URL is one value: nothing in it may start a comment, a key or a line. */
		if (strpbrk(a->via[i], "#;\n\r") || strlen(a->via[i]) > 1000) {
			log_err("run: --via '%s': percent-encode '#' and ';'", a->via[i]);
			return -EINVAL;
		}
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"[proxy via%zu]\nurl = %s\n", i + 1, a->via[i]);
		if (i > 0)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "via = via%zu\n",
						i);
	}
	snprintf(text + off, sizeof(text) - off,
		 "[profile " RUN_PROFILE "]\nvia = via%zu\ndns = %s\n", a->n_via,
		 a->dns ? a->dns : "fake");
	if (settings_parse_buffer(text, strlen(text), "--via", s, err, sizeof(err)) < 0) {
		log_err("run: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* --profile P: the config's profile, with --dns applied over it. */
static int run_settings_profile(const struct cli_ctx *ctx, const struct run_args *a,
				struct settings *s)
{
	static const char *const modes[] = {"fake", "proxy", "off"};
	char err[CONF_ERR_MAX] = "";
	struct profile_conf *p = NULL;

	if (daemon_settings_load(ctx->config, s, err, sizeof(err)) < 0) {
		log_err("run: %s", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_profiles; i++)
		if (strcmp(s->profiles[i].name, a->profile) == 0)
			p = &s->profiles[i];
	if (!p) {
		log_err("run: %s: no profile '%s'", ctx->config, a->profile);
		return -EINVAL;
	}
	for (size_t m = 0; a->dns && m < ARRAY_SIZE(modes); m++)
		if (strcmp(a->dns, modes[m]) == 0)
			p->dns = (enum dns_mode)m;
	return 0;
}

/* The broker: answer socket requests, pass SIGTERM/SIGHUP on, until the child exits; closes
 * @egress. */
static int run_parent(pid_t child, int egress)
{
	struct pollfd pfd[2] = {{.fd = egress, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	struct signalfd_siginfo si;
	sigset_t mask;
	int st = 0;

	/* The terminal's SIGINT / SIGQUIT reach CMD directly; CMD decides, like under a shell. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == 0)
		pfd[1].fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN && read(pfd[1].fd, &si, sizeof(si)) == sizeof(si))
			kill(child, (int)si.ssi_signo);
		if (pfd[0].revents && egress_serve_one(egress) <= 0)
			break;
	}
	/* A relay still asking gets EOF instead of waiting for us forever. */
	close(egress);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUNTIME;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int cmd_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct run_args a = {0};
	struct settings s = {0};
	int sv[2], r;
	pid_t pid;

	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = a.profile ? run_settings_profile(ctx, &a, &s) : run_settings_via(&a, &s);
	if (r < 0) {
		settings_free(&s);
		return EXIT_USAGE;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("run: %s", strerror(errno));
		settings_free(&s);
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(run_child(ctx, &s, a.profile ? a.profile : RUN_PROFILE, a.cmd, sv[1]));
	}
	settings_free(&s);
	close(sv[1]);
	/* Never dumpable: CMD runs with our uid and must not ptrace the broker. */
	if (pid < 0 || prctl(PR_SET_DUMPABLE, 0) < 0) {
		log_err("run: %s", strerror(errno));
		if (pid > 0)
			kill(pid, SIGKILL);
		close(sv[0]);
		return EXIT_RUNTIME;
	}
	return run_parent(pid, sv[0]);
}
