/* A deliberately tiny unit-test harness: CHECK macros that count and report
 * failures with file:line, and test_summary() that turns them into the exit status.
 *
 *   int main(void) { CHECK(1 + 1 == 2); CHECK_EQ(f(), 3); return test_summary(); }
 *
 * Each test file is its own executable, so the counters are file-local statics. */
#ifndef PS_TESTS_UNIT_TEST_H
#define PS_TESTS_UNIT_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks, test_failures;

#define CHECK(cond) \
    do { \
        test_checks++; \
        if (!(cond)) { \
            test_failures++; \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

/* Integer comparison (values are widened to long long for the message). */
#define CHECK_EQ(got, want) \
    do { \
        long long test_g_ = (long long)(got), test_w_ = (long long)(want); \
        test_checks++; \
        if (test_g_ != test_w_) { \
            test_failures++; \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, expected %lld\n", __FILE__, \
                    __LINE__, #got, test_g_, test_w_); \
        } \
    } while (0)

/* Floating-point comparison within an absolute tolerance (NaN never passes). */
#define CHECK_NEAR(got, want, tol) \
    do { \
        double test_gd_ = (got), test_wd_ = (want); \
        test_checks++; \
        if (!(fabs(test_gd_ - test_wd_) <= (tol))) { \
            test_failures++; \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s == %.10g, expected %.10g\n", __FILE__, \
                    __LINE__, #got, test_gd_, test_wd_); \
        } \
    } while (0)

/* String comparison; NULL only equals NULL. */
#define CHECK_STREQ(got, want) \
    do { \
        const char *test_g_ = (got), *test_w_ = (want); \
        test_checks++; \
        if ((!test_g_ || !test_w_) ? test_g_ != test_w_ : strcmp(test_g_, test_w_) != 0) { \
            test_failures++; \
            fprintf(stderr, "%s:%d: CHECK_STREQ failed: %s == \"%.200s\", expected \"%.200s\"\n", \
                    __FILE__, __LINE__, #got, test_g_ ? test_g_ : "(null)", \
                    test_w_ ? test_w_ : "(null)"); \
        } \
    } while (0)

/* Does `hay` contain `needle`? (for error messages) */
#define CHECK_CONTAINS(hay, needle) \
    do { \
        const char *test_h_ = (hay), *test_n_ = (needle); \
        test_checks++; \
        if (!test_h_ || !strstr(test_h_, test_n_)) { \
            test_failures++; \
            fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: %s == \"%.300s\" lacks \"%s\"\n", \
                    __FILE__, __LINE__, #hay, test_h_ ? test_h_ : "(null)", test_n_); \
        } \
    } while (0)

/* Write `n` bytes to dir/name and return the path in a static buffer (tests only). */
static inline const char *
test_write(const char *dir, const char *name, const void *data, size_t n)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "test_write: cannot write %s\n", path);
        test_failures++;
    }
    return path;
}

/* A fresh temporary directory, removed by test_summary(). */
static char test_dir_[64];
static inline const char *
test_tmpdir(void)
{
    if (!test_dir_[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(test_dir_, sizeof test_dir_, "%.40s/psunitXXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(test_dir_)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return test_dir_;
}

/* Print the tally; returns the process exit status (0 when every check passed). */
static inline int
test_summary(void)
{
    if (test_dir_[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir_);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", test_dir_);
    }
    fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);
    return test_failures ? 1 : 0;
}

#endif
