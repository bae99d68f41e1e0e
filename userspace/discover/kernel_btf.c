#include "kernel_btf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The BTF format (the kernel's Documentation/bpf/btf.rst), native byte order as sysfs gives
 * it: a header, then a type section of variable-length records (type ids count from 1 in
 * order), then a string section of NUL-terminated names that records refer to by offset. */
#define BTF_MAGIC 0xeB9F
#define HEADER_SIZE 24
#define CHUNK (16 * 1024) /* all that is held of the file at a time */
#define NAME_MAX_LEN 31   /* longer strings are none of the names looked for */
#define MAX_NAME_DUPS 4   /* offsets kept per name (deduplicated BTF has one) */
#define MAX_TYPES 128     /* types looked at to check kinds: about 45 are */
#define MAX_PASSES 8      /* over the type section, following references backwards */
#define MAX_HOPS 16       /* typedefs and modifiers followed from one type */

enum kind {
    KIND_VOID = 0,
    KIND_INT = 1,
    KIND_PTR = 2,
    KIND_ARRAY = 3,
    KIND_STRUCT = 4,
    KIND_UNION = 5,
    KIND_ENUM = 6,
    KIND_FWD = 7,
    KIND_TYPEDEF = 8,
    KIND_VOLATILE = 9,
    KIND_CONST = 10,
    KIND_RESTRICT = 11,
    KIND_FUNC = 12,
    KIND_FUNC_PROTO = 13,
    KIND_VAR = 14,
    KIND_DATASEC = 15,
    KIND_FLOAT = 16,
    KIND_DECL_TAG = 17,
    KIND_TYPE_TAG = 18,
    KIND_ENUM64 = 19,
};

enum name {
    N_CGROUP,
    N_CGROUP_ROOT,
    N_KERNFS_NODE,
    N_KN,
    N_ROOT,
    N_LEVEL,
    N_HIERARCHY_ID,
    N_ID,
    N_TP_MKDIR,
    N_TP_RMDIR,
    /* The last CPU usage of a removed cgroup (optional: see cgroup_event_offsets.usage). */
    N_BSTAT,
    N_LAST_BSTAT,
    N_CPUTIME,
    N_SUM_EXEC_RUNTIME,
    N_CGROUP_BASE_STAT,
    N_TASK_CPUTIME,
    N_RSTAT_BASE_CPU,   /* struct cgroup's per-CPU base stats, 6.15 on */
    N_RSTAT_CPU,        /* the same before */
    N_S_RSTAT_BASE_CPU, /* their structs */
    N_S_RSTAT_CPU,
    N_TASK_STRUCT,
    N_SCHED_ENTITY,
    N_CFS_RQ,
    N_SE,
    N_RQ,
    N_PERCPU_SECTION,
    N_RUNQUEUES,
    N_THIS_CPU_OFF,
    N_COUNT
};

static const char *const names[N_COUNT] = {
    [N_CGROUP] = "cgroup",
    [N_CGROUP_ROOT] = "cgroup_root",
    [N_KERNFS_NODE] = "kernfs_node",
    [N_KN] = "kn",
    [N_ROOT] = "root",
    [N_LEVEL] = "level",
    [N_HIERARCHY_ID] = "hierarchy_id",
    [N_ID] = "id",
    /* The typedefs the kernel declares for each tracepoint's BPF prototype. */
    [N_TP_MKDIR] = "btf_trace_cgroup_mkdir",
    [N_TP_RMDIR] = "btf_trace_cgroup_rmdir",
    [N_BSTAT] = "bstat",
    [N_LAST_BSTAT] = "last_bstat",
    [N_CPUTIME] = "cputime",
    [N_SUM_EXEC_RUNTIME] = "sum_exec_runtime",
    [N_CGROUP_BASE_STAT] = "cgroup_base_stat",
    [N_TASK_CPUTIME] = "task_cputime",
    [N_RSTAT_BASE_CPU] = "rstat_base_cpu",
    [N_RSTAT_CPU] = "rstat_cpu",
    [N_S_RSTAT_BASE_CPU] = "cgroup_rstat_base_cpu",
    [N_S_RSTAT_CPU] = "cgroup_rstat_cpu",
    [N_TASK_STRUCT] = "task_struct",
    [N_SCHED_ENTITY] = "sched_entity",
    [N_CFS_RQ] = "cfs_rq",
    [N_SE] = "se",
    [N_RQ] = "rq",
    [N_PERCPU_SECTION] = ".data..percpu",
    [N_RUNQUEUES] = "runqueues",
    [N_THIS_CPU_OFF] = "this_cpu_off",
};

