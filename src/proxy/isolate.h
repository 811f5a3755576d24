/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isolate.h - SOCKS5 credentials for stream isolation.
 *
 * Tor's IsolateSOCKSAuth (on by default) puts streams with different
 * username/password pairs (RFC 1929) on different circuits.  netnsp sends a
 * username derived from a per-install secret and what is to be kept apart:
 * the subject's id (isolate = profile) or the subject's id and the
 * destination (isolate = destination).  The derivation is a keyed hash
 * (SipHash-2-4 twice, with the two halves of the secret), so it is stable
 * for as long as the secret and the subject's id live (both are kept in the
 * state dir), and a proxy cannot learn the profile's name or id from it, nor
 * link the names of two installations.
 */
#ifndef NETNSP_ISOLATE_H
#define NETNSP_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

#define ISOLATE_KEY_LEN 32  /* bytes of the per-install secret */
#define ISOLATE_USER_LEN 32 /* hex characters of a derived username */
#define ISOLATE_PASS "netnsp"
#define ISOLATE_KEY_FILE "isolate.key"

struct isolate_key {
	uint8_t k[ISOLATE_KEY_LEN];
};

/**
 * isolate_user() - the SOCKS5 username for @scope and @value.
 * @key: the per-install secret.
 * @scope: what is isolated ("profile", "destination"); part of the hashed message.
 * @id: the subject's id from the Derivative.
 * @value: more to hash (a destination name or address), or NULL.
 * @out: receives ISOLATE_USER_LEN lowercase hex characters and a NUL.
 */
void isolate_user(const struct isolate_key *key, const char *scope, uint32_t id, const char *value,
		  char out[ISOLATE_USER_LEN + 1]);

/**
 * isolate_key_load() - read the secret from @dir/isolate.key, creating it on first use.
 * @dir: the state dir (root-owned, 0700).
 * @key: receives the secret.
 *
 * A new secret comes from getrandom(2) and is written with mode 0600
 * (O_EXCL, then renamed into place, so a crash never leaves a short file).
 * An existing file must be a regular root-owned file of exactly
 * ISOLATE_KEY_LEN bytes that nobody else can read.
 *
 * Return: 0, -EPERM (wrong owner or mode), -EBADMSG (wrong size), or the
 * negative errno of a failed call.
 */
int isolate_key_load(const char *dir, struct isolate_key *key);

#endif
