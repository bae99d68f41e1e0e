/* The offsets the cgroup event program reads, from BTF: built BTF in both type orders, every
 * way of getting a member or a tracepoint wrong, every truncation; and this kernel's BTF
 * against libbpf's reading of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "discover/kernel_btf.h"

/* ---- a small BTF writer ------------------------------------------------------------------- */

enum {
    INT = 1,
    PTR = 2,
    STRUCT = 4,
    UNION = 5,
    TYPEDEF = 8,
    CONST = 10,
    FUNC_PROTO = 13,
    VAR = 14,
    DATASEC = 15
};

struct bb {
    uint32_t types[1024]; /* the type section, in 32-bit words */
    size_t nwords;
    char strs[1024];
    size_t slen;
    uint32_t next_id;
    uint8_t blob[8192];
    size_t len;
};

static void bb_init(struct bb *b)
{
    memset(b, 0, sizeof(*b));
    b->slen = 1; /* offset 0: "" */
    b->next_id = 1;
}

static uint32_t bb_str(struct bb *b, const char *s)
{
    uint32_t off = (uint32_t)b->slen;

    if (!s || !s[0]) return 0;
    memcpy(b->strs + b->slen, s, strlen(s) + 1);
    b->slen += strlen(s) + 1;
    return off;
}

static void bb_word(struct bb *b, uint32_t v)
{
    b->types[b->nwords++] = v;
}

