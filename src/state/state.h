/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the Derivative: Settings plus runtime facts (SPEC.md "Words").
 *
 * derive() is a pure function of (Settings, previous Derivative, runtime
 * facts); derivative_store() writes JSON atomically (temp, fsync, rename,
 * fsync dir); derivative_load() validates everything it reads and refuses a
 * corrupt file rather than trusting part of it.
 */
#ifndef NETNSP_STATE_H
#define NETNSP_STATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define DERIVATIVE_VERSION 1
#define STATE_FILE_NAME "state.json"

/* Identity of a network namespace: nsfs (st_dev, st_ino) plus SO_NETNS_COOKIE. */
struct ns_ident {
	uint64_t dev;
	uint64_t ino;
	uint64_t cookie; /* 0 if the kernel has no SO_NETNS_COOKIE */
};

struct subject_state {
	char *name;		/* owned: profile name */
	uint32_t id;		/* stable, unique, >= 1, never reused while the entry lives */
	char *netns;		/* owned: namespace name under /run/netns */
	struct ns_ident ns;	/* identity recorded at the last apply; all 0 = not yet */
	struct in_addr uplink4;	/* 100.64.0.0/10 + id*4 + 1, a /32 on the uplink device */
	struct in6_addr uplink6; /* fd6e:7370:0:ID::1, a /128 on the uplink device (ULA) */
	char *snapshot;		/* owned: canonical JSON text of the profile and its chain */
};

struct derivative {
	int version;			/* DERIVATIVE_VERSION */
	bool have_root;			/* @root was recorded */
	struct ns_ident root;		/* the daemon's netns at first start */
	struct subject_state *subjects;	/* owned array, sorted by name */
	size_t n_subjects;
	uint32_t next_id;		/* next id to hand out, > every id in @subjects */
};

/**
 * profile_snapshot() - canonical JSON of a profile and every proxy it uses.
 * @s: validated settings.
 * @p: one of its profiles.
 *
 * Same inputs give byte-identical text, so snapshots compare with strcmp().
 *
 * Return: malloc'd string, or NULL on allocation failure.
 */
char *profile_snapshot(const struct settings *s, const struct profile_conf *p);

/**
 * derive() - compute the Derivative for @s.
 * @s: validated settings.
 * @prev: the previous Derivative (may have no subjects; never NULL).
 * @root_now: identity of the namespace the daemon runs in.
 * @out: filled on success; release with derivative_free().
 *
 * An entry of @prev whose profile still exists keeps its id and addresses
 * (and its recorded ns identity); its snapshot is refreshed.  Entries of
 * removed profiles are dropped.  New profiles get next_id.  @root is copied
 * from @prev if recorded there, else taken from @root_now.
 *
 * Return: 0, -ENOMEM, -ENOSPC when ids are exhausted, or -EINVAL for settings
 * that did not pass validation.
 */
int derive(const struct settings *s, const struct derivative *prev, const struct ns_ident *root_now,
	   struct derivative *out);

/**
 * derivative_find() - the entry of profile @name.
 * @d: derivative.
 * @name: profile name.
 *
 * Return: the entry or NULL.
 */
struct subject_state *derivative_find(const struct derivative *d, const char *name);

/**
 * derivative_load_buffer() - parse and validate a Derivative from JSON text.
 * @buf: text.
 * @len: its length.
 * @out: filled on success.
 * @err: one line saying what is wrong and where (JSON path).
 * @errlen: size of @err.
 *
 * Return: 0, or -EBADMSG for any malformed, foreign or impossible content.
 */
int derivative_load_buffer(const char *buf, size_t len, struct derivative *out, char *err,
			   size_t errlen);

/**
 * derivative_load() - read @path with derivative_load_buffer().
 * @path: state file.
 * @out: filled on success; an empty Derivative when the file does not exist.
 * @err: message on failure.
 * @errlen: size of @err.
 *
 * Return: 0 (also for a missing file), -EBADMSG if corrupt, or a negative errno.
 */
int derivative_load(const char *path, struct derivative *out, char *err, size_t errlen);

/**
 * derivative_store() - write @d to @path atomically, mode 0600.
 * @path: state file; its directory is created 0700 if missing.
 * @d: derivative.
 *
 * Return: 0 or a negative errno.
 */
int derivative_store(const char *path, const struct derivative *d);

/**
 * derivative_set_aside() - rename a corrupt @path to PATH.corrupt-YYYYmmddTHHMMSS.
 * @path: state file.
 * @newpath: receives the new name.
 * @len: size of @newpath.
 *
 * Return: 0 or a negative errno.
 */
int derivative_set_aside(const char *path, char *newpath, size_t len);

/**
 * derivative_free() - release what @d owns; accepts a zeroed struct.
 * @d: derivative.
 */
void derivative_free(struct derivative *d);

#endif
