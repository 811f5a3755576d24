/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy-internal.h - what the handshake files of src/proxy share: a bounded
 * writer for requests, the input accumulator, and one start/step pair per
 * protocol.  Not for use outside src/proxy.
 */
#ifndef NETNSP_PROXY_INTERNAL_H
#define NETNSP_PROXY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy/proxy.h"

/*
 * A bounded writer over hs->out: every put checks the room left and latches
 * @bad instead of writing past the end, so a builder checks once at the end.
 */
struct proxy_wr {
	uint8_t *buf; /* borrowed: hs->out */
	size_t len;
	size_t cap;
	bool bad; /* a put did not fit */
};

static inline void proxy_wr_init(struct proxy_wr *w, struct proxy_hs *hs)
{
	w->buf = hs->out;
	w->len = 0;
	w->cap = sizeof(hs->out);
	w->bad = false;
}

static inline void proxy_wr_mem(struct proxy_wr *w, const void *p, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void proxy_wr_u8(struct proxy_wr *w, uint8_t v)
{
	proxy_wr_mem(w, &v, 1);
}

static inline void proxy_wr_be16(struct proxy_wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	proxy_wr_mem(w, b, sizeof(b));
}

static inline void proxy_wr_str(struct proxy_wr *w, const char *s)
{
	proxy_wr_mem(w, s, strlen(s));
}

/* Hand the written request to @hs; -EINVAL if it did not fit PROXY_OUT_MAX. */
int proxy_wr_finish(struct proxy_wr *w, struct proxy_hs *hs);

size_t proxy_hs_take(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t need);
bool proxy_hs_has_user(const struct proxy_hs *hs);

int socks5_hs_start(struct proxy_hs *hs);
int socks5_hs_pipeline(struct proxy_hs *hs);
int socks5_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used);
int socks5_hs_bound(const struct proxy_hs *hs, struct proxy_target *bnd);
int socks4_hs_start(struct proxy_hs *hs);
int socks4_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used);
int http_hs_start(struct proxy_hs *hs);
int http_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used);

size_t proxy_base64_encode(char *dst, size_t dst_size, const uint8_t *src, size_t len);

#endif
