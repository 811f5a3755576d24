/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_state.c - libFuzzer target for derivative_load_buffer().
 *
 * The state file is read at every start; whatever it holds must give either
 * a valid Derivative or -EBADMSG, never a crash.  What loads must also
 * serialise and load again to the same text (the store/load round trip),
 * be sorted so that lookups find every entry, give a reload plan against
 * empty Settings that removes exactly its named profiles, and survive
 * derivative_drop_profile() still loadable.  Every entry's fake-IP mappings
 * must pass derivative_set_fakes() again: the loader and the writer agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct derivative *d)
{
	struct derivative again = {0};
	char *t1 = NULL, *t2 = NULL;
	char err[256];

	if (derivative_to_json(d, STATE_JSON_PLAIN, &t1) < 0)
		abort(); /* everything that loads must be storable */
	if (derivative_load_buffer(t1, strlen(t1), &again, err, sizeof(err)) != 0)
		abort();
	if (derivative_to_json(&again, STATE_JSON_PLAIN, &t2) < 0 || strcmp(t1, t2) != 0)
		abort();
	for (size_t i = 0; i < d->n_subjects; i++) {
		const struct subject_state *e = &d->subjects[i];

		if (e->kind == SUBJ_NAMED && derivative_find(d, e->name) != e)
			abort(); /* sorted, named names unique */
		if (e->kind == SUBJ_PID && (derivative_find_pid(d, e->pid) != e || e->netns))
			abort(); /* pids unique, no netns */
	}
	derivative_free(&again);
	free(t1);
	free(t2);
}

/* Hand each entry a copy of its own mappings: the same rules must accept them, same order. */
static void check_fakes(struct derivative *d)
{
	for (size_t i = 0; i < d->n_subjects; i++) {
		struct subject_state *e = &d->subjects[i];
		struct fake_map *copy = calloc(e->n_fakes ? e->n_fakes : 1, sizeof(*copy));
		size_t n = e->n_fakes;

		if (!copy)
			return;
		for (size_t k = 0; k < n; k++) {
			copy[k] = e->fakes[k];
			copy[k].name = strdup(e->fakes[k].name);
			if (!copy[k].name)
				abort(); /* keep it simple: the fuzzer has memory */
		}
		if (n > 1) /* reversed, so the callee must sort */
			for (size_t k = 0; k < n / 2; k++) {
				struct fake_map t = copy[k];

				copy[k] = copy[n - 1 - k];
				copy[n - 1 - k] = t;
			}
		if (derivative_set_fakes(e, copy, n) != 0 || e->n_fakes != n)
			abort();
		for (size_t k = 1; k < n; k++)
			if (ntohl(e->fakes[k - 1].v4.s_addr) >= ntohl(e->fakes[k].v4.s_addr))
				abort(); /* sorted by address, addresses unique */
	}
}

/* Against empty Settings every named entry is removed, nothing else listed. */
static void check_plan(const struct derivative *d)
{
	struct settings none = {.path = "fuzz"};
	struct derive_change *c = NULL;
	size_t n = 0, named = 0;

	if (derive_plan(d, &none, &c, &n) < 0)
		return; /* -ENOMEM */
	for (size_t i = 0; i < d->n_subjects; i++)
		named += d->subjects[i].kind == SUBJ_NAMED;
	if (n != named)
		abort();
	for (size_t i = 0; i < n; i++)
		if (c[i].what != CHANGE_REMOVED || c[i].n_keys ||
		    (i && strcmp(c[i - 1].profile, c[i].profile) >= 0))
			abort();
	derive_plan_free(c, n);
}

/* Dropping the first entry's profile removes all of its entries and keeps the rest valid. */
static void check_drop(struct derivative *d)
{
	size_t before = d->n_subjects;
	char *name;
	int n;

	if (!before)
		return;
	name = strdup(d->subjects[0].name);
	if (!name)
		return;
	n = derivative_drop_profile(d, name);
	if (n < 1 || (size_t)n + d->n_subjects != before)
		abort();
	for (size_t i = 0; i < d->n_subjects; i++)
		if (strcmp(d->subjects[i].name, name) == 0)
			abort();
	free(name);
	check_round_trip(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct derivative d = {0};
	char err[128];
	int r = derivative_load_buffer((const char *)data, size, &d, err, sizeof(err));

	if (r == 0) {
		check_round_trip(&d);
		check_fakes(&d);
		check_round_trip(&d);
		check_plan(&d);
		check_drop(&d);
	} else if (r != -EBADMSG && r != -ENOMEM)
		abort();
	else if (r == -EBADMSG && (d.subjects || !memchr(err, '\0', sizeof(err)) || !err[0]))
		abort(); /* a refusal hands nothing out and always says why */
	derivative_free(&d);
	return 0;
}
