/* SHA-256 (the cache key of every LLM call): random messages of every length around
 * the block boundaries, fed in random pieces, through the accelerated and the
 * portable compression, checked against Python's hashlib; and the FIPS 180-4 vectors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "test.h"

#define N_MSG 300
#define MAX_LEN 700

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Digest of msg[0..n) fed in random pieces, through init (hw = 1) or the portable. */
static void
digest(const unsigned char *msg, size_t n, int portable, char hex[65])
{
    struct sha256 s;
    if (portable)
        sha256_init_portable(&s);
    else
        sha256_init(&s);
    size_t at = 0;
    while (at < n) {
        size_t k = rnd() % 4 == 0 ? n - at : rnd() % (n - at + 1);
        sha256_update(&s, msg + at, k);
        at += k;
    }
    unsigned char d[32];
    sha256_final(&s, d);
    sha256_hex(d, hex);
}

static void
test_vectors(void)
{
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (int portable = 0; portable < 2; portable++) {
            digest((const unsigned char *)v[i].msg, strlen(v[i].msg), portable, hex);
            CHECK_STREQ(hex, v[i].hex);
        }
    /* a million 'a' */
    unsigned char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    for (int portable = 0; portable < 2; portable++) {
        digest(m, 1000000, portable, hex);
        CHECK_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    free(m);
}

static void
test_random_against_hashlib(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sha_msgs.txt", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    static unsigned char msg[N_MSG][MAX_LEN];
    static size_t len[N_MSG];
    static char ours[N_MSG][65];
    for (int i = 0; i < N_MSG; i++) {
        /* lengths 0..200 all, then random up to MAX_LEN; bytes of every value */
        len[i] = i <= 200 ? (size_t)i : rnd() % MAX_LEN;
        for (size_t j = 0; j < len[i]; j++)
            msg[i][j] = (unsigned char)rnd();
        char hw[65], c[65];
        digest(msg[i], len[i], 0, hw);
        digest(msg[i], len[i], 1, c);
        CHECK_STREQ(hw, c);
        memcpy(ours[i], hw, 65);
        for (size_t j = 0; j < len[i]; j++)
            fprintf(f, "%02x", msg[i][j]);
        fputc('\n', f);
    }
    fclose(f);
    char cmd[8192];
    snprintf(
        cmd, sizeof cmd,
        "python3 -c 'import hashlib,sys\n"
        "for l in open(sys.argv[1]): print(hashlib.sha256(bytes.fromhex(l.strip())).hexdigest())'"
        " '%s'",
        path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p)
        return;
    char line[128];
    int n = 0;
    while (n < N_MSG && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        CHECK_STREQ(ours[n], line);
        n++;
    }
    CHECK_EQ(pclose(p), 0);
    CHECK_EQ(n, N_MSG);
}

int
main(void)
{
    test_vectors();
    test_random_against_hashlib();
    return test_summary();
}
