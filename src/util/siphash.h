/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012): a keyed hash with a 128-bit key and a 64-bit
 * output.  netnsp uses it as a PRF to derive SOCKS5 credentials for stream
 * isolation, so a proxy learns nothing about the profile behind them.
 */
#ifndef NETNSP_SIPHASH_H
#define NETNSP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/**
 * siphash24() - SipHash-2-4 of @len bytes at @data.
 * @key: 16 bytes; k0 is bytes 0..7 and k1 bytes 8..15, little-endian (the paper's convention).
 * @data: message, may be NULL when @len is 0.
 * @len: its length.
 *
 * Return: the 64-bit tag.
 */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
