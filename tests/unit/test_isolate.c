// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_isolate.c - SipHash-2-4 against the reference vectors, and the
 * derived isolation credentials and secret file (src/proxy/isolate.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/isolate.h"
#include "util/siphash.h"
#include "tap.h"

/*
 * The reference implementation's vectors_sip64 (SipHash paper, appendix A
 * gives the n = 15 one): key 00 01 .. 0f, message 00 01 .. n-1.
 */
static const uint64_t vectors[16] = {
	UINT64_C(0x726fdb47dd0e0e31), UINT64_C(0x74f839c593dc67fd), UINT64_C(0x0d6c8009d9a94f5a),
	UINT64_C(0x85676696d7fb7e2d), UINT64_C(0xcf2794e0277187b7), UINT64_C(0x18765564cd99a68d),
	UINT64_C(0xcbc9466e58fee3ce), UINT64_C(0xab0200f58b01d137), UINT64_C(0x93f5f5799a932462),
	UINT64_C(0x9e0082df0ba9e4b0), UINT64_C(0x7a5dbbc594ddb9f3), UINT64_C(0xf4b32f46226bada7),
	UINT64_C(0x751e8fbc860ee5fb), UINT64_C(0x14ea5627c0843d90), UINT64_C(0xf723ca908e7af2ee),
	UINT64_C(0xa129ca6149be45e5),
};

static void test_siphash(void)
{
	uint8_t key[16], msg[16];

	for (int i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 16; n++) {
		uint64_t got = siphash24(key, msg, n);

		if (!ok(got == vectors[n], "siphash24: reference vector, %zu-byte message", n))
			printf("#   got %016llx\n", (unsigned long long)got);
	}
	ok(siphash24(key, NULL, 0) == vectors[0], "siphash24: NULL with length 0");
	/* 0x3f2acc7f57c29bdb: vectors_sip64[16], crosses one full word plus an empty tail. */
	ok(siphash24(key, (uint8_t[16]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		     16) == UINT64_C(0x3f2acc7f57c29bdb),
	   "siphash24: reference vector, 16-byte message");
}

static void test_user(void)
{
	struct isolate_key k = {0}, k2;
	char a[ISOLATE_USER_LEN + 1], b[ISOLATE_USER_LEN + 1];

	for (int i = 0; i < ISOLATE_KEY_LEN; i++)
		k.k[i] = (uint8_t)(i * 7 + 1);
	k2 = k;
	k2.k[31] ^= 1;
	isolate_user(&k, "profile", 1, NULL, a);
	is_int(strlen(a), ISOLATE_USER_LEN, "isolate_user: %d hex characters", ISOLATE_USER_LEN);
	ok(strspn(a, "0123456789abcdef") == ISOLATE_USER_LEN, "isolate_user: lowercase hex");
	isolate_user(&k, "profile", 1, NULL, b);
	is_str(b, a, "isolate_user: stable for the same key and input");
	isolate_user(&k, "profile", 2, NULL, b);
	ok(strcmp(a, b) != 0, "isolate_user: another subject id, another user");
	isolate_user(&k2, "profile", 1, NULL, b);
	ok(strcmp(a, b) != 0, "isolate_user: another secret (second half), another user");
	isolate_user(&k, "destination", 1, "example.com", a);
	isolate_user(&k, "destination", 1, "example.org", b);
	ok(strcmp(a, b) != 0, "isolate_user: another destination, another user");
	isolate_user(&k, "destination", 1, "", a);
	isolate_user(&k, "destination", 1, NULL, b);
	is_str(b, a, "isolate_user: NULL value hashes as empty");
	isolate_user(&k, "destination", 12, "3", a);
	isolate_user(&k, "destination", 1, "23", b);
	ok(strcmp(a, b) != 0, "isolate_user: id and value are kept apart");
}

static void test_key_file(void)
{
	char dir[] = "/tmp/netnsp-isolate.XXXXXX", path[64];
	struct isolate_key k1, k2;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, ISOLATE_KEY_FILE);
	is_int(isolate_key_load(dir, &k1), 0, "isolate_key_load: creates the secret");
	is_int(isolate_key_load(dir, &k2), 0, "isolate_key_load: reads it back");
	ok(memcmp(k1.k, k2.k, sizeof(k1.k)) == 0, "isolate_key_load: the same secret");
	{
		struct stat st;

		ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 &&
			   st.st_size == ISOLATE_KEY_LEN,
		   "isolate_key_load: file 0600, %d bytes", ISOLATE_KEY_LEN);
	}
	chmod(path, 0644);
	is_int(isolate_key_load(dir, &k2), -EPERM, "isolate_key_load: readable by others: refused");
	chmod(path, 0600);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd >= 0) {
		ok(write(fd, "x", 1) == 1, "append one byte");
		close(fd);
	}
	is_int(isolate_key_load(dir, &k2), -EBADMSG, "isolate_key_load: wrong size: refused");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_siphash();
	test_user();
	test_key_file();
	return tap_done();
}
