/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_state.c - libFuzzer target for derivative_load_buffer().
 *
 * The state file is read at every start; whatever it holds must give either
 * a valid Derivative or -EBADMSG, never a crash.  What loads must also
 * serialise and load again to the same text (the store/load round trip).
 */
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
	for (size_t i = 0; i < d->n_subjects; i++)
		if (derivative_find(d, d->subjects[i].name) != &d->subjects[i])
			abort(); /* sorted by name, names unique */
	derivative_free(&again);
	free(t1);
	free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct derivative d = {0};
	char err[128];
	int r = derivative_load_buffer((const char *)data, size, &d, err, sizeof(err));

	if (r == 0)
		check_round_trip(&d);
	else if (r != -EBADMSG && r != -ENOMEM)
		abort();
	else if (r == -EBADMSG && (d.subjects || !memchr(err, '\0', sizeof(err)) || !err[0]))
		abort(); /* a refusal hands nothing out and always says why */
	derivative_free(&d);
	return 0;
}
