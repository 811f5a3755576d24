/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_transport.c - libFuzzer target for what a managed tor or i2pd writes
 * to its log pipe: transport_feed() splits it into lines, strips terminal
 * escapes and hands each to the kind's parser (tor's "Bootstrapped N%").
 * The first byte picks the kind and the chunk size the bytes arrive in, as
 * read() may cut them anywhere.  Afterwards the partial line must fit, every
 * logged line must be free of control bytes, and tor's progress must be a
 * percentage.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/transport.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct transport_ops *kind_ops;

/* Wraps the kind's log_line: what reaches it must be clean. */
static void check_line(struct transport *t, const char *msg)
{
	for (const char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	kind_ops->log_line(t, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct transport t; /* large: not on the stack */
	struct transport_ops ops;
	size_t chunk;

	if (size < 1)
		return 0;
	log_set_level(LOG_LVL_ERR);
	kind_ops = data[0] & 1 ? &i2p_ops : &tor_ops;
	ops = *kind_ops;
	ops.log_line = check_line;
	chunk = (size_t)(data[0] >> 1) * 17 + 1;
	memset(&t, 0, sizeof(t));
	t.ops = &ops;
	t.bootstrap = -1;
	data++;
	size--;
	while (size) {
		size_t k = size < chunk ? size : chunk;

		transport_feed(&t, (const char *)data, k);
		data += k;
		size -= k;
	}
	if (t.line_len >= sizeof(t.line) || t.line[t.line_len] != '\0')
		abort();
	if (t.bootstrap < -1 || t.bootstrap > 100)
		abort();
	if (strnlen(t.phase, sizeof(t.phase)) == sizeof(t.phase))
		abort();
	return 0;
}
