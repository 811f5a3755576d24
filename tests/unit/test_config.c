/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config.c - Settings parser: a full example config, every error path with
 * its exact FILE:LINE and key, CRLF, BOM, comments, NUL bytes and long lines,
 * dns-server addresses, files, kind names (values, URLs, chains, routes and
 * fake-IP pools: test_config_values.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config_fixture.h"
#include "tap.h"

static const char spec_example[] =
	"[proxy corp]\n"
	"url = socks5://alice:secret@10.1.2.3:1080   # socks5, socks5h, socks4a, http (CONNECT)\n"
	"\n"
	"[proxy exit]\n"
	"url = http://exit.example.net:3128\n"
	"via = corp                 # chain: reach this proxy through 'corp'\n"
	"\n"
	"[proxy tor]\n"
	"url = socks5://127.0.0.1:9050\n"
	"isolate = profile          # none | profile | app: distinct SOCKS5 credentials, so Tor\n"
	"                           # (IsolateSOCKSAuth) gives each its own circuits\n"
	"\n"
	"[proxy vpn]\n"
	"url = direct               # connect straight to the destination ...\n"
	"netns = vpn-ns             # ... from inside this namespace (where a VPN's TUN lives)\n"
	"\n"
	"[profile work]\n"
	"via = exit                 # required: the proxy (or chain) all traffic takes\n"
	"netns = work               # the namespace's name under /run/netns (default: profile "
	"name)\n"
	"dns = fake                 # fake (default) | proxy | off\n"
	"dns-server = 9.9.9.9       # upstream resolver for dns=proxy and non-A/AAAA queries\n"
	"ipv6 = on                  # on: IPv6 destinations proxied | off: refused at once\n"
	"udp = on                   # on: SOCKS5 UDP ASSOCIATE | off: refused at once\n"
	"socks-port = 1080          # SOCKS5 endpoint inside the namespace on 127.0.0.1/::1; 0 = "
	"none\n"
	"http-port = 8118           # HTTP proxy endpoint inside the namespace; 0 = none\n"
	"users = alice @wheel       # who may `netnsp exec` into it (setuid install)\n"
	"route = *.onion tor        # repeatable: names matching go through another proxy\n"
	"route = *.i2p i2p\n"
	"max-connections = 4096     # per-subject cap (default derived from the fd limit)\n"
	"\n"
	"[flatpak]\n"
	"org.mozilla.firefox = work # Flatpak app id = profile: its instances are attached\n"
	"\n"
	"; the example names an 'i2p' proxy without defining it\n"
	"[proxy i2p]\n"
	"url = socks5h://127.0.0.1:4447\n";

static void test_spec_example(void)
{
	struct settings s;
	const struct profile_conf *w;
	int r = parse(spec_example, &s);

	is_int(r, 0, "the full example parses (%s)", err);
	if (r < 0)
		return;
	is_int(s.n_proxies, 5, "five proxies");
	is_str(s.proxies[0].name, "corp", "proxy 0 is corp");
	is_int(s.proxies[0].kind, PROXY_SOCKS5, "corp is socks5");
	is_str(s.proxies[0].host, "10.1.2.3", "corp host");
	is_int(s.proxies[0].port, 1080, "corp port");
	is_str(s.proxies[0].user, "alice", "corp user");
	is_str(s.proxies[0].pass, "secret", "corp pass");
	is_int(s.proxies[0].via_idx, -1, "corp has no via");
	is_int(s.proxies[1].kind, PROXY_HTTP, "exit is http");
	is_str(s.proxies[1].host, "exit.example.net", "exit host");
	is_int(s.proxies[1].port, 3128, "exit port");
	is_str(s.proxies[1].via, "corp", "exit via corp");
	is_int(s.proxies[1].via_idx, 0, "exit via_idx");
	is_int(s.proxies[1].via_line, 6, "exit via line");
	ok(s.proxies[1].user == NULL && s.proxies[1].pass == NULL, "exit has no credentials");
	is_int(s.proxies[2].isolate, ISOLATE_PROFILE, "tor isolate = profile");
	is_int(s.proxies[3].kind, PROXY_DIRECT, "vpn is direct");
	ok(s.proxies[3].host == NULL && s.proxies[3].port == 0, "direct has no host/port");
	is_str(s.proxies[3].netns, "vpn-ns", "vpn netns");
	is_int(s.proxies[3].line, 13, "vpn header line");
	is_int(s.proxies[4].kind, PROXY_SOCKS5H, "i2p is socks5h");

	is_int(s.n_profiles, 1, "one profile");
	w = settings_find_profile(&s, "work");
	ok(w != NULL, "find profile work");
	ok(settings_find_profile(&s, "nope") == NULL, "no profile nope");
	if (!w)
		goto out;
	is_str(w->via, "exit", "work via");
	is_int(w->via_idx, 1, "work via_idx");
	is_str(w->netns, "work", "work netns");
	is_int(w->dns, DNS_FAKE, "work dns");
	is_str(w->dns_server, "9.9.9.9", "work dns-server");
	ok(w->ipv6 && w->udp, "ipv6 and udp on");
	is_int(w->socks_port, 1080, "socks-port");
	is_int(w->http_port, 8118, "http-port");
	is_int(w->max_conns, 4096, "max-connections");
	is_int(w->n_users, 2, "two users");
	if (w->n_users == 2) {
		is_str(w->users[0], "alice", "user alice");
		is_str(w->users[1], "@wheel", "group wheel");
	}
	is_int(w->n_routes, 2, "two routes");
	if (w->n_routes == 2) {
		is_str(w->routes[0].pattern, "*.onion", "route 0 pattern");
		is_int(w->routes[0].proxy_idx, 2, "route 0 -> tor");
		is_int(w->routes[1].proxy_idx, 4, "route 1 -> i2p");
		is_int(w->routes[1].line, 28, "route 1 line");
	}
	is_int(w->set,
	       PROF_SET_DNS | PROF_SET_DNS_SERVER | PROF_SET_IPV6 | PROF_SET_UDP |
		       PROF_SET_SOCKS_PORT | PROF_SET_HTTP_PORT | PROF_SET_USERS | PROF_SET_NETNS,
	       "every key recorded in set");
	is_int(w->line, 17, "work header line");
	is_int(s.n_flatpaks, 1, "one flatpak");
	is_str(s.flatpaks[0].app_id, "org.mozilla.firefox", "flatpak app id");
	is_str(s.flatpaks[0].profile, "work", "flatpak profile");
	is_int(s.flatpaks[0].line, 32, "flatpak line");
out:
	settings_free(&s);
	settings_free(&s); /* a freed struct is zeroed: freeing twice is safe */
}

struct bad_case {
	const char *text;
	const char *want; /* expected prefix of the error */
};

static const struct bad_case bad_cases[] = {
	{"[proxy h]\nurl = http://h:1\nisolate = profile\n",
	 "t.conf:3: isolate: only a socks5, socks5h or tor proxy can isolate streams"},
	{"[proxy s]\nurl = socks5://u:p@h\nisolate = destination\n",
	 "t.conf:3: isolate: the url has credentials, which isolation would replace (remove them "
	 "or set isolate = none)"},
	{P "tor-config = /x\n", "t.conf:3: tor-config: only for url = tor"},
	{"[proxy t]\nurl = tor\ntor-control = /run/tor/control\n",
	 "t.conf:3: tor-control: only for a socks5 or socks5h url (a managed tor has its own)"},
	{P "tor-control = localhost\n",
	 "t.conf:3: tor-control: want /PATH of a unix socket, IP, IP:PORT or [IPv6]:PORT"},
	{P "tor-control-cookie = /c\n", "t.conf:3: tor-control-cookie: needs 'tor-control'"},
	{P "tor-control = 127.0.0.1:9051\ntor-control-cookie = c\n",
	 "t.conf:4: tor-control-cookie: want an absolute path to tor's control_auth_cookie"},
	{"[proxy t]\nurl = tor\ntor-config = x\n",
	 "t.conf:3: tor-config: want an absolute path to a file of torrc lines"},
	{P "[proxy t]\nurl = tor\nvia = p\n",
	 "t.conf:5: via: a managed tor runs beside the daemon and takes no 'via'"},
	{P "[proxy i]\nurl = i2p\nvia = p\n",
	 "t.conf:5: via: a managed i2p runs beside the daemon and takes no 'via'"},
	{"[proxy i]\nurl = i2p\nnetns = vpn\n",
	 "t.conf:3: netns: a managed i2p runs beside the daemon and takes no 'netns'"},
	{"[proxy i]\nurl = i2p\ntor-config = /x\n", "t.conf:3: tor-config: only for url = tor"},
	{"[proxy a]\nurl = socks6://h\n",
	 "t.conf:2: url: unknown scheme 'socks6' (want socks5, socks5h, socks4a, http or direct)"},
	{"[proxy a]\n", "t.conf:1: [proxy a]: missing required key 'url'"},
	{P "[profile w]\nnetns = x\n", "t.conf:3: [profile w]: missing required key 'via'"},
	{P "colour = red\n",
	 "t.conf:3: colour: unknown key (want url, via, isolate, netns, tor-config, i2p-config, "
	 "tor-control, tor-control-cookie, fastopen, pipeline)"},
	{P "pipeline = sometimes\n", "t.conf:3: pipeline: bad value 'sometimes' (want yes or no)"},
	{"[proxy h]\nurl = http://h:1\npipeline = yes\n",
	 "t.conf:3: pipeline: only for a socks5 or socks5h url (the other handshakes are one "
	 "request already)"},
	{"[proxy t]\nurl = tor\npipeline = yes\n",
	 "t.conf:3: pipeline: only for a socks5 or socks5h url"},
	{"[proxy s]\nurl = socks4a://h:1\n\npipeline = on\n",
	 "t.conf:4: pipeline: only for a socks5"},
	{P "fastopen = maybe\n", "t.conf:3: fastopen: bad value 'maybe' (want yes or no)"},
	{"[proxy t]\nurl = tor\nfastopen = yes\n",
	 "t.conf:3: fastopen: only for a proxy netnsp connects to over TCP (socks5, socks5h, "
	 "socks4a, http)"},
	{"[proxy d]\nurl = direct\nnetns = vpn\nfastopen = on\n",
	 "t.conf:4: fastopen: only for a proxy netnsp connects to over TCP"},
	{P "[proxy q]\nurl = http://h:1\nvia = p\nfastopen = yes\n",
	 "t.conf:6: fastopen: a proxy reached through 'via' is connected to by the proxy before "
	 "it; "
	 "set 'fastopen' on the first hop"},
	{P W "color = x\n", "t.conf:5: color: unknown key (want via, netns, dns,"},
	{P "url = socks5://h\n", "t.conf:3: url: duplicate key (first at line 2)"},
	{P W "# c\nvia = p\n", "t.conf:6: via: duplicate key (first at line 4)"},
	{"[proxy a]\nurl =\n", "t.conf:2: url: empty value"},
	{"[proxy a]\nurl = # only a comment\n", "t.conf:2: url: empty value"},
	{"url = socks5://h\n", "t.conf:1: url: key outside any section"},
	{"[foo]\n",
	 "t.conf:1: [foo]: unknown section 'foo' (want proxy, profile, flatpak or daemon)"},
	{P "\n[proxy p]\n", "t.conf:4: [proxy p]: duplicate section (first at line 1)"},
	{"[flatpak]\n[flatpak]\n", "t.conf:2: [flatpak]: duplicate section (first at line 1)"},
	{"[proxy]\n", "t.conf:1: [proxy]: want '[proxy NAME]'"},
	{"[profile a b]\n", "t.conf:1: [profile a b]: want '[profile NAME]'"},
	{"[proxy -a]\n", "t.conf:1: [proxy -a]: bad name '-a'"},
	{"[proxy .a]\n", "t.conf:1: [proxy .a]: bad name '.a'"},
	{"[proxy a/b]\n", "t.conf:1: [proxy a/b]: bad name 'a/b'"},
	{"[proxy abcdefghijabcdefghijabcdefghijabc]\n", "t.conf:1: [proxy abcdefghij"},
	{"[flatpak x]\n", "t.conf:1: [flatpak x]: want '[flatpak]'"},
	{"[daemon x]\n", "t.conf:1: [daemon x]: want '[daemon]'"},
	{"[daemon]\n[daemon]\n", "t.conf:2: [daemon]: duplicate section (first at line 1)"},
	{"[daemon]\nworkers = 0\n", "t.conf:2: workers: bad count '0' (want 1..64 or auto)"},
	{"[daemon]\nworkers = 65\n", "t.conf:2: workers: bad count '65' (want 1..64 or auto)"},
	{"[daemon]\nthreads = 2\n", "t.conf:2: threads: unknown key (want workers)"},
	{"[]\n", "t.conf:1: []: empty section header"},
	{"\n\n[proxy a\n", "t.conf:3: missing ']' in section header"},
	{"[proxy a] junk\n", "t.conf:1: [proxy a]: unexpected text after ']'"},
	{P "just words\n", "t.conf:3: want 'key = value', '[section]' or a comment"},
	{P "via: p\n", "t.conf:3: want 'key = value'"},
	{P "= p\n", "t.conf:3: missing key before '='"},
	{P "via # = p\n", "t.conf:3: want 'key = value'"},
	{"[proxy a]\nurl = h:1080\n", "t.conf:2: url: want SCHEME://[USER[:PASS]@]HOST[:PORT]"},
	{"[proxy a]\nurl = socks5://h/x\n", "t.conf:2: url: a proxy URL takes no path"},
	{"[proxy a]\nurl = http://h?x=1\n", "t.conf:2: url: a proxy URL takes no path"},
	{"[proxy a]\nurl = socks5://h:0\n", "t.conf:2: url: bad port '0' (want 1..65535)"},
	{"[proxy a]\nurl = socks5://h:65536\n", "t.conf:2: url: bad port '65536'"},
	{"[proxy a]\nurl = socks5://h:12a\n", "t.conf:2: url: bad port '12a'"},
	{"[proxy a]\nurl = socks5://h:+80\n", "t.conf:2: url: bad port '+80'"},
	{"[proxy a]\nurl = socks5://h:\n", "t.conf:2: url: bad port ''"},
	{"[proxy a]\nurl = socks5://h:99999999999\n", "t.conf:2: url: bad port (want"},
	{"[proxy a]\nurl = socks5://2001:db8::1\n",
	 "t.conf:2: url: an IPv6 address must be written in brackets"},
	{"[proxy a]\nurl = socks5://[2001:zz::1]:1\n", "t.conf:2: url: bad IPv6 address '2001:zz"},
	{"[proxy a]\nurl = socks5://[2001:db8::1\n", "t.conf:2: url: missing ']' after IPv6"},
	{"[proxy a]\nurl = socks5://[::1]x\n", "t.conf:2: url: unexpected text after ']'"},
	{"[proxy a]\nurl = socks5://256.1.1.1\n", "t.conf:2: url: bad IPv4 address '256.1.1.1'"},
	{"[proxy a]\nurl = socks5://1.2.3\n", "t.conf:2: url: bad IPv4 address '1.2.3'"},
	{"[proxy a]\nurl = socks5://a..b\n", "t.conf:2: url: bad host name 'a..b'"},
	{"[proxy a]\nurl = socks5://-a.b\n", "t.conf:2: url: bad host name '-a.b'"},
	{"[proxy a]\nurl = socks5://a-.b\n", "t.conf:2: url: bad host name 'a-.b'"},
	{"[proxy a]\nurl = socks5://a.-b\n", "t.conf:2: url: bad host name 'a.-b'"},
	{"[proxy a]\nurl = socks5://a.b.\n", "t.conf:2: url: bad host name 'a.b.'"},
	{"[proxy a]\nurl = socks5://a\xc3\xa9.b\n", "t.conf:2: url: bad host name"},
	{"[proxy a]\nurl = socks5://"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\n",
	 "t.conf:2: url: bad host name"}, /* a 64-character label */
	{"[proxy a]\nurl = socks5://\n", "t.conf:2: url: missing host"},
	{"[proxy a]\nurl = socks4a://u:p@h\n",
	 "t.conf:2: url: socks4a carries a user id but no password"},
	{"[proxy a]\nurl = http://u@h\n", "t.conf:2: url: http credentials need USER:PASS"},
	{"[proxy a]\nurl = socks5://u%G1:p@h\n", "t.conf:2: url: bad percent-escape in user"},
	{"[proxy a]\nurl = socks5://u:p%4@h\n", "t.conf:2: url: bad percent-escape in password"},
	{"[proxy a]\nurl = socks5://u:%00@h\n", "t.conf:2: url: %00 is not allowed in password"},
	{"[proxy a]\nurl = socks5://:p@h\n", "t.conf:2: url: empty user name"},
	{"[proxy a]\nurl = socks5://u:p@x@h\n", "t.conf:2: url: '@' in user or password"},
	{"[proxy a]\nurl = socks5://u\"x:p@h\n", "t.conf:2: url: character '\"' in user"},
	{"[proxy a]\nurl = socks5://a b@h\n", "t.conf:2: url: character ' ' in user"},
	{"[proxy a]\nurl = socks5://[::1]:1080\nvia = b\n", "t.conf:3: via: unknown proxy 'b'"},
	{"[proxy a]\nurl = socks5://h\nvia = -b\n", "t.conf:3: via: bad name '-b'"},
	{P W "netns = -x\n", "t.conf:5: netns: bad name '-x'"},
	{P "[profile w]\n\nvia = nope\n", "t.conf:5: via: unknown proxy 'nope'"},
	{P W "route = *.onion tor\n", "t.conf:5: route: unknown proxy 'tor'"},
	{P W "route = *.onion\n", "t.conf:5: route: want 'PATTERN PROXY'"},
	{P W "route = *.onion p q\n", "t.conf:5: route: want 'PATTERN PROXY'"},
	{P W "route = *.*.x p\n", "t.conf:5: route: bad pattern '*.*.x'"},
	{"[proxy d]\nurl = direct\n[profile w]\nvia = d\n",
	 "t.conf:2: url: 'direct' needs 'netns'"},
	{P "[proxy q]\nurl = socks5://h\nvia = p\nnetns = vpn\n" W,
	 "t.conf:6: netns: a proxy reached through 'via' is not dialled from a namespace"},
	{P W "route = 10.0.0.1/8 p\n", "t.conf:5: route: '10.0.0.1/8' has host bits set"},
	{P W "route = 10.0.0.0/33 p\n", "t.conf:5: route: prefix length 33 is longer than 32"},
	{P W "route = 2001:db8::/129 p\n", "t.conf:5: route: prefix length 129 is longer"},
	{P W "route = 300.0.0.0/8 p\n", "t.conf:5: route: bad IPv4 address '300.0.0.0'"},
	{P W "route = 10.0.0.0/x p\n", "t.conf:5: route: bad prefix length"},
	{P W "route = *.onion -p\n", "t.conf:5: route: bad proxy name '-p'"},
	{P W "route = x.org nope\n", "t.conf:5: route: unknown proxy 'nope'"},
	{P W "route = default p\n", "t.conf:5: route: 'route = default' and 'via' (line 4)"},
	{P "[profile w]\nroute = default nope\n", "t.conf:4: route: unknown proxy 'nope'"},
	{P "[profile w]\nroute = default p\nroute = x.org block\n",
	 "t.conf:5: route: follows 'route = default' (line 4), so it never matches"},
	{P "[profile w]\ndns = fake\n", "t.conf:3: [profile w]: missing required key 'via'"},
	{P W "[flatpak]\norg.example.App = nope\n", "t.conf:6: org.example.App: unknown profile"},
	{P W "[flatpak]\nfirefox = w\n", "t.conf:6: firefox: bad Flatpak app id"},
	{P W "[flatpak]\norg.a.b = w\n\norg.a.b = w\n",
	 "t.conf:8: org.a.b: duplicate entry (first at line 6)"},
	{"[proxy a]\nurl = socks5://h\nvia = b\n[proxy b]\nurl = socks5://h\nvia = a\n",
	 "t.conf:3: via: proxy chain loops: a -> b -> a"},
	{"[proxy a]\nurl = socks5://h\nvia = a\n", "t.conf:3: via: proxy chain loops: a -> a"},
	{"[proxy x]\nurl = socks5://h\nvia = b\n"
	 "[proxy a]\nurl = socks5://h\nvia = b\n[proxy b]\nurl = socks5://h\nvia = a\n",
	 "t.conf:6: via: proxy chain loops: a -> b -> a"},
	{"[proxy v]\nurl = direct\nnetns = x\nvia = p\n" P,
	 "t.conf:4: via: a 'direct' proxy connects straight out and takes no 'via'"},
	{"[proxy v]\nurl = direct\nnetns = x\n[proxy a]\nurl = socks5://h\nvia = v\n",
	 "t.conf:6: via: proxy 'v' is 'direct' and can only be the last hop"},
	{P W "[profile x]\nvia = p\nnetns = w\n",
	 "t.conf:7: netns: namespace 'w' is already used by profile 'w'"},
	{P "[profile a]\nvia = p\nnetns = b\n[profile b]\nvia = p\n",
	 "t.conf:6: netns: namespace 'b' (default: the profile name) is already used"},
	{P W "dns = maybe\n", "t.conf:5: dns: bad value 'maybe' (want fake, proxy or off)"},
	{P "isolate = all\n",
	 "t.conf:3: isolate: bad value 'all' (want none, profile, app or destination)"},
	{P W "ipv6 = maybe\n", "t.conf:5: ipv6: bad value 'maybe' (want on or off)"},
	{P W "udp = 2\n", "t.conf:5: udp: bad value '2' (want on or off)"},
	{P W "socks-port = -1\n", "t.conf:5: socks-port: bad port '-1' (want 0..65535"},
	{P W "http-port = 65536\n", "t.conf:5: http-port: bad port '65536'"},
	{P W "http-port = 0x50\n", "t.conf:5: http-port: bad port '0x50'"},
	{P W "max-connections = 0\n", "t.conf:5: max-connections: bad count '0' (want 1..1048576)"},
	{P W "max-connections = 1048577\n", "t.conf:5: max-connections: bad count '1048577'"},
	{P W "max-connections = -5\n", "t.conf:5: max-connections: bad count '-5'"},
	{P W "max-connections = 4k\n", "t.conf:5: max-connections: bad count '4k'"},
	{P W "dns-server = 1.2.3\n", "t.conf:5: dns-server: bad address '1.2.3'"},
	{P W "dns-server = [::1]:0\n", "t.conf:5: dns-server: bad port in '[::1]:0'"},
	{P W "dns-server = 9.9.9.9:x\n", "t.conf:5: dns-server: bad port in '9.9.9.9:x'"},
	{P W "dns-server = fe80::zz\n", "t.conf:5: dns-server: bad IPv6 address 'fe80::zz'"},
	{P W "users = alice ali!ce\n", "t.conf:5: users: bad user 'ali!ce'"},
	{P W "users = @\n", "t.conf:5: users: bad user '@'"},
	{P W "users = 4294967295\n", "t.conf:5: users: bad user '4294967295'"},
	{"\xef\xbb\xbf[nope]\n", "t.conf:1: [nope]: unknown section 'nope'"},
	{"[proxy a]\r\n\r\nurl = bogus\r\n", "t.conf:3: url: want SCHEME://"},
	{"# c\n; c\n   # c\n\n[proxy a]\nurl = socks5://h:0\n", "t.conf:6: url: bad port '0'"},
	{"[proxy a]\nurl = socks5://h\x01\n", "t.conf:2: control character 0x01 in line"},
	{"[proxy a]\nurl = socks5://h\rx\n", "t.conf:2: control character 0x0d in line"},
	{P W "dns = proxy\n", "t.conf:5: dns: 'proxy' needs 'dns-server'"},
	{P W "ipv6 = off\ndns = proxy\nudp = off\n", "t.conf:6: dns: 'proxy' needs 'dns-server'"},
	{P W "fake-ipv4 = 198.18.0.0\n", "t.conf:5: fake-ipv4: '198.18.0.0' has no prefix length"},
	{P W "fake-ipv4 = 10.0.0.0/7\n", "t.conf:5: fake-ipv4: prefix length /7 out of range"},
	{P W "fake-ipv4 = 10.0.0.0/31\n", "t.conf:5: fake-ipv4: prefix length /31 out of range"},
	{P W "fake-ipv4 = 198.18.0.1/15\n", "t.conf:5: fake-ipv4: host bits set"},
	{P W "fake-ipv4 = 198.19.0.0/15\n", "t.conf:5: fake-ipv4: host bits set"},
	{P W "fake-ipv4 = 100.64.128.0/24\n", "t.conf:5: fake-ipv4: overlaps 100.64.0.0/10"},
	{P W "fake-ipv4 = 100.0.0.0/8\n", "t.conf:5: fake-ipv4: overlaps 100.64.0.0/10"},
	{P W "fake-ipv4 = 127.0.0.0/8\n", "t.conf:5: fake-ipv4: overlaps 127.0.0.0/8"},
	{P W "fake-ipv4 = 0.0.0.0/8\n", "t.conf:5: fake-ipv4: overlaps 0.0.0.0/8"},
	{P W "fake-ipv4 = 169.254.0.0/16\n", "t.conf:5: fake-ipv4: overlaps 169.254.0.0/16"},
	{P W "fake-ipv4 = 239.1.0.0/16\n", "t.conf:5: fake-ipv4: overlaps 224.0.0.0/4"},
	{P W "fake-ipv4 = 255.255.0.0/16\n", "t.conf:5: fake-ipv4: overlaps 240.0.0.0/4"},
	{P W "fake-ipv4 = 2001:db8::/64\n", "t.conf:5: fake-ipv4: bad IPv4 address '2001:db8::'"},
	{P W "fake-ipv4 = 10.0.0.0/016\n", "t.conf:5: fake-ipv4: bad prefix length in"},
	{P W "fake-ipv4 = 10.0.0.0/\n", "t.conf:5: fake-ipv4: bad prefix length in"},
	{P W "fake-ipv4 = 10.0.0.0/1x\n", "t.conf:5: fake-ipv4: bad prefix length in"},
	{P W "fake-ipv4 = /16\n", "t.conf:5: fake-ipv4: bad address in '/16'"},
	{P W "fake-ipv4 = 10.0.0.0/16\nfake-ipv4 = 10.1.0.0/16\n",
	 "t.conf:6: fake-ipv4: duplicate key (first at line 5)"},
	{P W "fake-ipv6 = 2001:db8::/63\n", "t.conf:5: fake-ipv6: prefix length /63 out of range"},
	{P W "fake-ipv6 = 2001:db8::/127\n",
	 "t.conf:5: fake-ipv6: prefix length /127 out of range (want /64../126)"},
	{P W "fake-ipv6 = 2001:db8::1/64\n", "t.conf:5: fake-ipv6: host bits set"},
	{P W "fake-ipv6 = 2001:db8::2/126\n", "t.conf:5: fake-ipv6: host bits set"},
	{P W "fake-ipv6 = fd6e:7370:1:2::/64\n", "t.conf:5: fake-ipv6: overlaps fd6e:7370::/32"},
	{P W "fake-ipv6 = ff02::/64\n", "t.conf:5: fake-ipv6: overlaps ff00::/8"},
	{P W "fake-ipv6 = ::/64\n", "t.conf:5: fake-ipv6: overlaps ::/8"},
	{P W "fake-ipv6 = fe80::/64\n", "t.conf:5: fake-ipv6: overlaps fe80::/10"},
	{P W "fake-ipv6 = 10.0.0.0/24\n", "t.conf:5: fake-ipv6: bad IPv6 address '10.0.0.0'"},
	{P W "fake-ipv6 = 2001:db8::/64 x\n", "t.conf:5: fake-ipv6: bad prefix length in"},
};

static void test_bad_cases(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct settings s;
		int r = parse(c->text, &s);

		is_int(r, -EINVAL, "bad case %zu is refused", i);
		if (!ok(strncmp(err, c->want, strlen(c->want)) == 0, "bad case %zu: %s", i,
			c->want))
			printf("#   got \"%s\"\n", err);
		ok(s.n_proxies == 0 && s.proxies == NULL && s.path == NULL,
		   "bad case %zu leaves no partial settings", i);
		ok(strchr(err, '\n') == NULL, "bad case %zu: one line", i);
	}
}

