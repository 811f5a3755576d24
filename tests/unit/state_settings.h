/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_settings.h - the hand-built Settings of test_state.c and test_state_json.c:
 * three proxies (a chain corp -> exit, and tor) and profiles through them, so that
 * these tests depend on the config parser only through settings_chain() and
 * proxy_kind_name().
 */
#ifndef NETNSP_TEST_STATE_SETTINGS_H
#define NETNSP_TEST_STATE_SETTINGS_H

#include "state_fixture.h"

/* corp: socks5 alice:secret; exit: http via corp; tor: socks5. */
static struct proxy_conf proxies[] _unused_ = {
	{.name = "corp",
	 .kind = PROXY_SOCKS5,
	 .host = "10.1.2.3",
	 .port = 1080,
	 .user = "alice",
	 .pass = "secret",
	 .via_idx = -1},
	{.name = "exit",
	 .kind = PROXY_HTTP,
	 .host = "exit.example.net",
	 .port = 3128,
	 .via = "corp",
	 .via_idx = 0},
	{.name = "tor",
	 .kind = PROXY_SOCKS5,
	 .host = "127.0.0.1",
	 .port = 9050,
	 .via_idx = -1,
	 .isolate = ISOLATE_PROFILE},
};
static struct route_conf work_routes[] _unused_ = {
	{.pattern = "*.onion", .proxy = "tor", .proxy_idx = 2}};
static char *work_users[] _unused_ = {"alice", "@wheel"};

static inline struct profile_conf profile_make(char *name, char *netns, char *via, int via_idx)
{
	return (struct profile_conf){
		.name = name, .via = via, .via_idx = via_idx, .netns = netns, .ipv6 = true};
}

static inline struct settings settings_make(struct profile_conf *p, size_t n)
{
	return settings_of(proxies, ARRAY_SIZE(proxies), p, n);
}

#endif
