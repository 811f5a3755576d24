/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config_values.c - Settings values: URLs (percent-decoding, IPv6 literals,
 * default ports), chains and loops, profile keys, every feature the parser
 * accepts, isolation defaults, routes and fake-IP pools.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config_fixture.h"
#include "tap.h"

static void url_case(const char *url, enum proxy_kind kind, const char *host, int port,
		     const char *user, const char *pass)
{
	char text[600];
	struct settings s;
	const struct proxy_conf *p;

	snprintf(text, sizeof(text), "[proxy a]\nurl = %s\n%s", url,
		 kind == PROXY_DIRECT ? "netns = vpn\n" : "");
	if (!ok(parse(text, &s) == 0, "url %s parses", url)) {
		printf("#   %s\n", err);
		return;
	}
	p = &s.proxies[0];
	is_int(p->kind, kind, "%s: kind", url);
	ok(host ? p->host && strcmp(p->host, host) == 0 : !p->host, "%s: host %s", url,
	   host ? host : "(none)");
	is_int(p->port, port, "%s: port", url);
	ok(user ? p->user && strcmp(p->user, user) == 0 : !p->user, "%s: user", url);
	ok(pass ? p->pass && strcmp(p->pass, pass) == 0 : !p->pass, "%s: pass", url);
	settings_free(&s);
}

static void test_urls(void)
{
	char text[700], longuser[300];
	struct settings s;

	url_case("socks5://h", PROXY_SOCKS5, "h", 1080, NULL, NULL);
	url_case("SOCKS5H://proxy.example.org", PROXY_SOCKS5H, "proxy.example.org", 1080, NULL,
		 NULL);
	url_case("socks4a://bob@198.51.100.7", PROXY_SOCKS4A, "198.51.100.7", 1080, "bob", NULL);
	url_case("http://u:p@203.0.113.9", PROXY_HTTP, "203.0.113.9", 8080, "u", "p");
	url_case("http://u:@h:3128/", PROXY_HTTP, "h", 3128, "u", "");
	url_case("socks5://user@h:1", PROXY_SOCKS5, "h", 1, "user", NULL);
	url_case("socks5://us%40er:p%3Ass%25%2f@h:65535", PROXY_SOCKS5, "h", 65535, "us@er",
		 "p:ss%/");
	url_case("socks5://a%20b:%C3%A9@h", PROXY_SOCKS5, "h", 1080, "a b", "\xc3\xa9");
	url_case("socks5h://[2001:db8::1]:9050", PROXY_SOCKS5H, "2001:db8::1", 9050, NULL, NULL);
	url_case("socks5://[::1]", PROXY_SOCKS5, "::1", 1080, NULL, NULL);
	url_case("http://u:p@[2001:db8::7]", PROXY_HTTP, "2001:db8::7", 8080, "u", "p");
	url_case("direct", PROXY_DIRECT, NULL, 0, NULL, NULL);
	url_case("socks5://h:1080   # trailing comment", PROXY_SOCKS5, "h", 1080, NULL, NULL);
	url_case("socks5://u:p;x=y!@h", PROXY_SOCKS5, "h", 1080, "u", "p;x=y!");
	url_case("socks5://Proxy_1.Ex-Ample.ORG", PROXY_SOCKS5, "Proxy_1.Ex-Ample.ORG", 1080, NULL,
		 NULL); /* either case, '_', inner '-' */

	/* RFC 1929: 255 bytes of user name after decoding is the most. */
	memset(longuser, 'u', 255);
	longuser[255] = '\0';
	snprintf(text, sizeof(text), "[proxy a]\nurl = socks5://%s@h\n", longuser);
	is_int(parse(text, &s), 0, "255-byte user accepted");
	settings_free(&s);
	snprintf(text, sizeof(text), "[proxy a]\nurl = socks5://%su@h\n", longuser);
	is_int(parse(text, &s), -EINVAL, "256-byte user refused");
	is_str(err, "t.conf:2: url: user longer than 255 bytes", "user length error");
	snprintf(text, sizeof(text), "[proxy a]\nurl = socks5://%%41%s@h\n", longuser + 1);
	is_int(parse(text, &s), 0, "255 bytes after decoding accepted");
	settings_free(&s);

	/* RFC 1035: 253 characters of name is the most. */
	memset(longuser, 'a', 253);
	longuser[253] = '\0';
	for (int i = 63; i < 253; i += 64)
		longuser[i] = '.'; /* labels of 63, 63, 63 and 61 characters */
	is_int(strlen(longuser), 253, "test name is 253 characters");
	snprintf(text, sizeof(text), "[proxy a]\nurl = socks5://%s\n", longuser);
	is_int(parse(text, &s), 0, "253-character host accepted");
	settings_free(&s);
	snprintf(text, sizeof(text), "[proxy a]\nurl = socks5://%sa\n", longuser);
	is_int(parse(text, &s), -EINVAL, "254-character host refused");
}