/* A type record; returns its id. Members, parameters or int data follow with the calls below. */
static uint32_t bb_type(struct bb *b, const char *name, unsigned kind, unsigned vlen, bool kflag,
                        uint32_t size_or_type)
{
    bb_word(b, bb_str(b, name));
    bb_word(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
    bb_word(b, size_or_type);
    return b->next_id++;
}

static uint32_t bb_int(struct bb *b, const char *name, unsigned bytes)
{
    uint32_t id = bb_type(b, name, INT, 0, false, bytes);

    bb_word(b, bytes * 8); /* encoding 0, bit offset 0 */
    return id;
}

static void bb_member(struct bb *b, const char *name, uint32_t type, uint32_t offset)
{
    bb_word(b, bb_str(b, name));
    bb_word(b, type);
    bb_word(b, offset);
}

static void bb_param(struct bb *b, uint32_t type)
{
    bb_word(b, 0);
    bb_word(b, type);
}

static void bb_finish(struct bb *b)
{
    uint32_t hdr[6] = {
        0xeB9F | 1u << 16, 24, 0, (uint32_t)(b->nwords * 4), (uint32_t)(b->nwords * 4),
        (uint32_t)b->slen};

    memcpy(b->blob, hdr, sizeof(hdr));
    memcpy(b->blob + 24, b->types, b->nwords * 4);
    memcpy(b->blob + 24 + b->nwords * 4, b->strs, b->slen);
    b->len = 24 + b->nwords * 4 + b->slen;
}

struct blob {
    const uint8_t *data;
    size_t len;
    unsigned reads;
};

static ssize_t read_blob(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct blob *bl = ctx;

    bl->reads++;
    if (off >= bl->len) return 0;
    if (len > bl->len - off) len = bl->len - (size_t)off;
    if (len > 100) len = 100; /* short reads, as sysfs gives */
    memcpy(buf, bl->data + off, len);
    return (ssize_t)len;
}

static int offsets_of(const uint8_t *data, size_t len, struct cgroup_event_offsets *out, char *err,
                      size_t errlen)
{
    struct blob bl = {data, len, 0};

    return kernel_btf_cgroup_offsets(read_blob, &bl, out, err, errlen);
}

/* What a kernel's BTF holds of these types, with knobs for each way it can be wrong. */
struct shape {
    bool types_last; /* struct cgroup before the types its members name */
    bool level_ptr;  /* level is a pointer */
    bool id_u32;     /* kernfs_node.id is 4 bytes */
    bool id_union;   /* kernfs_node.id is a union (kernels before 5.5) */
    bool kn_bitfield;
    bool no_kernfs_node;
    bool no_rmdir;
    bool tp_two_params;
    bool tp_int_arg; /* the first argument is an int, not a struct cgroup * */
    bool second_cgroup_differs;
    bool typedef_loop; /* level's type is a typedef of itself */
};

static void build(struct bb *b, const struct shape *sh)
{
    uint32_t t_int, t_u64raw, t_u64, t_u32, t_kn, t_knp, t_root, t_rootp, t_cg, t_cgp, t_char,
        t_cchar, t_ccharp, t_voidp, t_proto, t_protop, t_union, t_loop = 0;
    /* Ids are assigned in order; with types_last, the struct cgroup comes first and names the
     * ids its member types will get. */
    uint32_t base = sh->types_last ? 2 : 1;

    bb_init(b);
    if (sh->types_last) {
        /* struct cgroup (id 1) naming ids yet to come (as assigned below): kn's pointer
         * base+6, root's base+8, int base+0. */
        bb_type(b, "cgroup", STRUCT, 3, sh->kn_bitfield, 512);
        bb_member(b, "kn", base + 6, sh->kn_bitfield ? (8u << 24) | 2048 : 2048);
        bb_member(b, "root", base + 8, 2112);
        bb_member(b, "level", sh->level_ptr ? base + 6 : base + 0, 288);
    }
    t_int = bb_int(b, "int", 4); /* base+0 */
    assert_int_equal(t_int, base);
    t_u64raw = bb_int(b, "long long unsigned int", 8);
    t_u64 = bb_type(b, "u64", TYPEDEF, 0, false, t_u64raw);
    t_u32 = bb_int(b, "unsigned int", 4);
    t_union = bb_type(b, "kernfs_node_id", UNION, 1, false, 8);
    bb_member(b, "id", t_u64, 0);
    t_kn = sh->no_kernfs_node ? bb_type(b, "other", STRUCT, 0, false, 8)
                              : bb_type(b, "kernfs_node", STRUCT, 2, false, 128);
    if (!sh->no_kernfs_node) {
        bb_member(b, "count", t_int, 0);
        bb_member(b, "id", sh->id_union ? t_union : sh->id_u32 ? t_u32 : t_u64, 512);
    }
    t_knp = bb_type(b, "", PTR, 0, false, t_kn); /* base+6 */
    t_root = bb_type(b, "cgroup_root", STRUCT, 2, false, 64);
    bb_member(b, "kf_root", t_knp, 0);
    bb_member(b, "hierarchy_id", t_int, 128);
    t_rootp = bb_type(b, "", PTR, 0, false, t_root); /* base+8 */
    assert_int_equal(t_knp, base + 6);
    assert_int_equal(t_rootp, base + 8);
    if (sh->typedef_loop) {
        t_loop = b->next_id;
        bb_type(b, "looped", TYPEDEF, 0, false, t_loop);
    }
    if (!sh->types_last) {
        t_cg = bb_type(b, "cgroup", STRUCT, 3, sh->kn_bitfield, 512);
        bb_member(b, "kn", t_knp, sh->kn_bitfield ? (8u << 24) | 2048 : 2048);
        bb_member(b, "root", t_rootp, 2112);
        bb_member(b, "level", sh->typedef_loop ? t_loop : sh->level_ptr ? t_knp : t_int, 288);
    } else {
        t_cg = 1;
    }
    if (sh->second_cgroup_differs) {
        bb_type(b, "cgroup", STRUCT, 1, false, 512);
        bb_member(b, "kn", t_knp, 4096);
    }
    t_cgp = bb_type(b, "", PTR, 0, false, sh->tp_int_arg ? t_int : t_cg);
    t_char = bb_int(b, "char", 1);
    t_cchar = bb_type(b, "", CONST, 0, false, t_char);
    t_ccharp = bb_type(b, "", PTR, 0, false, t_cchar);
    t_voidp = bb_type(b, "", PTR, 0, false, 0);
    t_proto = bb_type(b, "", FUNC_PROTO, sh->tp_two_params ? 2 : 3, false, 0);
    bb_param(b, t_voidp);
    bb_param(b, t_cgp);
    if (!sh->tp_two_params) bb_param(b, t_ccharp);
    t_protop = bb_type(b, "", PTR, 0, false, t_proto);
    bb_type(b, "btf_trace_cgroup_mkdir", TYPEDEF, 0, false, t_protop);
    if (!sh->no_rmdir) bb_type(b, "btf_trace_cgroup_rmdir", TYPEDEF, 0, false, t_protop);
    bb_finish(b);
}

static int offsets_for(const struct shape *sh, struct cgroup_event_offsets *out, char *err,
                       size_t errlen)
{
    static struct bb b;

    build(&b, sh);
    return offsets_of(b.blob, b.len, out, err, errlen);
}

static void test_finds_offsets(void **state)
{
    struct cgroup_event_offsets o;
    char err[256] = "";

    (void)state;
    for (int last = 0; last <= 1; last++) {
        struct shape sh = {.types_last = last};

        memset(&o, 0xff, sizeof(o));
        assert_int_equal(offsets_for(&sh, &o, err, sizeof(err)), 0);
        assert_int_equal(o.cgroup_kn, 256);
        assert_int_equal(o.cgroup_root, 264);
        assert_int_equal(o.cgroup_level, 36);
        assert_int_equal(o.root_hierarchy_id, 16);
        assert_int_equal(o.kn_id, 64);
        /* Without the rstat structs the events still load, without the usage read. */
        assert_false(o.usage);
        assert_non_null(strstr(o.usage_why, "no struct cgroup with a member bstat"));
    }
}

static void expect(const struct shape *sh, int rc, const char *why)
{
    struct cgroup_event_offsets o;
    char err[256] = "";

    assert_int_equal(offsets_for(sh, &o, err, sizeof(err)), rc);
    if (!strstr(err, why)) fail_msg("error \"%s\" does not say \"%s\"", err, why);
}

static void test_refuses_what_the_program_cannot_read(void **state)
{
    (void)state;
    expect(&(struct shape){.level_ptr = true}, -EINVAL, "level is not a 4-byte integer");
    expect(&(struct shape){.id_u32 = true}, -EINVAL, "id is not a 8-byte integer");
    expect(&(struct shape){.id_union = true}, -EINVAL, "id is not a 8-byte integer");
    expect(&(struct shape){.kn_bitfield = true}, -EINVAL, "kn is a bitfield");
    expect(&(struct shape){.types_last = true, .kn_bitfield = true}, -EINVAL, "bitfield");
    expect(&(struct shape){.no_kernfs_node = true}, -ENOENT, "no struct kernfs_node");
    expect(&(struct shape){.no_rmdir = true}, -ENOENT, "no tracepoint cgroup_rmdir");
    expect(&(struct shape){.tp_two_params = true}, -EINVAL, "does not pass");
    expect(&(struct shape){.tp_int_arg = true}, -EINVAL, "does not pass");
    expect(&(struct shape){.second_cgroup_differs = true}, -EINVAL, "two struct cgroup");
    expect(&(struct shape){.typedef_loop = true}, -EINVAL, "level is not");
}

static void test_refuses_malformed_btf(void **state)
{
    static struct bb b;
    struct cgroup_event_offsets o;
    char err[256];
    uint8_t copy[sizeof(b.blob)];

    (void)state;
    build(&b, &(struct shape){0});
    /* Every truncation fails cleanly (the header's lengths promise more than is there). */
    for (size_t n = 0; n < b.len; n++)
        assert_int_not_equal(offsets_of(b.blob, n, &o, err, sizeof(err)), 0);

    memcpy(copy, b.blob, b.len);
    copy[0] ^= 0xff;
    assert_int_equal(offsets_of(copy, b.len, &o, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not BTF"));

    /* A kind this reader does not know cannot be skipped: refused, not guessed. */
    memcpy(copy, b.blob, b.len);
    copy[24 + 7] = 25; /* the first type's info word, kind byte */
    assert_int_equal(offsets_of(copy, b.len, &o, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "unknown BTF kind 25"));

    /* A type section that claims to run into the string section's end. */
    memcpy(copy, b.blob, b.len);
    {
        uint32_t type_len;
        memcpy(&type_len, copy + 12, 4);
        type_len += 4;
        memcpy(copy + 12, &type_len, 4);
    }
    assert_int_not_equal(offsets_of(copy, b.len, &o, err, sizeof(err)), 0);
}

/* The generic query as the run-queue program makes it: a tracepoint passing integers of given
 * sizes and pointers to a given struct (sched_switch: bool, task *, task *, unsigned int). */
static int switch_query(bool state_u64, bool prev_not_task, int nargs, char *err, size_t errlen)
{
    static struct bb b;
    static const struct kernel_btf_member members[] = {KERNEL_BTF_MEMBER("task_struct", "pid", 4)};
    const struct kernel_btf_tracepoint tps[] = {
        {"sched_switch",
         (unsigned)nargs,
         {{NULL, 1}, {"task_struct", 0}, {"task_struct", 0}, {NULL, 4}}},
    };
    uint32_t t_int, t_bool, t_u32, t_u64, t_task, t_taskp, t_other, t_otherp, t_voidp, t_proto,
        off[1] = {0};
    struct blob bl;
    int rc;

    bb_init(&b);
    t_int = bb_int(&b, "int", 4);
    t_bool = bb_int(&b, "_Bool", 1);
    t_u32 = bb_int(&b, "unsigned int", 4);
    t_u64 = bb_int(&b, "long long unsigned int", 8);
    t_task = bb_type(&b, "task_struct", STRUCT, 1, false, 4096);
    bb_member(&b, "pid", t_int, 2432 * 8);
    t_taskp = bb_type(&b, "", PTR, 0, false, t_task);
    t_other = bb_type(&b, "rq", STRUCT, 0, false, 64);
    t_otherp = bb_type(&b, "", PTR, 0, false, t_other);
    t_voidp = bb_type(&b, "", PTR, 0, false, 0);
    t_proto = bb_type(&b, "", FUNC_PROTO, 5, false, 0);
    bb_param(&b, t_voidp);
    bb_param(&b, t_bool);
    bb_param(&b, prev_not_task ? t_otherp : t_taskp);
    bb_param(&b, t_taskp);
    bb_param(&b, state_u64 ? t_u64 : t_u32);
    bb_type(&b, "btf_trace_sched_switch", TYPEDEF, 0, false,
            bb_type(&b, "", PTR, 0, false, t_proto));
    bb_finish(&b);
    bl = (struct blob){b.blob, b.len, 0};
    rc = kernel_btf_offsets(read_blob, &bl, members, 1, tps, 1, off, err, errlen);
    if (rc == 0) assert_int_equal(off[0], 2432);
    return rc;
}

static void test_tracepoint_arguments_of_each_kind(void **state)
{
    char err[256] = "";

    (void)state;
    assert_int_equal(switch_query(false, false, 4, err, sizeof(err)), 0);
    assert_int_equal(switch_query(true, false, 4, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "tracepoint sched_switch does not pass"));
    assert_int_equal(switch_query(false, true, 4, err, sizeof(err)), -EINVAL);
    assert_int_equal(switch_query(false, false, 3, err, sizeof(err)), -EINVAL);
    assert_int_equal(switch_query(false, false, KERNEL_BTF_MAX_ARGS + 1, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "too many arguments"));
}

/* Structs in place, per-CPU variables and optional members, as the rmdir usage read asks:
 * struct outer { ...; struct inner in at 16; u32 bits:3 at 40 }, struct inner { u64 x at 8 },
 * and in ".data..percpu" a struct rq runqueues at 4096 and a u64 this_cpu_off at 8. */
static int nested_query(const struct kernel_btf_member *members, size_t n, uint32_t *off, char *err,
                        size_t errlen)
{
    static struct bb b;
    uint32_t t_u64, t_u32, t_inner, t_rq, v_rq, v_off;
    struct blob bl;

    bb_init(&b);
    t_u64 = bb_int(&b, "long unsigned int", 8);
    t_u32 = bb_int(&b, "unsigned int", 4);
    t_inner = bb_type(&b, "inner", STRUCT, 1, false, 16);
    bb_member(&b, "x", t_u64, 8 * 8);
    bb_type(&b, "outer", STRUCT, 2, true, 64);
    bb_member(&b, "in", t_inner, 16 * 8);
    bb_member(&b, "bits", t_u32, 3u << 24 | 40 * 8);
    t_rq = bb_type(&b, "rq", STRUCT, 0, false, 64);
    v_rq = bb_type(&b, "runqueues", VAR, 0, false, t_rq);
    bb_word(&b, 1); /* global */
    v_off = bb_type(&b, "this_cpu_off", VAR, 0, false, t_u64);
    bb_word(&b, 1);
    bb_type(&b, ".data..percpu", DATASEC, 2, false, 8192);
    bb_word(&b, v_off); /* each variable: type, offset, size */
    bb_word(&b, 8);
    bb_word(&b, 8);
    bb_word(&b, v_rq);
    bb_word(&b, 4096);
    bb_word(&b, 64);
    bb_finish(&b);
    bl = (struct blob){b.blob, b.len, 0};
    return kernel_btf_offsets(read_blob, &bl, members, n, NULL, 0, off, err, errlen);
}

static void test_structs_in_place_section_variables_and_optional_members(void **state)
{
    const struct kernel_btf_member ok[] = {
        {.strct = "outer", .member = "in", .of_struct = "inner"},
        KERNEL_BTF_MEMBER("inner", "x", 8),
        {.strct = ".data..percpu", .member = "runqueues", .of_struct = "rq"},
        KERNEL_BTF_MEMBER(".data..percpu", "this_cpu_off", 8),
        /* Optional, and each not there as read. */
        {.strct = "outer", .member = "missing", .optional = true},
        {.strct = "outer", .member = "in", .of_struct = "rq", .optional = true},
        {.strct = "outer", .member = "bits", .int_size = 4, .optional = true},
        {.strct = ".data..percpu", .member = "nope", .int_size = 8, .optional = true},
        {.strct = ".data..percpu", .member = "runqueues", .int_size = 8, .optional = true},
    };
    uint32_t off[9];
    char err[256] = "";

    (void)state;
    assert_int_equal(nested_query(ok, 9, off, err, sizeof(err)), 0);
    assert_int_equal(off[0], 16);
    assert_int_equal(off[1], 8);
    assert_int_equal(off[2], 4096);
    assert_int_equal(off[3], 8);
    for (int i = 4; i < 9; i++)
        assert_int_equal(off[i], KERNEL_BTF_ABSENT);

    /* The same, required: refused, saying why. */
    assert_int_equal(
        nested_query(
            &(struct kernel_btf_member){.strct = "outer", .member = "in", .of_struct = "rq"}, 1,
            off, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "struct outer: in is not a struct rq"));
    assert_int_equal(
        nested_query(&(struct kernel_btf_member){.strct = "outer", .member = "bits", .int_size = 4},
                     1, off, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "bits is a bitfield"));
    assert_int_equal(
        nested_query(&(struct kernel_btf_member)KERNEL_BTF_MEMBER(".data..percpu", "nope", 8), 1,
                     off, err, sizeof(err)),
        -ENOENT);
    assert_non_null(strstr(err, "no variable nope in .data..percpu"));
    assert_int_equal(
        nested_query(&(struct kernel_btf_member)KERNEL_BTF_MEMBER(".data..percpu", "runqueues", 8),
                     1, off, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "section .data..percpu: runqueues is not a 8-byte integer"));
}

static ssize_t read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
    return pread(*(int *)ctx, buf, len, (off_t)off);
}

/* libbpf's reading of this kernel's BTF: the byte offset of member in struct, or -1. */
static long libbpf_offset(const struct btf *btf, const char *strct, const char *member)
{
    int id = btf__find_by_name_kind(btf, strct, BTF_KIND_STRUCT);
    const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
    const struct btf_member *m = t ? btf_members(t) : NULL;

    for (unsigned i = 0; t && i < btf_vlen(t); i++)
        if (strcmp(btf__name_by_offset(btf, m[i].name_off), member) == 0)
            return (long)(btf_member_bit_offset(t, i) / 8);
    return -1;
}

/* libbpf's reading: the offset of a variable in the per-CPU section, or -1. */
static long libbpf_percpu_offset(const struct btf *btf, const char *var)
{
    int id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
    const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
    const struct btf_var_secinfo *v = t ? btf_var_secinfos(t) : NULL;

    for (unsigned i = 0; t && i < btf_vlen(t); i++)
        if (strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, v[i].type)->name_off), var) == 0)
            return (long)v[i].offset;
    return -1;
}