static void test_nul_and_long_lines(void)
{
	static const char nul[] = "[proxy a]\nurl = socks5://h\0x\n";
	struct settings s = {0};
	char *big;
	size_t n;
	int r;

	r = settings_parse_buffer(nul, sizeof(nul) - 1, "t.conf", &s, err, sizeof(err));
	is_int(r, -EINVAL, "NUL byte refused");
	is_str(err, "t.conf:2: NUL byte in line", "NUL byte error names the line");

	n = 4200;
	big = malloc(n + 64);
	strcpy(big, "[proxy a]\nurl = socks5://");
	memset(big + strlen(big), 'a', n);
	strcpy(big + 25 + n, "\n");
	r = settings_parse_buffer(big, strlen(big), "t.conf", &s, err, sizeof(err));
	is_int(r, -EINVAL, "overlong line refused");
	is_str(err, "t.conf:2: line longer than 4096 bytes", "overlong line error");
	free(big);

	/* The last line needs no newline; an empty buffer is an empty config. */
	r = settings_parse_buffer(P, strlen(P) - 1, "t.conf", &s, err, sizeof(err));
	is_int(r, 0, "no final newline is fine");
	settings_free(&s);
	r = settings_parse_buffer("", 0, "t.conf", &s, err, sizeof(err));
	is_int(r, 0, "empty config parses");
	ok(s.n_proxies == 0 && s.n_profiles == 0 && s.n_flatpaks == 0, "and is empty");
	settings_free(&s);
}

