/* Records the collector's snapshots and, as each arrives, what /proc says.
 *   kmetrics-collector --format=json ... | snaprec SNAP_FILE PROC_FILE
 * Appends every line of stdin to SNAP_FILE, and after each one a line to PROC_FILE: busy
 * jiffies from /proc/stat (user + nice + system + irq + softirq + steal) and MemTotal,
 * MemFree, AnonPages, Cached, Buffers, Inactive(file) in KiB from /proc/meminfo; then writes
 * the number of lines so far to SNAP_FILE.count. Reads stdin buffered (a shell reads a pipe a
 * byte at a time, too slow under TCG for snapshots of tens of KiB: the collector would block
 * on its stdout). Static. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long busy_jiffies(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");

    if (!f) return 0;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) != 8)
        memset(v, 0, sizeof(v));
    fclose(f);
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static void meminfo(FILE *out)
{
    static const char *const keys[] = {
        "MemTotal:", "MemFree:", "AnonPages:", "Cached:", "Buffers:", "Inactive(file):"};
    unsigned long long got[6] = {0}, val;
    char key[64], line[256];
    FILE *f = fopen("/proc/meminfo", "r");

    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63s %llu", key, &val) != 2) continue;
        for (int i = 0; i < 6; i++)
            if (strcmp(key, keys[i]) == 0) got[i] = val;
    }
    if (f) fclose(f);
    for (int i = 0; i < 6; i++)
        fprintf(out, " %llu", got[i]);
}

int main(int argc, char **argv)
{
    char countpath[4096], *line = NULL;
    size_t cap = 0;
    unsigned long n = 0;
    FILE *snap, *proc;

    if (argc != 3) {
        fprintf(stderr, "usage: snaprec SNAP_FILE PROC_FILE\n");
        return 2;
    }
    snap = fopen(argv[1], "a");
    proc = fopen(argv[2], "a");
    if (!snap || !proc) {
        perror("snaprec");
        return 1;
    }
    snprintf(countpath, sizeof(countpath), "%s.count", argv[1]);
    while (getline(&line, &cap, stdin) > 0) {
        char num[32];
        int fd, len;

        fputs(line, snap);
        fflush(snap);
        fprintf(proc, "%llu", busy_jiffies());
        meminfo(proc);
        fputc('\n', proc);
        fflush(proc);
        len = snprintf(num, sizeof(num), "%lu\n", ++n);
        fd = open(countpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            if (write(fd, num, (size_t)len) != len) perror("snaprec: count");
            close(fd);
        }
    }
    free(line);
    return 0;
}
