/*
 * main.c — runs the rule tests: all suites, or the one named by argv[1]
 * (ctest runs one suite per test so a failure names its rule family).
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "unit.h"

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: unit_tests [suite]\n");
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    suite_sizing();
    suite_delete();
    suite_growth();
    suite_iteration();
    suite_clear();
    suite_misuse();
    suite_types();
    suite_release();
    suite_aliasing();
    if (CU_get_error() != CUE_SUCCESS) {
        fprintf(stderr, "registering tests failed: %s\n", CU_get_error_msg());
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (argc == 2) {
        CU_pSuite s = CU_get_suite(argv[1]);
        if (!s) {
            fprintf(stderr, "unit_tests: no suite named '%s'\n", argv[1]);
            CU_cleanup_registry();
            return 2;
        }
        CU_basic_run_suite(s);
    } else {
        CU_basic_run_tests();
    }
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
