// SPDX-License-Identifier: MIT
#include "tests/host/host_bench_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bench_result {
	char name[96];
	double value;
	const char *unit;
};

#define MAX_RESULTS	64

static struct bench_result results[MAX_RESULTS];
static int nr_results;
/* The 1-minute load before the bench began loading the machine itself. */
static double start_load = -1;

void bench_add(const char *unit, double value, const char *fmt, ...)
{
	struct bench_result *r;
	va_list ap;

	if (nr_results == MAX_RESULTS) {
		fprintf(stderr, "bench_add: more than %d figures\n",
			MAX_RESULTS);
		exit(2);
	}
	r = &results[nr_results];
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	/* The name is the JSON key: two figures under one name lose one. */
	for (int i = 0; i < nr_results; i++) {
		if (!strcmp(results[i].name, r->name)) {
			fprintf(stderr, "bench_add: '%s' recorded twice\n",
				r->name);
			exit(2);
		}
	}
	nr_results++;
	r->value = value;
	r->unit = unit;
	printf("%-52s %14.2f %s\n", r->name, value, unit);
	fflush(stdout);
}

static double load_average(double load[3])
{
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	return load[0];
}

void bench_header(const char *bench, const char *suffix)
{
	double load[3];

	start_load = load_average(load);
	printf("# %s: %ld cores online, load average %.2f %.2f %.2f%s\n",
	       bench, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1],
	       load[2], suffix);
}

void bench_write_json(const char *path)
{
	double load[3];
	FILE *f;
	int i;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fprintf(f, "{\n  \"cores\": %ld,\n  \"loadavg\": %.2f,\n",
		sysconf(_SC_NPROCESSORS_ONLN),
		start_load >= 0 ? start_load : load_average(load));
	for (i = 0; i < nr_results; i++)
		fprintf(f, "  \"%s\": {\"value\": %.2f, \"unit\": \"%s\"}%s\n",
			results[i].name, results[i].value, results[i].unit,
			i + 1 < nr_results ? "," : "");
	fprintf(f, "}\n");
	fclose(f);
}