static void test_chains(void)
{
	static const char text[] = "[proxy a]\nurl = socks5://h\n"
				   "[proxy b]\nurl = http://h\nvia = a\n"
				   "[proxy c]\nurl = socks5h://h\nvia = b\n"
				   "[profile w]\nvia = c\n";
	char nine[2048] = "";
	struct settings s;
	int hops[CONF_CHAIN_MAX], r;

	is_int(parse(text, &s), 0, "chain a <- b <- c parses");
	r = settings_chain(&s, 2, hops, CONF_CHAIN_MAX);
	is_int(r, 3, "three hops");
	ok(r == 3 && hops[0] == 0 && hops[1] == 1 && hops[2] == 2, "first hop first");
	is_int(settings_chain(&s, 0, hops, CONF_CHAIN_MAX), 1, "a alone is one hop");
	is_int(settings_chain(&s, 2, hops, 2), -E2BIG, "max too small: -E2BIG");
	is_int(settings_chain(&s, 7, hops, CONF_CHAIN_MAX), -EINVAL, "bad index: -EINVAL");
	/* A loop cannot come out of the parser; build one by hand. */
	s.proxies[0].via_idx = 2;
	is_int(settings_chain(&s, 2, hops, CONF_CHAIN_MAX), -ELOOP, "hand-made loop: -ELOOP");
	s.proxies[0].via_idx = -1;
	settings_free(&s);

	/* Eight hops is the limit; nine is refused at the via of the ninth. */
	for (int i = 0; i < 9; i++) {
		size_t off = strlen(nine);

		snprintf(nine + off, sizeof(nine) - off, "[proxy p%d]\nurl = socks5://h\n", i);
		if (i) {
			off = strlen(nine);
			snprintf(nine + off, sizeof(nine) - off, "via = p%d\n", i - 1);
		}
	}
	is_int(parse(nine, &s), -EINVAL, "nine hops refused");
	is_str(err, "t.conf:26: via: chain to proxy 'p8' is longer than 8 hops", "names the via");
	*strstr(nine, "[proxy p8]") = '\0';
	is_int(parse(nine, &s), 0, "eight hops accepted");
	is_int(settings_chain(&s, 7, hops, CONF_CHAIN_MAX), 8, "eight hops");
	settings_free(&s);
}

static void test_profile_values(void)
{
	static const char text[] = P "[profile w]\r\n"
				     "via = p\r\n"
				     "ipv6 = No\r\n"
				     "users = alice  @wheel\t1000\r\n"
				     "users = bob$ _x\r\n"
				     "dns = off\r\n"
				     "dns-server = [2001:db8::53]:5353\r\n"
				     "route = *.ONION p\r\n"
				     "socks-port = 0\r\n";
	struct settings s;
	const struct profile_conf *w;

	if (!ok(parse(text, &s) == 0, "CRLF profile parses"))
		printf("#   %s\n", err);
	w = settings_find_profile(&s, "w");
	if (w) {
		ok(!w->ipv6, "ipv6 = No is off");
		ok(!w->udp, "udp defaults to off");
		is_int(w->dns, DNS_OFF, "dns = off");
		is_str(w->dns_server, "[2001:db8::53]:5353", "dns-server kept as written");
		is_str(w->netns, "w", "netns defaults to the profile name");
		is_int(w->n_users, 5, "users repeat and accumulate");
		if (w->n_users == 5) {
			is_str(w->users[2], "1000", "numeric uid");
			is_str(w->users[3], "bob$", "machine account name");
		}
		is_str(w->routes[0].pattern, "*.onion", "route pattern is lower-cased");
		is_int(w->set,
		       PROF_SET_IPV6 | PROF_SET_USERS | PROF_SET_DNS | PROF_SET_DNS_SERVER |
			       PROF_SET_SOCKS_PORT,
		       "set holds exactly the explicit keys");
	}
	settings_free(&s);

	static const char bools[] = P W "ipv6 = TRUE\nudp = 1\n"
					"[profile x]\nvia = p\nipv6 = off\nudp = yes\n";
	is_int(parse(bools, &s), 0, "boolean spellings parse");
	ok(s.n_profiles == 2 && s.profiles[0].ipv6 && s.profiles[0].udp && !s.profiles[1].ipv6 &&
		   s.profiles[1].udp,
	   "boolean values");
	is_int(s.profiles[0].set, PROF_SET_IPV6 | PROF_SET_UDP, "set bits for booleans");
	settings_free(&s);

	static const char pipe[] = "[proxy a]\nurl = socks5://h\npipeline = yes\n"
				   "[proxy b]\nurl = socks5h://h\n[profile w]\nvia = a\n";
	is_int(parse(pipe, &s), 0, "pipeline parses");
	ok(s.n_proxies == 2 && s.proxies[0].pipeline && !s.proxies[1].pipeline,
	   "pipeline = yes is kept; unset it is off");
	settings_free(&s);
}

