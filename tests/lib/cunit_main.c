/* SPDX-License-Identifier: MIT */
/*
 * cunit_main.c — the CUnit runner of every test program (cunit_util.h).
 */
#include <CUnit/Basic.h>

#include "cunit_util.h"

int cunit_main(int argc, char **argv, const char *prog, void (*add_suites)(void))
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [suite]\n", prog);
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    add_suites();
    if (CU_get_error() != CUE_SUCCESS) {
        fprintf(stderr, "registering tests failed: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (argc == 2) {
        CU_pSuite s = CU_get_suite(argv[1]);
        if (!s) {
            fprintf(stderr, "%s: no suite named '%s'\n", prog, argv[1]);
            CU_cleanup_registry();
            return 2;
        }
        CU_basic_run_suite(s);
    } else {
        CU_basic_run_tests();
    }
    /* A fatal assertion ends its test with one failure counted; a test can
     * also fail without an assertion (its suite's setup failed).  Either
     * fails the program. */
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
