/* SPDX-License-Identifier: MIT */
/*
 * report.h — the report writers.  Each formats the report model (model.h)
 * and computes nothing of its own; none changes the engine.
 */
#ifndef BS_REPORT_H
#define BS_REPORT_H

#include <stdio.h>

#include "model.h"

/* The JSON schema version, here only (docs/report.md, "JSON schema"). */
#define BS_JSON_SCHEMA "bucketscope-report/3"

void bs_report_text(FILE *out, const struct bs_report_model *m);
void bs_report_json(FILE *out, const struct bs_report_model *m);
void bs_report_csv_maps(FILE *out, const struct bs_report_model *m);
int bs_report_svg(FILE *out, const struct bs_report_model *m);

#endif /* BS_REPORT_H */