enum field_kind { FK_PTR, FK_INT, FK_STRUCT };

/* One member the program reads, and what it must be. */
struct field {
    enum name strct, member;
    enum field_kind kind;
    uint32_t int_size;   /* FK_INT: bytes */
    enum name type_name; /* FK_STRUCT: the struct's name */
    bool optional;       /* part of the usage read: its absence turns that off, nothing more */
    bool found;
    uint32_t offset, type; /* byte offset; the member's type id */
};

/* What the program reads: each member in its struct, what it must be. */
#define F_PTR(strct_, member_, opt_)                                                               \
    {                                                                                              \
        .strct = strct_, .member = member_, .kind = FK_PTR, .optional = opt_                       \
    }
#define F_INT(strct_, member_, size_, opt_)                                                        \
    {                                                                                              \
        .strct = strct_, .member = member_, .kind = FK_INT, .int_size = size_, .optional = opt_    \
    }
#define F_STRUCT(strct_, member_, type_)                                                           \
    {                                                                                              \
        .strct = strct_, .member = member_, .kind = FK_STRUCT, .type_name = type_,                 \
        .optional = true                                                                           \
    }
enum field_id {
    F_CGROUP_KN,
    F_CGROUP_ROOT,
    F_CGROUP_LEVEL,
    F_ROOT_HIERARCHY_ID,
    F_KN_ID,
    F_CGROUP_BSTAT,
    F_BSTAT_CPUTIME,
    F_CPUTIME_SUM,
    F_CGROUP_RSTAT_BASE_CPU,
    F_RSTAT_BASE_BSTAT,
    F_RSTAT_BASE_LAST_BSTAT,
    F_CGROUP_RSTAT_CPU,
    F_RSTAT_BSTAT,
    F_RSTAT_LAST_BSTAT,
    F_TASK_SE,
    F_SE_CFS_RQ,
    F_CFS_RQ_RQ,
    NFIELDS
};
static const struct field wanted[NFIELDS] = {
    [F_CGROUP_KN] = F_PTR(N_CGROUP, N_KN, false),
    [F_CGROUP_ROOT] = F_PTR(N_CGROUP, N_ROOT, false),
    [F_CGROUP_LEVEL] = F_INT(N_CGROUP, N_LEVEL, 4, false),
    [F_ROOT_HIERARCHY_ID] = F_INT(N_CGROUP_ROOT, N_HIERARCHY_ID, 4, false),
    [F_KN_ID] = F_INT(N_KERNFS_NODE, N_ID, 8, false),
    [F_CGROUP_BSTAT] = F_STRUCT(N_CGROUP, N_BSTAT, N_CGROUP_BASE_STAT),
    [F_BSTAT_CPUTIME] = F_STRUCT(N_CGROUP_BASE_STAT, N_CPUTIME, N_TASK_CPUTIME),
    [F_CPUTIME_SUM] = F_INT(N_TASK_CPUTIME, N_SUM_EXEC_RUNTIME, 8, true),
    /* The per-CPU part: struct cgroup_rstat_base_cpu since 6.15, struct cgroup_rstat_cpu
     * before; tried in that order. */
    [F_CGROUP_RSTAT_BASE_CPU] = F_PTR(N_CGROUP, N_RSTAT_BASE_CPU, true),
    [F_RSTAT_BASE_BSTAT] = F_STRUCT(N_S_RSTAT_BASE_CPU, N_BSTAT, N_CGROUP_BASE_STAT),
    [F_RSTAT_BASE_LAST_BSTAT] = F_STRUCT(N_S_RSTAT_BASE_CPU, N_LAST_BSTAT, N_CGROUP_BASE_STAT),
    [F_CGROUP_RSTAT_CPU] = F_PTR(N_CGROUP, N_RSTAT_CPU, true),
    [F_RSTAT_BSTAT] = F_STRUCT(N_S_RSTAT_CPU, N_BSTAT, N_CGROUP_BASE_STAT),
    [F_RSTAT_LAST_BSTAT] = F_STRUCT(N_S_RSTAT_CPU, N_LAST_BSTAT, N_CGROUP_BASE_STAT),
    /* The running CPU's per-CPU offset: current->se.cfs_rq->rq is that CPU's runqueues. */
    [F_TASK_SE] = F_STRUCT(N_TASK_STRUCT, N_SE, N_SCHED_ENTITY),
    [F_SE_CFS_RQ] = F_PTR(N_SCHED_ENTITY, N_CFS_RQ, true),
    [F_CFS_RQ_RQ] = F_PTR(N_CFS_RQ, N_RQ, true),
};

