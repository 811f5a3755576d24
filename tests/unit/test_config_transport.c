/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config_transport.c - i2p-config = FILE (src/config/config-transport.c):
 * a file that only tunes i2pd is taken, one that would open a listener or an
 * outproxy, or set what netnsp sets, is a config error naming its line; the
 * key belongs to url = i2p only; conf_file_sig() follows the content.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tap.h"

static char dir[] = "/tmp/nsp-ct-XXXXXX";
static char path[64], err[CONF_ERR_MAX];

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Parse a config whose proxy @kind has i2p-config = path, with @text in that file. */
static int parse_with(const char *url, const char *text)
{
	char conf[256];
	struct settings s = {0};
	int r;

	put(text);
	snprintf(conf, sizeof(conf), "[proxy p]\nurl = %s\ni2p-config = %s\n", url, path);
	err[0] = '\0';
	r = settings_parse_buffer(conf, strlen(conf), "t.conf", &s, err, sizeof(err));
	settings_free(&s);
	return r;
}

struct bad {
	const char *text;
	const char *why; /* what follows "t.conf:3: i2p-config: PATH: " */
};

static const struct bad bads[] = {
	{"[httpproxy]\nenabled = true\n", "line 1: [httpproxy] opens a listener or an outproxy"},
	{"# c\n[ SAM ]\n", "line 2: [SAM] opens a listener or an outproxy"},
	{"[limits]\ntransittunnels = 10\n[bob]\n", "line 3: [bob] opens a listener"},
	{"httpproxy.enabled = true\n", "line 1: 'httpproxy.enabled' opens a listener"},
	{"bandwidth = L\n socksproxy.outproxy = 1.2.3.4\n", "line 2: 'socksproxy.outproxy'"},
	{"i2cp.enabled=true\n", "line 1: 'i2cp.enabled' opens"},
	{"upnp.enabled = true\n", "line 1: 'upnp.enabled' opens"},
	{"i2pcontrol.port = 7650\n", "line 1: 'i2pcontrol.port'"},
	{"http.enabled = true\n", "line 1: 'http.enabled'"},
	{"tunconf = /tmp/t.conf\n", "line 1: 'tunconf' is set by netnsp"},
	{"log = file\n", "line 1: 'log' is set by netnsp"},
	{"bandwidth\n", "line 1: 'bandwidth' is not 'key = value'"},
	{"[limits\n", "line 1: '[limits': no closing ']'"},
};

int main(void)
{
	char want[512];
	uint64_t a, b;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/i2p-extra", dir);

	is_int(parse_with("i2p", "# tune i2pd\nbandwidth = P\nlimits.transittunnels = 50\n"
				 "[limits]\nopenfiles = 4096\n[ntcp2]\nenabled = true\n"
				 "[http2]\nfoo = 1\n"),
	       0, "a file that only tunes i2pd is taken (%s)", err);
	/* Inside a section a key is that section's: not one netnsp sets at the top. */
	is_int(parse_with("i2p", "[addressbook]\nsubscriptions = http://x.i2p/h.txt\n"), 0,
	       "keys inside an allowed section are taken (%s)", err);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int r = parse_with("i2p", bads[i].text);

		snprintf(want, sizeof(want), "t.conf:3: i2p-config: %s: %s", path, bads[i].why);
		if (!ok(r == -EINVAL && strncmp(err, want, strlen(want)) == 0, "refused: %s",
			bads[i].why))
			printf("#   got %d '%s'\n#   want '%s...'\n", r, err, want);
	}
	is_int(parse_with("socks5://127.0.0.1:1080", "bandwidth = P\n"), -EINVAL,
	       "i2p-config on another kind of proxy: refused");
	is_str(err, "t.conf:3: i2p-config: only for url = i2p", "and the error says so");
	{
		char conf[256];
		struct settings s = {0};

		unlink(path);
		snprintf(conf, sizeof(conf), "[proxy p]\nurl = i2p\ni2p-config = %s\n", path);
		ok(settings_parse_buffer(conf, strlen(conf), "t.conf", &s, err, sizeof(err)) ==
				   -EINVAL &&
			   strstr(err, "No such file"),
		   "a missing file is a config error (%s)", err);
		settings_free(&s);
		snprintf(conf, sizeof(conf), "[proxy p]\nurl = i2p\ni2p-config = relative\n");
		ok(settings_parse_buffer(conf, strlen(conf), "t.conf", &s, err, sizeof(err)) ==
				   -EINVAL &&
			   strstr(err, "absolute path"),
		   "a relative path is refused (%s)", err);
		settings_free(&s);
	}

	put("bandwidth = P\n");
	a = conf_file_sig(path);
	put("bandwidth = P\n");
	is_int(conf_file_sig(path) == a, 1, "same content, same fingerprint");
	put("bandwidth = O\n");
	b = conf_file_sig(path);
	ok(b != a && a > 1 && b > 1, "changed content, another fingerprint");
	is_int((int)conf_file_sig(NULL), 0, "no file: 0");
	unlink(path);
	is_int((int)conf_file_sig(path), 1, "unreadable: 1");
	rmdir(dir);
	return tap_done();
}