/* Every feature the parser accepts, alone and in combination: each must parse. */
static const char *const accept_cases[] = {
	P W,
	P W "dns = off\nipv6 = off\nusers = alice\nsocks-port = 0\nudp = off\n",
	P "isolate = none\n" W,
	P "fastopen = yes\n" W,
	P "fastopen = no\n" W,
	P "pipeline = yes\n" W,
	"[proxy s]\nurl = socks5h://h:1\npipeline = on\n[proxy q]\nurl = socks5://h\nvia = s\n"
	"pipeline = yes\n[profile w]\nvia = q\n",
	"[proxy h]\nurl = http://h:1\nfastopen = yes\n[proxy q]\nurl = socks5://h\nvia = h\n"
	"fastopen = no\n[profile w]\nvia = q\n",
	P W "dns = fake\n",
	P W "dns = proxy\ndns-server = 9.9.9.9\n",
	P W "dns = off\ndns-server = 9.9.9.9\n",
	P W "dns = fake\ndns-server = [2001:db8::53]:5353\nfake-ipv4 = 10.200.0.0/16\n",
	P W "dns = proxy\ndns-server = 9.9.9.9:53\nfake-ipv6 = 2001:db8::/64\n",
	P W "udp = on\n",
	P W "socks-port = 1080\n",
	P W "http-port = 8118\n",
	P W "max-connections = 1\n",
	P W "max-connections = 1048576\n",
	P W "route = *.onion p\n",
	P "[profile w]\nroute = 10.0.0.0/8 block\nroute = default p\n",
	P "isolate = app\n" W,
	P "netns = vpn\n" W,
	"[proxy d]\nurl = direct\nnetns = vpn\n[profile w]\nvia = d\n",
	P W "[flatpak]\norg.a.b = w\n",
	P W "udp = on\n[profile x]\nvia = p\nnetns = y\n[proxy q]\nurl = socks5://h\n"
	    "netns = vpn\n",
	P "isolate = profile\n" W,
	P "isolate = destination\n" W,
	"[proxy t]\nurl = tor\n[profile w]\nvia = t\n",
	P "tor-control = 127.0.0.1:9051\ntor-control-cookie = /run/tor/control.authcookie\n" W,
	P "tor-control = /run/tor/control\n" W,
	"[proxy t]\nurl = tor\ntor-config = /etc/netnsp/tor-extra\n[profile w]\nvia = t\n",
	"[proxy i]\nurl = i2p\n[profile w]\nvia = i\n",
};

/* Unset, isolate is profile where credentials can be derived, none elsewhere. */
static void test_isolate_default(void)
{
	static const char text[] = "[proxy a]\nurl = socks5://h\n[proxy b]\nurl = socks5h://u:p@h\n"
				   "[proxy c]\nurl = http://h:1\n[proxy d]\nurl = tor\n"
				   "[proxy e]\nurl = socks5://h\nisolate = none\n";
	struct settings s;

	if (!ok(parse(text, &s) == 0, "isolate defaults: parses"))
		return;
	is_int(s.proxies[0].isolate, ISOLATE_PROFILE, "socks5 without credentials: profile");
	is_int(s.proxies[1].isolate, ISOLATE_NONE, "socks5h with credentials: none");
	is_int(s.proxies[2].isolate, ISOLATE_NONE, "http: none");
	is_int(s.proxies[3].isolate, ISOLATE_PROFILE, "tor: profile");
	is_int(s.proxies[3].kind, PROXY_TOR, "url = tor: managed tor");
	is_int(s.proxies[4].isolate, ISOLATE_NONE, "isolate = none kept");
	settings_free(&s);
}

static void test_accepted(void)
{
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		struct settings s;

		if (!ok(parse(accept_cases[i], &s) == 0, "accepted case %zu parses", i)) {
			printf("#   %s\n", err);
			continue;
		}
		settings_free(&s);
	}
}

