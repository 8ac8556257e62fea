/* SPDX-License-Identifier: MIT */
/* reader.c — what every reader shares: the names of the input kinds. */
#include "reader.h"

const char *const bs_input_kind_name[BS_INPUT_KINDS] = {"native", "bpftrace", "ctf"};