/* Per-CPU variables whose place in .data..percpu the usage read needs. */
enum { V_RUNQUEUES, V_THIS_CPU_OFF, NVARS };

/* A type looked at while checking kinds. */
struct type_info {
    uint32_t id;
    bool known;
    uint8_t kind;
    uint16_t vlen;
    uint32_t name_off;
    uint32_t ref;       /* INT, STRUCT: size in bytes; PTR, TYPEDEF, modifiers: the type */
    uint32_t int_data;  /* INT: encoding << 24 | bit offset << 16 | bits */
    uint32_t params[3]; /* FUNC_PROTO: its first three parameters' types */
};

struct reader {
    btf_read_fn read;
    void *ctx;
    uint64_t pos, end; /* the next byte handed out; the end of the section read */
    uint64_t buf_off;  /* the file offset of buf[0] */
    size_t buf_len;
    uint8_t buf[CHUNK];
};

struct scan {
    struct reader rd;
    uint64_t types_start, types_end, strs_start, strs_end;
    uint32_t name_offs[N_COUNT][MAX_NAME_DUPS];
    unsigned nnames[N_COUNT];
    struct field fields[NFIELDS];
    int field_rc[NFIELDS]; /* check_field's last answer */
    char field_why[NFIELDS][96];
    uint32_t var_id[NVARS]; /* the VARs' type ids (0: not seen) */
    bool var_placed[NVARS];
    uint32_t var_off[NVARS], var_size[NVARS]; /* in .data..percpu */
    bool tp_found[2];
    uint32_t tp_type[2];
    struct type_info types[MAX_TYPES];
    size_t ntypes, nunknown;
    char *err;
    size_t errlen;
    bool said; /* err holds the reason */
};

static int fail(struct scan *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct scan *s, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->err, s->errlen, fmt, ap);
    va_end(ap);
    s->said = true;
    return rc;
}

/* A failed read: the data ended early (-ENODATA), or the read itself failed. */
static int read_failed(struct scan *s, int rc, const char *what)
{
    if (s->said) return rc;
    if (rc == -ENODATA) return fail(s, -EINVAL, "%s cut short", what);
    return fail(s, rc, "reading %s: %s", what, strerror(-rc));
}

static int type_failed(struct scan *s, int rc, uint32_t id)
{
    char what[32];

    snprintf(what, sizeof(what), "type %u", id);
    return read_failed(s, rc, what);
}

/* ---- reading ------------------------------------------------------------------------------ */

static void rd_seek(struct reader *r, uint64_t pos, uint64_t end)
{
    r->pos = pos;
    r->end = end;
}

/* Bytes of the section buffered from r->pos on (reading more when none are), or -errno;
 * -ENODATA when the section or the file ends first. */
static ssize_t rd_fill(struct reader *r)
{
    size_t want, avail;
    ssize_t n;

    if (r->pos >= r->end) return -ENODATA;
    if (r->pos < r->buf_off || r->pos - r->buf_off >= r->buf_len) {
        want = r->end - r->pos < CHUNK ? (size_t)(r->end - r->pos) : CHUNK;
        n = r->read(r->ctx, r->pos, r->buf, want);
        if (n < 0) return n;
        if (n == 0) return -ENODATA;
        r->buf_off = r->pos;
        r->buf_len = (size_t)n < want ? (size_t)n : want;
    }
    /* What an earlier section left buffered may run past this one's end. */
    avail = r->buf_len - (size_t)(r->pos - r->buf_off);
    return (ssize_t)(avail < r->end - r->pos ? avail : (size_t)(r->end - r->pos));
}

