#include "proc_usage.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

double pu_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024], *end;
    unsigned long ut = 0, st = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof(buf), f)) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    /* utime and stime, fields 14 and 15, after the ")" that ends the command name */
    if (!(end = strrchr(buf, ')')) ||
        sscanf(end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long pu_status_kib(pid_t pid, const char *field)
{
    char path[64], line[256], fmt[64];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    snprintf(fmt, sizeof(fmt), "%s: %%ld kB", field);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        sscanf(line, fmt, &kib);
    if (f) fclose(f);
    return kib;
}
