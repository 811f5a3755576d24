// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_loop.c - the event loop's contract (src/relay/loop.h): an ended ev is
 * skipped for the rest of its batch, deferred objects are freed after the
 * batch in the order deferred and by their own destructor, and loop_fini()
 * frees what is still deferred; the counters count.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "relay/loop.h"

#include "tap.h"

static char order[16];
static size_t n_order;

static void note_free(void *p)
{
	if (n_order < sizeof(order) - 1)
		order[n_order++] = *(char *)p;
	free(p);
}

static char *tagged(char c)
{
	char *p = malloc(1);

	if (p)
		*p = c;
	return p;
}

/* Two evs ready in one batch; the first one's handler ends the second. */
static void test_batch(void)
{
	struct loop l;
	struct ev a = {.tag = EV_APP}, b = {.tag = EV_UP};
	struct epoll_event evs[4];
	uint64_t one = 1;
	int n, dispatched = 0;

	is_int(loop_init(&l), 0, "loop_init");
	a.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ok(a.fd >= 0 && b.fd >= 0, "two eventfds");
	is_int(loop_add(&l, &a, EPOLLIN), 0, "loop_add a");
	is_int(loop_add(&l, &b, EPOLLIN), 0, "loop_add b");
	(void)!write(a.fd, &one, sizeof(one));
	(void)!write(b.fd, &one, sizeof(one));
	n = loop_wait(&l, evs, 4, 1000);
	is_int(n, 2, "both ready in one batch");
	for (int i = 0; i < n; i++) {
		struct ev *ev = evs[i].data.ptr;

		if (!loop_live(ev))
			continue;
		dispatched++;
		/* Whichever comes first ends the other, as a connection's two fds. */
		loop_close(&l, ev == &a ? &b : &a);
	}
	is_int(dispatched, 1, "the ev ended earlier in the batch is not dispatched");
	ok(a.fd == -1 || b.fd == -1, "loop_close sets fd to -1");
	is_int((int)l.stats.batches, 1, "one batch counted");
	is_int((int)l.stats.events, 2, "two events counted");
	loop_close(&l, &a);
	loop_close(&l, &b);
	loop_close(&l, &a);
	ok(a.fd == -1 && b.fd == -1, "loop_close twice is harmless");
	loop_fini(&l);
	is_int(l.epfd, -1, "loop_fini closes the epoll fd");
}

static void test_defer(void)
{
	struct loop l;

	is_int(loop_init(&l), 0, "loop_init");
	n_order = 0;
	loop_defer_free(&l, tagged('a'), note_free);
	loop_defer_free(&l, tagged('b'), NULL); /* plain free() */
	loop_defer_free(&l, tagged('c'), note_free);
	loop_defer_free(&l, NULL, note_free); /* ignored */
	is_int((int)n_order, 0, "nothing freed before the batch ends");
	loop_reap(&l);
	order[n_order] = '\0';
	is_str(order, "ac", "destructors run after the batch, in the order deferred");
	is_int((int)l.n_deferred, 0, "the list is empty after loop_reap");
	for (int i = 0; i < 40; i++) /* past the first growth of the list */
		loop_defer_free(&l, tagged('x'), note_free);
	n_order = 0;
	loop_fini(&l);
	is_int((int)n_order, 15, "loop_fini frees what is still deferred (counted up to 15)");
}

int main(void)
{
	test_batch();
	test_defer();
	return tap_done();
}