static int rd_get(struct reader *r, void *dst, size_t n)
{
    uint8_t *d = dst;

    if (n > r->end - r->pos) return -ENODATA;
    while (n > 0) {
        ssize_t avail = rd_fill(r);
        size_t k;

        if (avail < 0) return (int)avail;
        k = (size_t)avail < n ? (size_t)avail : n;
        memcpy(d, r->buf + (r->pos - r->buf_off), k);
        d += k;
        n -= k;
        r->pos += k;
    }
    return 0;
}

static int rd_skip(struct reader *r, uint64_t n)
{
    if (n > r->end - r->pos) return -ENODATA;
    r->pos += n;
    return 0;
}

/* ---- names -------------------------------------------------------------------------------- */

static bool is_name(const struct scan *s, enum name which, uint32_t off)
{
    for (unsigned i = 0; i < s->nnames[which]; i++)
        if (s->name_offs[which][i] == off) return true;
    return false;
}

static void note_string(struct scan *s, const char *str, size_t n, uint32_t off)
{
    for (int i = 0; i < N_COUNT; i++)
        if (strlen(names[i]) == n && memcmp(names[i], str, n) == 0 && s->nnames[i] < MAX_NAME_DUPS)
            s->name_offs[i][s->nnames[i]++] = off;
}

/* Records where each name is in the string section. Only whole strings count: a name that is
 * the tail of another string is not found, and the program is not loaded. */
static int strings_pass(struct scan *s)
{
    char cur[NAME_MAX_LEN];
    size_t n = 0;
    bool too_long = false;
    uint64_t start = 0; /* the current string's offset in the section */

    rd_seek(&s->rd, s->strs_start, s->strs_end);
    while (s->rd.pos < s->rd.end) {
        ssize_t avail = rd_fill(&s->rd);
        const uint8_t *p;
        size_t i = 0;

        if (avail < 0) return read_failed(s, (int)avail, "the string section");
        p = s->rd.buf + (s->rd.pos - s->rd.buf_off);
        while (i < (size_t)avail) {
            const uint8_t *nul = memchr(p + i, 0, (size_t)avail - i);
            size_t seg = nul ? (size_t)(nul - (p + i)) : (size_t)avail - i;

            if (!too_long && seg <= sizeof(cur) - n) {
                memcpy(cur + n, p + i, seg);
                n += seg;
            } else {
                too_long = true;
            }
            i += seg;
            if (nul) {
                if (!too_long) note_string(s, cur, n, (uint32_t)start);
                i++;
                start = s->rd.pos + i - s->strs_start;
                n = 0;
                too_long = false;
            }
        }
        s->rd.pos += (size_t)avail;
    }
    return 0;
}

/* ---- types -------------------------------------------------------------------------------- */

static struct type_info *lookup(struct scan *s, uint32_t id)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (s->types[i].id == id) return &s->types[i];
    return NULL;
}

/* Asks the next pass over the types to record id. */
static void want_type(struct scan *s, uint32_t id)
{
    if (id == 0 || lookup(s, id) || s->ntypes == MAX_TYPES) return;
    s->types[s->ntypes++] = (struct type_info){.id = id};
    s->nunknown++;
}

static bool is_modifier(unsigned kind)
{
    return kind == KIND_TYPEDEF || kind == KIND_VOLATILE || kind == KIND_CONST ||
           kind == KIND_RESTRICT || kind == KIND_TYPE_TAG;
}

