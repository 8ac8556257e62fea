/* SPDX-License-Identifier: MIT */
/*
 * main.c — runs the rule tests: all suites, or the one named by argv[1]
 * (ctest runs one suite per test so a failure names its rule family).
 */
#include "cunit_util.h"
#include "unit.h"

static void add_suites(void)
{
    suite_sizing();
    suite_delete();
    suite_growth();
    suite_iteration();
    suite_clear();
    suite_misuse();
    suite_types();
    suite_release();
    suite_aliasing();
    suite_hash();
    suite_memory();
    suite_block_cache();
}

int main(int argc, char **argv)
{
    return cunit_main(argc, argv, "unit_tests", add_suites);
}
