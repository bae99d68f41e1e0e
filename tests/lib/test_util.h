/* Small helpers shared by the cmocka tests: temporary trees and files, and where the build
 * outputs are. */
#ifndef KMETRICS_TEST_UTIL_H
#define KMETRICS_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* mkdir -p of a printf-formatted path; returns 0 or -errno. */
int tu_mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes len bytes (or strlen(data) when len is (size_t)-1) to a file, creating parents. */
int tu_write_file(const char *path, const char *data, size_t len);

/* rm -rf; only ever called on directories the test made itself. */
void tu_rm_rf(const char *path);

/* Fresh temporary directory "/tmp/kmetrics-<tag>-XXXXXX" written into out. */
int tu_tmpdir(char *out, size_t outlen, const char *tag);

/* CLOCK_MONOTONIC in seconds, for deadlines and measured waits. */
double tu_mono_s(void);

/* A cgroup directory's cpu.stat usage_usec (reading it makes the kernel flush its per-CPU
 * counters), or -1. */
long long tu_cpu_usage_usec(const char *cgroup_dir);

/* Runs a job in cgroup_dir that burns cpu_ms of CPU and exits; waits for it. 0 when it ran
 * all of it there, else -1. */
int tu_run_cpu_job(const char *cgroup_dir, long cpu_ms);

/* The object of a JSON array whose string member key is value, or NULL. */
json_t *tu_json_find_by(json_t *array, const char *key, const char *value);

/* The build output directory (build/ or build/asan/) the running test or benchmark belongs
 * to: the nearest directory above its binary holding kmetrics-collector. 0 or -1. */
int tu_build_dir(char *out, size_t n);

#endif