/* The wanted member of each field of a struct named as one the fields are in. */
static int struct_members(struct scan *s, uint32_t name_off, unsigned vlen, bool kflag)
{
    bool any = false;

    for (size_t f = 0; f < NFIELDS; f++)
        any |= is_name(s, s->fields[f].strct, name_off);
    if (!any) return rd_skip(&s->rd, 12ull * vlen);
    for (unsigned i = 0; i < vlen; i++) {
        uint32_t m[3]; /* name_off, type, offset */
        int rc = rd_get(&s->rd, m, sizeof(m));

        if (rc) return rc;
        for (size_t k = 0; k < NFIELDS; k++) {
            struct field *f = &s->fields[k];
            /* With kind_flag, the offset's high byte is a bitfield's size. */
            uint32_t bits = kflag ? m[2] & 0xffffff : m[2], bitfield = kflag ? m[2] >> 24 : 0;

            if (!is_name(s, f->strct, name_off) || !is_name(s, f->member, m[0])) continue;
            if (bitfield || bits % 8)
                return fail(s, -EINVAL, "struct %s: %s is a bitfield", names[f->strct],
                            names[f->member]);
            if (f->found && (f->offset != bits / 8 || f->type != m[1]))
                return fail(s, -EINVAL, "two struct %s with different members %s", names[f->strct],
                            names[f->member]);
            f->found = true;
            f->offset = bits / 8;
            f->type = m[1];
            want_type(s, m[1]);
        }
    }
    return 0;
}

/* The per-CPU section's variables: where the wanted ones are in it (VARs come before their
 * section in the kernel's BTF). */
static int percpu_section(struct scan *s, unsigned vlen)
{
    for (unsigned i = 0; i < vlen; i++) {
        uint32_t e[3]; /* type, offset, size */
        int rc = rd_get(&s->rd, e, sizeof(e));

        if (rc) return rc;
        for (int v = 0; v < NVARS; v++)
            if (s->var_id[v] && e[0] == s->var_id[v]) {
                s->var_placed[v] = true;
                s->var_off[v] = e[1];
                s->var_size[v] = e[2];
            }
    }
    return 0;
}

/* One pass over the type section: the first finds the structs' members and the tracepoints'
 * typedefs; every pass records the types wanted so far, and wants what they refer to. */
static int types_pass(struct scan *s, bool first)
{
    uint32_t id = 1;

    rd_seek(&s->rd, s->types_start, s->types_end);
    while (s->rd.pos < s->rd.end) {
        uint32_t t[3]; /* name_off; info: kind_flag << 31 | kind << 24 | vlen; size or type */
        struct type_info *ti = NULL;
        unsigned kind, vlen;
        bool kflag;
        int rc = rd_get(&s->rd, t, sizeof(t));

        if (rc) return type_failed(s, rc, id);
        kind = (t[1] >> 24) & 0x1f;
        vlen = t[1] & 0xffff;
        kflag = t[1] >> 31;
        if (s->nunknown > 0 && (ti = lookup(s, id)) && !ti->known) {
            *ti = (struct type_info){.id = id,
                                     .known = true,
                                     .kind = (uint8_t)kind,
                                     .vlen = (uint16_t)vlen,
                                     .name_off = t[0],
                                     .ref = t[2]};
            s->nunknown--;
        } else {
            ti = NULL;
        }
        switch (kind) {
        case KIND_INT: {
            uint32_t d;
            rc = rd_get(&s->rd, &d, sizeof(d));
            if (ti) ti->int_data = d;
            break;
        }
        case KIND_PTR:
        case KIND_FWD:
        case KIND_TYPEDEF:
        case KIND_VOLATILE:
        case KIND_CONST:
        case KIND_RESTRICT:
        case KIND_FUNC:
        case KIND_FLOAT:
        case KIND_TYPE_TAG:
            break;
        case KIND_ARRAY:
            rc = rd_skip(&s->rd, 12);
            break;
        case KIND_STRUCT:
            rc = first ? struct_members(s, t[0], vlen, kflag) : rd_skip(&s->rd, 12ull * vlen);
            break;
        case KIND_DATASEC:
            rc = is_name(s, N_PERCPU_SECTION, t[0]) ? percpu_section(s, vlen)
                                                    : rd_skip(&s->rd, 12ull * vlen);
            break;
        case KIND_UNION:
        case KIND_ENUM64:
            rc = rd_skip(&s->rd, 12ull * vlen);
            break;
        case KIND_ENUM:
            rc = rd_skip(&s->rd, 8ull * vlen);
            break;
        case KIND_FUNC_PROTO:
            for (unsigned i = 0; i < vlen && rc == 0; i++) {
                uint32_t p[2]; /* name_off, type */
                rc = rd_get(&s->rd, p, sizeof(p));
                if (rc == 0 && ti && i < 3) ti->params[i] = p[1];
            }
            break;
        case KIND_VAR:
            for (int v = 0; v < NVARS; v++)
                if (is_name(s, v == V_RUNQUEUES ? N_RUNQUEUES : N_THIS_CPU_OFF, t[0]))
                    s->var_id[v] = id;
            rc = rd_skip(&s->rd, 4);
            break;
        case KIND_DECL_TAG:
            rc = rd_skip(&s->rd, 4);
            break;
        default:
            return fail(s, -EINVAL, "type %u: unknown BTF kind %u", id, kind);
        }
        if (rc) return type_failed(s, rc, id);
        if (first && kind == KIND_TYPEDEF)
            for (int k = 0; k < 2; k++)
                if (is_name(s, k ? N_TP_RMDIR : N_TP_MKDIR, t[0])) {
                    s->tp_found[k] = true;
                    s->tp_type[k] = t[2];
                    want_type(s, t[2]);
                }
        if (ti && (is_modifier(kind) || kind == KIND_PTR)) want_type(s, ti->ref);
        if (ti && kind == KIND_FUNC_PROTO && vlen == 3) {
            want_type(s, ti->params[1]);
            want_type(s, ti->params[2]);
        }
        if (id == UINT32_MAX) return fail(s, -EINVAL, "too many types");
        id++;
    }
    return 0;
}

