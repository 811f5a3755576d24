/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * init.h - `netnsp init`: what the upstream probe found (init_probe.c).
 */
#ifndef NETNSP_CLI_INIT_H
#define NETNSP_CLI_INIT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

/* Tri-state fields: 1 yes, 0 no, -1 not probed (or could not tell). */
struct init_probe {
	bool reachable; /* a TCP connection to the proxy succeeded */
	long connect_ms;
	char reach_why[160];
	char kind_why[160];  /* set when it does not speak the URL's protocol */
	int method_none;     /* SOCKS5: accepts "no authentication" */
	int method_userpass; /* SOCKS5: accepts user name / password (RFC 1929) */
	int auth;	     /* the URL's credentials (or none) were accepted */
	char auth_why[160];
	int names; /* takes host names (socks5h ATYP 3, or CONNECT host:port) */
	char names_why[160];
	bool udp; /* SOCKS5 UDP ASSOCIATE granted */
	char udp_why[160];
	int pipeline; /* SOCKS5: the same answer with every request sent at once */
	char pipeline_why[160];
	bool connect; /* HTTP: answers CONNECT */
	char connect_why[160];
	uint16_t tor_port; /* the control port tried, 0 if none */
	bool tor_control;
	char tor_why[160];
};

/**
 * init_probe_run() - probe the proxy @p (blocking, a few seconds at most per step).
 * @p: the proxy, as parsed from its URL.
 * @o: findings.
 *
 * Return: 0, or a negative errno when the proxy cannot be reached (o->reach_why says why).
 */
int init_probe_run(const struct proxy_conf *p, struct init_probe *o);

#endif