static void test_this_kernel_agrees_with_libbpf(void **state)
{
    struct cgroup_event_offsets o;
    struct btf *btf;
    char err[256];

    (void)state;
    if (access(KERNEL_BTF_PATH, R_OK) != 0) skip();
    assert_int_equal(kernel_btf_cgroup_offsets_file(KERNEL_BTF_PATH, &o, err, sizeof(err)), 0);
    btf = btf__parse(KERNEL_BTF_PATH, NULL);
    assert_non_null(btf);
    assert_int_equal(o.cgroup_kn, libbpf_offset(btf, "cgroup", "kn"));
    assert_int_equal(o.cgroup_root, libbpf_offset(btf, "cgroup", "root"));
    assert_int_equal(o.cgroup_level, libbpf_offset(btf, "cgroup", "level"));
    assert_int_equal(o.root_hierarchy_id, libbpf_offset(btf, "cgroup_root", "hierarchy_id"));
    assert_int_equal(o.kn_id, libbpf_offset(btf, "kernfs_node", "id"));
    /* The usage read: both kernels here (6.1 and 6.18) have one of its two layouts. */
    assert_true(o.usage);
    {
        bool base = libbpf_offset(btf, "cgroup", "rstat_base_cpu") >= 0;
        const char *pcpu = base ? "cgroup_rstat_base_cpu" : "cgroup_rstat_cpu";
        long sum = libbpf_offset(btf, "cgroup_base_stat", "cputime") +
                   libbpf_offset(btf, "task_cputime", "sum_exec_runtime");

        assert_string_equal(o.usage_layout, pcpu);
        assert_int_equal(o.cgroup_rstat,
                         libbpf_offset(btf, "cgroup", base ? "rstat_base_cpu" : "rstat_cpu"));
        assert_int_equal(o.cgroup_bstat_sum, libbpf_offset(btf, "cgroup", "bstat") + sum);
        assert_int_equal(o.rstat_bstat_sum, libbpf_offset(btf, pcpu, "bstat") + sum);
        assert_int_equal(o.rstat_last_bstat_sum, libbpf_offset(btf, pcpu, "last_bstat") + sum);
        assert_int_equal(o.task_cfs_rq, libbpf_offset(btf, "task_struct", "se") +
                                            libbpf_offset(btf, "sched_entity", "cfs_rq"));
        assert_int_equal(o.cfs_rq_rq, libbpf_offset(btf, "cfs_rq", "rq"));
        assert_int_equal(o.pcpu_runqueues, libbpf_percpu_offset(btf, "runqueues"));
        assert_int_equal(o.pcpu_this_cpu_off, libbpf_percpu_offset(btf, "this_cpu_off"));
    }
    btf__free(btf);

    /* The same through the callback, a few bytes per read. */
    {
        int fd = open(KERNEL_BTF_PATH, O_RDONLY);
        struct cgroup_event_offsets o2;

        assert_true(fd >= 0);
        assert_int_equal(kernel_btf_cgroup_offsets(read_fd, &fd, &o2, err, sizeof(err)), 0);
        assert_memory_equal(&o, &o2, sizeof(o));
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_offsets),
        cmocka_unit_test(test_refuses_what_the_program_cannot_read),
        cmocka_unit_test(test_refuses_malformed_btf),
        cmocka_unit_test(test_tracepoint_arguments_of_each_kind),
        cmocka_unit_test(test_structs_in_place_section_variables_and_optional_members),
        cmocka_unit_test(test_this_kernel_agrees_with_libbpf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