/* ---- checks ------------------------------------------------------------------------------- */

enum { PENDING = 1 };

/* The type id names past typedefs and modifiers; NULL with *pending when a type on the way
 * is not recorded yet, NULL alone when the chain does not end. */
static const struct type_info *resolve(struct scan *s, uint32_t id, bool *pending)
{
    static const struct type_info void_type = {.known = true, .kind = KIND_VOID};

    for (int hops = 0; hops < MAX_HOPS; hops++) {
        const struct type_info *ti;

        if (id == 0) return &void_type;
        ti = lookup(s, id);
        if (!ti || !ti->known) {
            want_type(s, id);
            *pending = true;
            return NULL;
        }
        if (!is_modifier(ti->kind)) return ti;
        id = ti->ref;
    }
    return NULL;
}

/* 0, PENDING, or -errno with the reason in why. */
static int check_field(struct scan *s, const struct field *f, char *why, size_t whylen)
{
    bool pending = false;
    const struct type_info *t;

    if (!f->found) {
        snprintf(why, whylen, "no struct %s with a member %s", names[f->strct], names[f->member]);
        return -ENOENT;
    }
    t = resolve(s, f->type, &pending);
    if (pending) return PENDING;
    switch (f->kind) {
    case FK_PTR:
        if (t && t->kind == KIND_PTR) return 0;
        snprintf(why, whylen, "struct %s: %s is not a pointer", names[f->strct], names[f->member]);
        return -EINVAL;
    case FK_INT:
        /* An integer of the size read, not a bitfield-like one (as CO-RE requires). */
        if (t && t->kind == KIND_INT && t->ref == f->int_size &&
            ((t->int_data >> 16) & 0xff) == 0 && (t->int_data & 0xff) == f->int_size * 8)
            return 0;
        snprintf(why, whylen, "struct %s: %s is not a %u-byte integer", names[f->strct],
                 names[f->member], f->int_size);
        return -EINVAL;
    case FK_STRUCT:
        if (t && t->kind == KIND_STRUCT && is_name(s, f->type_name, t->name_off)) return 0;
        snprintf(why, whylen, "struct %s: %s is not a struct %s", names[f->strct], names[f->member],
                 names[f->type_name]);
        return -EINVAL;
    }
    return -EINVAL;
}

/* What tp_btf would check: the tracepoint passes (struct cgroup *, const char *) after the
 * first, hidden argument. */