static void check_dns_addr(const char *value, int family, const char *addr, int port)
{
	struct profile_conf p = {.dns_server = (char *)value};
	struct sockaddr_storage ss;
	char a[INET6_ADDRSTRLEN] = "";
	socklen_t len = 0;
	int r = settings_dns_server_addr(&p, &ss, &len);

	is_int(r, 0, "dns-server '%s' converts", value);
	is_int(ss.ss_family, family, "dns-server '%s' family", value);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		is_int(ntohs(s4->sin_port), port, "dns-server '%s' port", value);
		is_int(len, sizeof(*s4), "dns-server '%s' length", value);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		is_int(ntohs(s6->sin6_port), port, "dns-server '%s' port", value);
		is_int(len, sizeof(*s6), "dns-server '%s' length", value);
	}
	is_str(a, addr, "dns-server '%s' address", value);
}

static void test_dns_server(void)
{
	struct profile_conf none = {0};
	struct sockaddr_storage ss;
	struct settings s;
	socklen_t len;
	static const char *const good[] = {"9.9.9.9", "9.9.9.9:5353", "[2001:db8::53]:5353",
					   "[2001:db8::53]", "2001:db8::53"};

	check_dns_addr("9.9.9.9", AF_INET, "9.9.9.9", 53);
	check_dns_addr("203.0.113.5:5353", AF_INET, "203.0.113.5", 5353);
	check_dns_addr("[2001:db8::53]:5353", AF_INET6, "2001:db8::53", 5353);
	check_dns_addr("[2001:db8::53]", AF_INET6, "2001:db8::53", 53);
	check_dns_addr("2001:db8::53", AF_INET6, "2001:db8::53", 53);
	is_int(settings_dns_server_addr(&none, &ss, &len), -ENOENT, "no dns-server: -ENOENT");
	none.dns_server = (char *)"[2001:db8::53]x";
	is_int(settings_dns_server_addr(&none, &ss, &len), -EINVAL, "garbage: -EINVAL");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), P W "dns = proxy\ndns-server = %s\n", good[i]);
		is_int(parse(text, &s), 0, "dns = proxy with dns-server = %s (%s)", good[i], err);
		settings_free(&s);
	}
}

