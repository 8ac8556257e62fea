/* SPDX-License-Identifier: MIT */
/*
 * cunit_util.h — what every CUnit test program shares: the runner behind
 * main() and a failure macro that says what differed.
 */
#ifndef BS_CUNIT_UTIL_H
#define BS_CUNIT_UTIL_H

#include <CUnit/CUnit.h>
#include <stdio.h>

/*
 * Registers the program's suites with add_suites(), then runs the suite
 * named by argv[1], or every suite without an argument (ctest runs one
 * suite per test so that a failure names its family).  prog names the
 * program in messages.  Returns main()'s exit status: 0 when every test
 * passed, 1 when one failed or CUnit itself did, 2 for a usage error or
 * an unknown suite name.
 */
int cunit_main(int argc, char **argv, const char *prog, void (*add_suites)(void));

/* Fail the current test with a printf-formatted message, printed at once
 * with its file and line (CU_FAIL alone records only a fixed string). */
#define FAILF(...)                                                                                 \
    do {                                                                                           \
        char msg_[256];                                                                            \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                  \
        fprintf(stderr, "\n    %s:%d: %s\n", __FILE__, __LINE__, msg_);                            \
        CU_FAIL(msg_);                                                                             \
    } while (0)

#endif /* BS_CUNIT_UTIL_H */
