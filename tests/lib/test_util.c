#include "test_util.h"

#include "clock.h"

#include <limits.h>
#include <sys/wait.h>
#include <time.h>

int tu_mkdirs(const char *fmt, ...)
{
    char path[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) return -errno;
        *p = '/';
    }
    if (mkdir(path, 0755) && errno != EEXIST) return -errno;
    return 0;
}

int tu_write_file(const char *path, const char *data, size_t len)
{
    char dir[4096];
    char *slash;
    int fd;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (tu_mkdirs("%s", dir)) return -errno;
    }
    if (len == (size_t)-1) len = strlen(data);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        data += n;
        len -= (size_t)n;
    }
    close(fd);
    return 0;
}

static int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rm_rf(const char *path)
{
    nftw(path, tu_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

int tu_tmpdir(char *out, size_t outlen, const char *tag)
{
    snprintf(out, outlen, "/tmp/kmetrics-%s-XXXXXX", tag);
    return mkdtemp(out) ? 0 : -errno;
}

int tu_build_dir(char *out, size_t n)
{
    char exe[4096], probe[4096 + 32];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (l <= 0) return -1;
    exe[l] = '\0';
    while ((slash = strrchr(exe, '/')) && slash != exe) {
        *slash = '\0';
        snprintf(probe, sizeof(probe), "%s/kmetrics-collector", exe);
        if (access(probe, X_OK) == 0) {
            snprintf(out, n, "%s", exe);
            return 0;
        }
    }
    return -1;
}

long long tu_cpu_usage_usec(const char *cgroup_dir)
{
    char path[PATH_MAX + 16], key[64];
    long long v, found = -1;
    FILE *f;

    snprintf(path, sizeof(path), "%s/cpu.stat", cgroup_dir);
    if (!(f = fopen(path, "r"))) return -1;
    while (fscanf(f, "%63s %lld", key, &v) == 2)
        if (strcmp(key, "usage_usec") == 0) found = v;
    fclose(f);
    return found;
}

int tu_run_cpu_job(const char *cgroup_dir, long cpu_ms)
{
    int status;
    pid_t job = fork();

    if (job < 0) return -1;
    if (job == 0) {
        char procs[PATH_MAX + 16];
        struct timespec ts;

        snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_dir);
        if (tu_write_file(procs, "0\n", (size_t)-1) != 0) _exit(126);
        do
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        while (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L < cpu_ms);
        _exit(0);
    }
    if (waitpid(job, &status, 0) != job) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

json_t *tu_json_find_by(json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *item;

    json_array_foreach(array, i, item)
    {
        const char *v = json_string_value(json_object_get(item, key));
        if (v && strcmp(v, value) == 0) return item;
    }
    return NULL;
}

double tu_mono_s(void)
{
    return (double)clock_mono_ns() / 1e9;
}