static void test_daemon_section(void)
{
	struct settings s;

	is_int(parse(P W, &s), 0, "no [daemon]: parses");
	is_int((int)s.workers, 0, "no [daemon]: workers = auto (0)");
	settings_free(&s);
	is_int(parse("[daemon]\nworkers = 3\n" P W, &s), 0, "[daemon] workers = 3 (%s)", err);
	is_int((int)s.workers, 3, "workers = 3");
	settings_free(&s);
	is_int(parse(P W "[daemon]\nworkers = auto\n", &s), 0, "workers = auto (%s)", err);
	is_int((int)s.workers, 0, "workers = auto is 0");
	settings_free(&s);
}

static void test_file(void)
{
	char path[] = "/tmp/test_config_XXXXXX";
	struct settings s = {0};
	int fd = mkstemp(path), r;

	ok(fd >= 0, "temp file");
	if (fd < 0)
		return;
	ok(write(fd, P W, strlen(P W)) == (ssize_t)strlen(P W), "write config");
	close(fd);
	r = settings_parse_file(path, &s, err, sizeof(err));
	is_int(r, 0, "parse_file reads a config");
	is_str(s.path, path, "path recorded");
	settings_free(&s);
	unlink(path);
	r = settings_parse_file(path, &s, err, sizeof(err));
	is_int(r, -ENOENT, "missing file: -ENOENT");
	ok(strncmp(err, path, strlen(path)) == 0 && strstr(err, "No such file"),
	   "missing file error names the path: %s", err);
	r = settings_parse_file("/tmp", &s, err, sizeof(err));
	is_int(r, -EINVAL, "a directory is refused");
}

static void test_kind_names(void)
{
	is_str(proxy_kind_name(PROXY_SOCKS5), "socks5", "socks5");
	is_str(proxy_kind_name(PROXY_SOCKS5H), "socks5h", "socks5h");
	is_str(proxy_kind_name(PROXY_SOCKS4A), "socks4a", "socks4a");
	is_str(proxy_kind_name(PROXY_HTTP), "http", "http");
	is_str(proxy_kind_name(PROXY_DIRECT), "direct", "direct");
}

int main(void)
{
	test_spec_example();
	test_bad_cases();
	test_nul_and_long_lines();
	test_dns_server();
	test_daemon_section();
	test_file();
	test_kind_names();
	return tap_done();
}