static int check_tracepoint(struct scan *s, int k)
{
    const char *tp = k ? "cgroup_rmdir" : "cgroup_mkdir";
    const struct type_info *ptr, *proto, *cgrp = NULL, *arg1 = NULL, *path = NULL;
    bool pending = false;

    if (!s->tp_found[k]) return fail(s, -ENOENT, "no tracepoint %s", tp);
    ptr = resolve(s, s->tp_type[k], &pending);
    proto = ptr && ptr->kind == KIND_PTR ? resolve(s, ptr->ref, &pending) : NULL;
    if (proto && proto->kind == KIND_FUNC_PROTO && proto->vlen == 3) {
        arg1 = resolve(s, proto->params[1], &pending);
        path = resolve(s, proto->params[2], &pending);
        if (arg1 && arg1->kind == KIND_PTR) cgrp = resolve(s, arg1->ref, &pending);
    }
    if (pending) return PENDING;
    if (cgrp && cgrp->kind == KIND_STRUCT && is_name(s, N_CGROUP, cgrp->name_off) && path &&
        path->kind == KIND_PTR)
        return 0;
    return fail(s, -EINVAL, "tracepoint %s does not pass (struct cgroup *, const char *)", tp);
}

/* 0, PENDING (another pass over the types is needed) or -errno. */
static int check_all(struct scan *s)
{
    int pending = 0;

    for (size_t f = 0; f < NFIELDS; f++) {
        int rc = check_field(s, &s->fields[f], s->field_why[f], sizeof(s->field_why[f]));

        s->field_rc[f] = rc;
        if (rc < 0 && !s->fields[f].optional) return fail(s, rc, "%s", s->field_why[f]);
        if (rc > 0) pending |= rc;
    }
    for (int k = 0; k < 2; k++) {
        int rc = check_tracepoint(s, k);
        if (rc < 0) return rc;
        pending |= rc;
    }
    return pending;
}

/* The usage read's offsets, or why it cannot be done on this kernel. */
static void usage_offsets(struct scan *s, struct cgroup_event_offsets *out)
{
    static const int common[] = {F_CGROUP_BSTAT, F_BSTAT_CPUTIME, F_CPUTIME_SUM,
                                 F_TASK_SE,      F_SE_CFS_RQ,     F_CFS_RQ_RQ};
    /* Each layout of the per-CPU base stats: the pointer in struct cgroup, then the struct's
     * bstat and last_bstat; the newest first. */
    static const int layouts[2][3] = {
        {F_CGROUP_RSTAT_BASE_CPU, F_RSTAT_BASE_BSTAT, F_RSTAT_BASE_LAST_BSTAT},
        {F_CGROUP_RSTAT_CPU, F_RSTAT_BSTAT, F_RSTAT_LAST_BSTAT},
    };
    const struct field *f = s->fields;
    int layout = -1, bad = -1;

    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]) && bad < 0; i++)
        if (s->field_rc[common[i]]) bad = common[i];
    for (int l = 0; l < 2 && bad < 0 && layout < 0; l++) {
        int lbad = -1;
        for (int i = 0; i < 3 && lbad < 0; i++)
            if (s->field_rc[layouts[l][i]]) lbad = layouts[l][i];
        if (lbad < 0)
            layout = l;
        else if (l == 1 || s->fields[layouts[l][0]].found)
            bad = lbad; /* the older layout's reason, unless the newer one was half there */
    }
    if (bad >= 0) {
        snprintf(out->usage_why, sizeof(out->usage_why), "%s", s->field_why[bad]);
        return;
    }
    for (int v = 0; v < NVARS; v++)
        if (!s->var_placed[v] || (v == V_THIS_CPU_OFF && s->var_size[v] != 8)) {
            /* this_cpu_off is x86's: elsewhere per-CPU offsets are found otherwise. */
            snprintf(out->usage_why, sizeof(out->usage_why),
                     "no per-CPU variable %s of the expected size in .data..percpu",
                     v == V_RUNQUEUES ? "runqueues" : "this_cpu_off");
            return;
        }
    out->usage = true;
    out->cgroup_bstat_sum =
        f[F_CGROUP_BSTAT].offset + f[F_BSTAT_CPUTIME].offset + f[F_CPUTIME_SUM].offset;
    out->cgroup_rstat = f[layouts[layout][0]].offset;
    out->rstat_bstat_sum =
        f[layouts[layout][1]].offset + f[F_BSTAT_CPUTIME].offset + f[F_CPUTIME_SUM].offset;
    out->rstat_last_bstat_sum =
        f[layouts[layout][2]].offset + f[F_BSTAT_CPUTIME].offset + f[F_CPUTIME_SUM].offset;
    out->task_cfs_rq = f[F_TASK_SE].offset + f[F_SE_CFS_RQ].offset;
    out->cfs_rq_rq = f[F_CFS_RQ_RQ].offset;
    out->pcpu_runqueues = s->var_off[V_RUNQUEUES];
    out->pcpu_this_cpu_off = s->var_off[V_THIS_CPU_OFF];
    snprintf(out->usage_layout, sizeof(out->usage_layout), "%s",
             layout == 0 ? "cgroup_rstat_base_cpu" : "cgroup_rstat_cpu");
}