/* First match wins; names and ranges never cross; "*.x" is below x, not x itself. */
static void test_routes(void)
{
	static const char text[] =
		P "[proxy q]\nurl = http://127.0.0.1:3128\n[profile w]\n"
		  "route = *.onion q\nroute = exact.example p\nroute = *.example block\n"
		  "route = 10.0.0.0/8 block\nroute = 10.1.0.0/16 q\nroute = 2001:db8::/33 q\n"
		  "route = 198.51.100.7 q\nroute = 203.0.113.0/25 p\n"
		  "[profile v]\nroute = *.i2p q\nroute = default p\n";
	static const struct {
		int family;
		const char *dst;
		int want;
	} cases[] = {
		{0, "a.onion", 0},
		{0, "A.b.ONION", 0},
		{0, "onion", -1},
		{0, "xonion", -1},
		{0, "exact.example", 1},
		{0, "EXACT.example", 1},
		{0, "a.exact.example", 2},
		{0, "example", -1},
		{0, "other.example", 2},
		{0, "10.0.0.1", -1},
		{AF_INET, "10.1.2.3", 3},
		{AF_INET, "10.255.0.1", 3},
		{AF_INET, "11.0.0.1", -1},
		{AF_INET6, "2001:db8::1", 5},
		{AF_INET6, "2001:db8:8000::1", -1},
		{AF_INET, "198.51.100.7", 6},
		{AF_INET, "198.51.100.8", -1},
		{AF_INET, "203.0.113.127", 7},
		{AF_INET, "203.0.113.128", -1},
		{AF_INET6, "::ffff:10.0.0.1", -1},
	};
	const struct profile_conf *w, *v;
	struct settings s;

	if (!ok(parse(text, &s) == 0, "routes: parse")) {
		printf("#   %s\n", err);
		return;
	}
	w = settings_find_profile(&s, "w");
	v = settings_find_profile(&s, "v");
	is_int(w->via_idx, -1, "routes without default: no via");
	ok(w->via == NULL, "routes without default: via stays unset");
	is_int(w->routes[2].proxy_idx, ROUTE_BLOCK, "block route");
	is_int(w->routes[2].line, 8, "route line");
	is_int(v->via_idx, 0, "route = default p sets via");
	is_str(v->via, "p", "route = default p: via = p");
	is_int((int)v->n_routes, 1, "default is not kept as a route");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t a[16] = {0};

		if (cases[i].family)
			inet_pton(cases[i].family, cases[i].dst, a);
		is_int(settings_route_match(w->routes, w->n_routes, cases[i].family, a,
					    cases[i].dst),
		       cases[i].want, "route match %s", cases[i].dst);
	}
	ok(settings_name_special("x.onion") && settings_name_special("a.b.I2P"),
	   ".onion and .i2p names are special");
	ok(!settings_name_special("onion") && !settings_name_special("i2p.example"),
	   "onion itself and i2p.example are not");
	settings_free(&s);
}

static void test_fake_pools(void)
{
	struct settings s;
	char a[INET6_ADDRSTRLEN] = "";
	const struct profile_conf *w, *x;
	int r = parse(P W "fake-ipv4 = 10.200.0.0/16\nfake-ipv6 = 2001:db8:1::/64\n"
			  "[profile x]\nvia = p\nfake-ipv6 = 2001:db8::4/126\n",
		      &s);

	if (!ok(r == 0, "fake pools: parse (%s)", err))
		return;
	w = settings_find_profile(&s, "w");
	x = settings_find_profile(&s, "x");
	inet_ntop(AF_INET, &w->fake4_base, a, sizeof(a));
	is_str(a, "10.200.0.0", "fake-ipv4 base");
	is_int(w->fake4_prefix, 16, "fake-ipv4 prefix");
	inet_ntop(AF_INET6, &w->fake6_base, a, sizeof(a));
	is_str(a, "2001:db8:1::", "fake-ipv6 base");
	is_int(w->fake6_prefix, 64, "fake-ipv6 prefix");
	is_int(w->fake4_line, 5, "fake-ipv4 line");
	is_int(w->fake6_line, 6, "fake-ipv6 line");
	ok((w->set & (PROF_SET_FAKE4 | PROF_SET_FAKE6)) == (PROF_SET_FAKE4 | PROF_SET_FAKE6),
	   "fake pools: set bits");
	is_int(x->fake4_prefix, 0, "unset fake-ipv4: prefix 0 (the default)");
	ok(!(x->set & PROF_SET_FAKE4) && x->fake4_line == 0, "unset fake-ipv4: no bit, no line");
	is_int(x->fake6_prefix, 126, "a /126 is the smallest IPv6 pool");
	is_int(x->fake6_line, 9, "fake-ipv6 line of the second profile");
	settings_free(&s);
	r = parse(P W "fake-ipv4 = 1.0.0.0/8\nfake-ipv6 = 2001:db8::/64\n", &s);
	is_int(r, 0, "fake pools: /8 and a 2001:db8::/64 (%s)", err);
	settings_free(&s);
}

int main(void)
{
	test_urls();
	test_chains();
	test_profile_values();
	test_accepted();
	test_routes();
	test_isolate_default();
	test_fake_pools();
	return tap_done();
}
