/* libFuzzer harness for oci_parse_config (and, on the same bytes, oci_load_identity).
 *
 * Invariants checked on every input:
 * - the return value is 0, -EINVAL or -E2BIG;
 * - on an error the identity is all-zero;
 * - on success: a runtime was recognised, has_kubernetes is set, every string field is
 *   NUL-terminated inside its array, within its Kubernetes length limit, and holds no '/',
 *   control or non-ASCII byte and is not "." or "..";
 * - parsing is deterministic (a second parse gives the same bytes);
 * - reading the same bytes from a bundle file gives the same result as parsing them in memory.
 *
 * The file comparison writes each input to a scratch bundle under /dev/shm (or /tmp), removed
 * at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover/oci_bundle.h"

#define SCRATCH_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char scratch_root[128];
static char scratch_bundle[256];
static char scratch_file[320];
static int scratch_fd = -1;

static void scratch_cleanup(void)
{
    if (scratch_fd >= 0) close(scratch_fd);
    if (scratch_file[0]) unlink(scratch_file);
    if (scratch_bundle[0]) rmdir(scratch_bundle);
    if (scratch_root[0]) rmdir(scratch_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const bases[] = {"/dev/shm", "/tmp"};

    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        snprintf(scratch_root, sizeof(scratch_root), "%s/kmetrics-fuzz-oci-XXXXXX", bases[i]);
        if (mkdtemp(scratch_root)) break;
        scratch_root[0] = '\0';
    }
    if (!scratch_root[0]) return 0; /* no scratch space: the file comparison is skipped */
    snprintf(scratch_bundle, sizeof(scratch_bundle), "%s/%s", scratch_root, SCRATCH_ID);
    snprintf(scratch_file, sizeof(scratch_file), "%s/config.json", scratch_bundle);
    if (mkdir(scratch_bundle, 0700) == 0)
        scratch_fd = open(scratch_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    atexit(scratch_cleanup);
    return 0;
}

static void check_field(const char *field, size_t cap, size_t limit)
{
    const char *nul = memchr(field, '\0', cap);
    size_t len;

    if (!nul) abort(); /* not terminated inside its array */
    len = (size_t)(nul - field);
    if (len > limit) abort();
    if ((len == 1 && field[0] == '.') || (len == 2 && field[0] == '.' && field[1] == '.')) abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)field[i];

        if (c < 0x20 || c >= 0x7f || c == '/') abort();
    }
}

#define CHECK_FIELD(f, limit) check_field((f), sizeof(f), (limit))

static void check_identity(int rc, const struct oci_identity *id)
{
    static const struct oci_identity zero;

    if (rc != 0) {
        if (rc != -EINVAL && rc != -E2BIG) abort();
        if (memcmp(id, &zero, sizeof(zero)) != 0) abort();
        return;
    }
    if (id->runtime != RUNTIME_CONTAINERD && id->runtime != RUNTIME_CRIO) abort();
    if (!id->has_kubernetes) abort();
    CHECK_FIELD(id->pod_name, K8S_NAME_MAX);
    CHECK_FIELD(id->pod_namespace, K8S_LABEL_NAME_MAX);
    CHECK_FIELD(id->pod_uid, POD_UID_MAX);
    CHECK_FIELD(id->container_name, K8S_LABEL_NAME_MAX);
}

/* The same bytes through oci_load_identity. */
static void check_file_path(const uint8_t *data, size_t size, int rc, const struct oci_identity *id)
{
    const char *dirs[] = {scratch_root};
    struct oci_identity from_file;
    int frc;

    if (scratch_fd < 0 || size > OCI_CONFIG_MAX_BYTES) return;
    if (ftruncate(scratch_fd, 0) != 0 ||
        (size && pwrite(scratch_fd, data, size, 0) != (ssize_t)size))
        return; /* out of scratch space: nothing to compare */
    memset(&from_file, 0x5a, sizeof(from_file));
    frc = oci_load_identity(dirs, 1, SCRATCH_ID, &from_file);
    if (frc != rc || memcmp(&from_file, id, sizeof(*id)) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oci_identity a, b;
    int rc, rc2;

    memset(&a, 0xa5, sizeof(a));
    rc = oci_parse_config((const char *)data, size, &a);
    check_identity(rc, &a);

    memset(&b, 0x3c, sizeof(b));
    rc2 = oci_parse_config((const char *)data, size, &b);
    if (rc2 != rc || memcmp(&a, &b, sizeof(a)) != 0) abort();

    check_file_path(data, size, rc, &a);
    return 0;
}