/* ---- entry points ------------------------------------------------------------------------- */

static int read_header(struct scan *s)
{
    uint8_t h[HEADER_SIZE];
    uint16_t magic;
    uint32_t hdr_len, v[4]; /* type_off, type_len, str_off, str_len */

    int rc;

    rd_seek(&s->rd, 0, HEADER_SIZE);
    rc = rd_get(&s->rd, h, sizeof(h));
    if (rc) return read_failed(s, rc, "the header");
    memcpy(&magic, h, sizeof(magic));
    memcpy(&hdr_len, h + 4, sizeof(hdr_len));
    memcpy(v, h + 8, sizeof(v));
    if (magic != BTF_MAGIC) return fail(s, -EINVAL, "not BTF (magic %#x)", magic);
    if (h[2] != 1) return fail(s, -EINVAL, "BTF version %u", h[2]);
    if (hdr_len < HEADER_SIZE) return fail(s, -EINVAL, "BTF header of %u bytes", hdr_len);
    s->types_start = (uint64_t)hdr_len + v[0];
    s->types_end = s->types_start + v[1];
    s->strs_start = (uint64_t)hdr_len + v[2];
    s->strs_end = s->strs_start + v[3];
    return 0;
}

int kernel_btf_cgroup_offsets(btf_read_fn read, void *ctx, struct cgroup_event_offsets *out,
                              char *err, size_t errlen)
{
    struct scan *s = calloc(1, sizeof(*s));
    int rc;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->rd.read = read;
    s->rd.ctx = ctx;
    s->err = err;
    s->errlen = errlen;
    memcpy(s->fields, wanted, sizeof(wanted));
    rc = read_header(s);
    if (rc == 0) rc = strings_pass(s);
    if (rc == 0) rc = types_pass(s, true);
    for (int pass = 0; rc == 0; pass++) {
        rc = check_all(s);
        if (rc != PENDING) break;
        rc = pass == MAX_PASSES ? fail(s, -EINVAL, "types refer too far") : types_pass(s, false);
    }
    if (rc == 0) {
        memset(out, 0, sizeof(*out));
        out->cgroup_kn = s->fields[F_CGROUP_KN].offset;
        out->cgroup_root = s->fields[F_CGROUP_ROOT].offset;
        out->cgroup_level = s->fields[F_CGROUP_LEVEL].offset;
        out->root_hierarchy_id = s->fields[F_ROOT_HIERARCHY_ID].offset;
        out->kn_id = s->fields[F_KN_ID].offset;
        usage_offsets(s, out);
    }
    free(s);
    return rc;
}

static ssize_t read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    size_t got = 0;

    /* sysfs hands out a page per read. */
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return got ? (ssize_t)got : -errno;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int kernel_btf_cgroup_offsets_file(const char *path, struct cgroup_event_offsets *out, char *err,
                                   size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    char why[160];

    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    rc = kernel_btf_cgroup_offsets(read_fd, &fd, out, why, sizeof(why));
    if (rc) snprintf(err, errlen, "%s: %s", path, why);
    close(fd);
    return rc;
}
