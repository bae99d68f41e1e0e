/* A process's CPU time and memory figures from /proc, for benchmarks measuring a server. */
#ifndef KMETRICS_TEST_PROC_USAGE_H
#define KMETRICS_TEST_PROC_USAGE_H

#include <sys/types.h>

/* utime + stime of pid, in seconds; -1 when it cannot be read. */
double pu_cpu_seconds(pid_t pid);
/* A "Name: N kB" field of /proc/pid/status (VmRSS, VmHWM...), in KiB; -1 when absent. */
long pu_status_kib(pid_t pid, const char *field);

#endif
