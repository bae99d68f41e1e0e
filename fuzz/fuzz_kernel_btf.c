/* Fuzzes the kernel BTF scanner: no crash, overread or endless pass on any bytes, reads
 * through the callback only, and offsets found only with a reason given for any refusal. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover/kernel_btf.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *data;
    size_t len;
    unsigned reads;
};

/* Short reads of varying length, as sysfs and a slow file give. */
static ssize_t read_input(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct input *in = ctx;

    in->reads++;
    if (off >= in->len) return 0;
    if (len > in->len - off) len = in->len - (size_t)off;
    if (len > 1 + (off % 97)) len = 1 + (off % 97);
    memcpy(buf, in->data + off, len);
    return (ssize_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan sees any read past the end. */
    uint8_t *buf = malloc(size ? size : 1);
    struct input in = {buf, size, 0};
    struct cgroup_event_offsets o;
    char err[256] = "";
    int rc;

    if (!buf) return 0;
    memcpy(buf, data, size);
    rc = kernel_btf_cgroup_offsets(read_input, &in, &o, err, sizeof(err));
    CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -ENOMEM);
    CHECK(rc == 0 || err[0] != '\0');
    /* A handful of passes over the input, never more. */
    CHECK(in.reads <= 16 * (size + 1));
    free(buf);
    return 0;
}
