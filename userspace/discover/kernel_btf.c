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
#define MAX_TYPES 192     /* types looked at to check kinds: about 50 are for either program */
#define MAX_NAMES 32      /* distinct names one query looks for: 28 for the cgroup events */
#define MAX_FIELDS 24
#define WHY_LEN 128 /* an optional member's reason for being absent */
#define MAX_TPS 4
#define MAX_PASSES 8 /* over the type section, following references backwards */
#define MAX_HOPS 16  /* typedefs and modifiers followed from one type */

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

/* One member the program reads, and what it must be; names are indices in scan.names. */
struct field {
    unsigned strct, member;
    uint32_t int_size;  /* bytes; 0: a pointer (unless of_struct) */
    unsigned of_struct; /* a struct in place: its name's index; else NO_NAME */
    bool optional;
    bool in_section;       /* strct is a DATASEC, member one of its VARs */
    bool found, absent;    /* absent: optional, and not there as read */
    uint32_t offset, type; /* byte offset; the member's type id (a variable's: its type's) */
    /* in_section: the VARs named as the member, seen before the section (id, type) */
    uint32_t var_id[MAX_NAME_DUPS], var_type[MAX_NAME_DUPS];
    unsigned nvars;
};

/* One tracepoint whose arguments the program reads. */
struct tracepoint {
    const struct kernel_btf_tracepoint *spec;
    unsigned typedef_name;                    /* btf_trace_<name>, the BPF prototype's typedef */
    unsigned arg_struct[KERNEL_BTF_MAX_ARGS]; /* name index of a pointed-to struct, or NO_NAME */
    bool found;
    uint32_t type;
};

#define NO_NAME UINT32_MAX

/* A type looked at while checking kinds. */
struct type_info {
    uint32_t id;
    bool known;
    uint8_t kind;
    uint16_t vlen;
    uint32_t name_off;
    uint32_t ref;      /* INT, STRUCT: size in bytes; PTR, TYPEDEF, modifiers: the type */
    uint32_t int_data; /* INT: encoding << 24 | bit offset << 16 | bits */
    uint32_t params[KERNEL_BTF_MAX_ARGS + 1]; /* FUNC_PROTO: its first parameters' types */
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
    const char *names[MAX_NAMES];
    char typedef_names[MAX_TPS][NAME_MAX_LEN + 1];
    unsigned nnames;
    uint32_t name_offs[MAX_NAMES][MAX_NAME_DUPS];
    unsigned ndups[MAX_NAMES];
    struct field fields[MAX_FIELDS];
    char why[MAX_FIELDS][WHY_LEN]; /* an absent optional member's reason */
    size_t nfields;
    struct tracepoint tps[MAX_TPS];
    size_t ntps;
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

static bool is_name(const struct scan *s, unsigned which, uint32_t off)
{
    if (which == NO_NAME) return false;
    for (unsigned i = 0; i < s->ndups[which]; i++)
        if (s->name_offs[which][i] == off) return true;
    return false;
}

static void note_string(struct scan *s, const char *str, size_t n, uint32_t off)
{
    for (unsigned i = 0; i < s->nnames; i++)
        if (strlen(s->names[i]) == n && memcmp(s->names[i], str, n) == 0 &&
            s->ndups[i] < MAX_NAME_DUPS)
            s->name_offs[i][s->ndups[i]++] = off;
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

    for (size_t f = 0; f < s->nfields; f++)
        any |= is_name(s, s->fields[f].strct, name_off);
    if (!any) return rd_skip(&s->rd, 12ull * vlen);
    for (unsigned i = 0; i < vlen; i++) {
        uint32_t m[3]; /* name_off, type, offset */
        int rc = rd_get(&s->rd, m, sizeof(m));

        if (rc) return rc;
        for (size_t k = 0; k < s->nfields; k++) {
            struct field *f = &s->fields[k];
            /* With kind_flag, the offset's high byte is a bitfield's size. */
            uint32_t bits = kflag ? m[2] & 0xffffff : m[2], bitfield = kflag ? m[2] >> 24 : 0;

            if (f->in_section || !is_name(s, f->strct, name_off) || !is_name(s, f->member, m[0]))
                continue;
            if ((bitfield || bits % 8) && f->optional) continue; /* not there as read */
            if (bitfield || bits % 8)
                return fail(s, -EINVAL, "struct %s: %s is a bitfield", s->names[f->strct],
                            s->names[f->member]);
            if (f->found && (f->offset != bits / 8 || f->type != m[1]))
                return fail(s, -EINVAL, "two struct %s with different members %s",
                            s->names[f->strct], s->names[f->member]);
            f->found = true;
            f->offset = bits / 8;
            f->type = m[1];
            want_type(s, m[1]);
        }
    }
    return 0;
}

/* A place for one of this field's variables; no error when it is found twice at one place. */
static int place_var(struct scan *s, struct field *f, uint32_t type, uint32_t offset)
{
    if (f->found && (f->offset != offset || f->type != type))
        return fail(s, -EINVAL, "two variables %s in %s", s->names[f->member], s->names[f->strct]);
    f->found = true;
    f->offset = offset;
    f->type = type;
    want_type(s, type);
    return 0;
}

/* The VARs named as a section field's member (they come before their section). */
static int note_var(struct scan *s, uint32_t id, uint32_t name_off, uint32_t type)
{
    for (size_t k = 0; k < s->nfields; k++) {
        struct field *f = &s->fields[k];

        if (!f->in_section || !is_name(s, f->member, name_off) || f->nvars == MAX_NAME_DUPS)
            continue;
        f->var_id[f->nvars] = id;
        f->var_type[f->nvars++] = type;
    }
    return rd_skip(&s->rd, 4); /* linkage */
}

/* The wanted variables' places in a section named as one the fields are in. */
static int section_vars(struct scan *s, uint32_t name_off, unsigned vlen)
{
    bool any = false;

    for (size_t f = 0; f < s->nfields; f++)
        any |= s->fields[f].in_section && is_name(s, s->fields[f].strct, name_off);
    if (!any) return rd_skip(&s->rd, 12ull * vlen);
    for (unsigned i = 0; i < vlen; i++) {
        uint32_t e[3]; /* type (the VAR), offset, size */
        int rc = rd_get(&s->rd, e, sizeof(e));

        if (rc) return rc;
        for (size_t k = 0; k < s->nfields; k++) {
            struct field *f = &s->fields[k];

            if (!f->in_section || !is_name(s, f->strct, name_off)) continue;
            for (unsigned v = 0; v < f->nvars; v++)
                if (f->var_id[v] == e[0] && (rc = place_var(s, f, f->var_type[v], e[1]))) return rc;
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
            rc = first ? section_vars(s, t[0], vlen) : rd_skip(&s->rd, 12ull * vlen);
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
                if (rc == 0 && ti && i <= KERNEL_BTF_MAX_ARGS) ti->params[i] = p[1];
            }
            break;
        case KIND_VAR:
            rc = first ? note_var(s, id, t[0], t[2]) : rd_skip(&s->rd, 4);
            break;
        case KIND_DECL_TAG:
            rc = rd_skip(&s->rd, 4);
            break;
        default:
            return fail(s, -EINVAL, "type %u: unknown BTF kind %u", id, kind);
        }
        if (rc) return type_failed(s, rc, id);
        if (first && kind == KIND_TYPEDEF)
            for (size_t k = 0; k < s->ntps; k++)
                if (is_name(s, s->tps[k].typedef_name, t[0])) {
                    s->tps[k].found = true;
                    s->tps[k].type = t[2];
                    want_type(s, t[2]);
                }
        if (ti && (is_modifier(kind) || kind == KIND_PTR)) want_type(s, ti->ref);
        if (ti && kind == KIND_FUNC_PROTO)
            for (unsigned i = 1; i < vlen && i <= KERNEL_BTF_MAX_ARGS; i++)
                want_type(s, ti->params[i]);
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

/* A pointer when size is 0, else an integer of size bytes, not a bitfield-like one (as CO-RE
 * requires). */
static bool is_int_of(const struct type_info *t, uint32_t size)
{
    if (!t) return false;
    if (size == 0) return t->kind == KIND_PTR;
    return t->kind == KIND_INT && t->ref == size && ((t->int_data >> 16) & 0xff) == 0 &&
           (t->int_data & 0xff) == size * 8;
}

/* What a field must be, in words. */
static void describe_kind(const struct scan *s, const struct field *f, char *buf, size_t len)
{
    if (f->of_struct != NO_NAME)
        snprintf(buf, len, "a struct %s", s->names[f->of_struct]);
    else if (f->int_size)
        snprintf(buf, len, "a %u-byte integer", f->int_size);
    else
        snprintf(buf, len, "a pointer");
}

/* 0, PENDING, or -errno with the reason in why. */
static int check_field(struct scan *s, const struct field *f, char *why, size_t whylen)
{
    bool pending = false;
    const struct type_info *t;
    char kind[64];

    describe_kind(s, f, kind, sizeof(kind));
    if (!f->found) {
        if (f->in_section)
            snprintf(why, whylen, "no variable %s in %s", s->names[f->member], s->names[f->strct]);
        else
            snprintf(why, whylen, "no struct %s with a member %s", s->names[f->strct],
                     s->names[f->member]);
        return -ENOENT;
    }
    t = resolve(s, f->type, &pending);
    if (pending) return PENDING;
    if (f->of_struct != NO_NAME
            ? t && t->kind == KIND_STRUCT && is_name(s, f->of_struct, t->name_off)
            : is_int_of(t, f->int_size))
        return 0;
    snprintf(why, whylen, "%s %s: %s is not %s", f->in_section ? "section" : "struct",
             s->names[f->strct], s->names[f->member], kind);
    return -EINVAL;
}

/* What tp_btf would check: after the first, hidden argument, the tracepoint passes the
 * arguments the program reads, of the kinds it reads them as. */
static int check_tracepoint(struct scan *s, const struct tracepoint *tp)
{
    const struct kernel_btf_tracepoint *spec = tp->spec;
    const struct type_info *ptr, *proto;
    bool pending = false, ok;

    if (!tp->found) return fail(s, -ENOENT, "no tracepoint %s", spec->name);
    ptr = resolve(s, tp->type, &pending);
    proto = ptr && ptr->kind == KIND_PTR ? resolve(s, ptr->ref, &pending) : NULL;
    ok = proto && proto->kind == KIND_FUNC_PROTO && proto->vlen == spec->nargs + 1;
    for (unsigned i = 0; ok && i < spec->nargs; i++) {
        const struct type_info *arg = resolve(s, proto->params[i + 1], &pending), *to;

        ok = is_int_of(arg, spec->args[i].int_size);
        if (!ok || tp->arg_struct[i] == NO_NAME) continue;
        to = resolve(s, arg->ref, &pending);
        ok = to && to->kind == KIND_STRUCT && is_name(s, tp->arg_struct[i], to->name_off);
    }
    if (pending) return PENDING;
    if (ok) return 0;
    return fail(s, -EINVAL, "tracepoint %s does not pass the arguments the program reads",
                spec->name);
}

/* 0, PENDING (another pass over the types is needed) or -errno. */
static int check_all(struct scan *s)
{
    int pending = 0;

    for (size_t f = 0; f < s->nfields; f++) {
        int rc = check_field(s, &s->fields[f], s->why[f], sizeof(s->why[f]));

        s->fields[f].absent = rc < 0;
        if (rc < 0 && !s->fields[f].optional) return fail(s, rc, "%s", s->why[f]);
        if (rc > 0) pending |= rc;
    }
    for (size_t k = 0; k < s->ntps; k++) {
        int rc = check_tracepoint(s, &s->tps[k]);
        if (rc < 0) return rc;
        pending |= rc;
    }
    return pending;
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

/* The index of name in s->names, added when new; NO_NAME when the table is full. */
static unsigned name_index(struct scan *s, const char *name)
{
    for (unsigned i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i], name) == 0) return i;
    if (s->nnames == MAX_NAMES || strlen(name) > NAME_MAX_LEN) return NO_NAME;
    s->names[s->nnames] = name;
    return s->nnames++;
}

/* The query as name indices; -EINVAL when it is larger than a scan holds. */
static int plan(struct scan *s, const struct kernel_btf_member *members, size_t nmembers,
                const struct kernel_btf_tracepoint *tps, size_t ntps)
{
    if (nmembers > MAX_FIELDS || ntps > MAX_TPS)
        return fail(s, -EINVAL, "query too large: %zu members, %zu tracepoints", nmembers, ntps);
    for (size_t i = 0; i < nmembers; i++) {
        struct field *f = &s->fields[s->nfields++];

        f->strct = name_index(s, members[i].strct);
        f->member = name_index(s, members[i].member);
        f->int_size = members[i].int_size;
        f->of_struct = members[i].of_struct ? name_index(s, members[i].of_struct) : NO_NAME;
        f->optional = members[i].optional;
        f->in_section = members[i].strct[0] == '.';
        if (f->strct == NO_NAME || f->member == NO_NAME ||
            (members[i].of_struct && f->of_struct == NO_NAME))
            return fail(s, -EINVAL, "query too large: names");
    }
    for (size_t k = 0; k < ntps; k++) {
        struct tracepoint *tp = &s->tps[s->ntps++];

        tp->spec = &tps[k];
        if (tps[k].nargs > KERNEL_BTF_MAX_ARGS)
            return fail(s, -EINVAL, "tracepoint %s: too many arguments", tps[k].name);
        if ((size_t)snprintf(s->typedef_names[k], sizeof(s->typedef_names[k]), "btf_trace_%s",
                             tps[k].name) >= sizeof(s->typedef_names[k]))
            return fail(s, -EINVAL, "tracepoint %s: name too long", tps[k].name);
        tp->typedef_name = name_index(s, s->typedef_names[k]);
        if (tp->typedef_name == NO_NAME) return fail(s, -EINVAL, "query too large: names");
        for (unsigned i = 0; i < tps[k].nargs; i++) {
            tp->arg_struct[i] = NO_NAME;
            if (!tps[k].args[i].strct) continue;
            tp->arg_struct[i] = name_index(s, tps[k].args[i].strct);
            if (tp->arg_struct[i] == NO_NAME) return fail(s, -EINVAL, "query too large: names");
        }
    }
    return 0;
}

/* One query; whys, when given, gets the reason each optional member is absent. */
static int query(btf_read_fn read, void *ctx, const struct kernel_btf_member *members,
                 size_t nmembers, const struct kernel_btf_tracepoint *tps, size_t ntps,
                 uint32_t *offsets, char (*whys)[WHY_LEN], char *err, size_t errlen)
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
    rc = plan(s, members, nmembers, tps, ntps);
    if (rc == 0) rc = read_header(s);
    if (rc == 0) rc = strings_pass(s);
    if (rc == 0) rc = types_pass(s, true);
    for (int pass = 0; rc == 0; pass++) {
        rc = check_all(s);
        if (rc != PENDING) break;
        rc = pass == MAX_PASSES ? fail(s, -EINVAL, "types refer too far") : types_pass(s, false);
    }
    if (rc == 0)
        for (size_t f = 0; f < s->nfields; f++) {
            offsets[f] = s->fields[f].absent ? KERNEL_BTF_ABSENT : s->fields[f].offset;
            if (whys) memcpy(whys[f], s->why[f], WHY_LEN);
        }
    free(s);
    return rc;
}

int kernel_btf_offsets(btf_read_fn read, void *ctx, const struct kernel_btf_member *members,
                       size_t nmembers, const struct kernel_btf_tracepoint *tps, size_t ntps,
                       uint32_t *offsets, char *err, size_t errlen)
{
    return query(read, ctx, members, nmembers, tps, ntps, offsets, NULL, err, errlen);
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

static int query_file(const char *path, const struct kernel_btf_member *members, size_t nmembers,
                      const struct kernel_btf_tracepoint *tps, size_t ntps, uint32_t *offsets,
                      char (*whys)[WHY_LEN], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    char why[160];

    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    rc = query(read_fd, &fd, members, nmembers, tps, ntps, offsets, whys, why, sizeof(why));
    if (rc) snprintf(err, errlen, "%s: %s", path, why);
    close(fd);
    return rc;
}

int kernel_btf_offsets_file(const char *path, const struct kernel_btf_member *members,
                            size_t nmembers, const struct kernel_btf_tracepoint *tps, size_t ntps,
                            uint32_t *offsets, char *err, size_t errlen)
{
    return query_file(path, members, nmembers, tps, ntps, offsets, NULL, err, errlen);
}

/* ---- the cgroup lifecycle program ---------------------------------------------------------- */

/* What cgroup_events.bpf.c reads: the events' members, then the rmdir usage read's (optional). */
enum cgroup_member {
    M_CGROUP_KN,
    M_CGROUP_ROOT,
    M_CGROUP_LEVEL,
    M_ROOT_HIERARCHY_ID,
    M_KN_ID,
    M_CGROUP_BSTAT,
    M_BSTAT_CPUTIME,
    M_CPUTIME_SUM,
    M_CGROUP_RSTAT_BASE_CPU,
    M_RSTAT_BASE_BSTAT,
    M_RSTAT_BASE_LAST_BSTAT,
    M_CGROUP_RSTAT_CPU,
    M_RSTAT_BSTAT,
    M_RSTAT_LAST_BSTAT,
    M_TASK_SE,
    M_SE_CFS_RQ,
    M_CFS_RQ_RQ,
    M_RUNQUEUES,
    M_THIS_CPU_OFF,
    CGROUP_MEMBERS
};
#define OPT(strct_, member_, size_, of_)                                                           \
    {                                                                                              \
        .strct = strct_, .member = member_, .int_size = size_, .of_struct = of_, .optional = true  \
    }
static const struct kernel_btf_member cgroup_members[CGROUP_MEMBERS] = {
    [M_CGROUP_KN] = KERNEL_BTF_MEMBER("cgroup", "kn", 0),
    [M_CGROUP_ROOT] = KERNEL_BTF_MEMBER("cgroup", "root", 0),
    [M_CGROUP_LEVEL] = KERNEL_BTF_MEMBER("cgroup", "level", 4),
    [M_ROOT_HIERARCHY_ID] = KERNEL_BTF_MEMBER("cgroup_root", "hierarchy_id", 4),
    [M_KN_ID] = KERNEL_BTF_MEMBER("kernfs_node", "id", 8),
    /* The cgroup's flushed total: bstat.cputime.sum_exec_runtime. */
    [M_CGROUP_BSTAT] = OPT("cgroup", "bstat", 0, "cgroup_base_stat"),
    [M_BSTAT_CPUTIME] = OPT("cgroup_base_stat", "cputime", 0, "task_cputime"),
    [M_CPUTIME_SUM] = OPT("task_cputime", "sum_exec_runtime", 8, NULL),
    /* The per-CPU part: struct cgroup_rstat_base_cpu since 6.15, struct cgroup_rstat_cpu
     * before; tried in that order. */
    [M_CGROUP_RSTAT_BASE_CPU] = OPT("cgroup", "rstat_base_cpu", 0, NULL),
    [M_RSTAT_BASE_BSTAT] = OPT("cgroup_rstat_base_cpu", "bstat", 0, "cgroup_base_stat"),
    [M_RSTAT_BASE_LAST_BSTAT] = OPT("cgroup_rstat_base_cpu", "last_bstat", 0, "cgroup_base_stat"),
    [M_CGROUP_RSTAT_CPU] = OPT("cgroup", "rstat_cpu", 0, NULL),
    [M_RSTAT_BSTAT] = OPT("cgroup_rstat_cpu", "bstat", 0, "cgroup_base_stat"),
    [M_RSTAT_LAST_BSTAT] = OPT("cgroup_rstat_cpu", "last_bstat", 0, "cgroup_base_stat"),
    /* The running CPU's per-CPU offset: current->se.cfs_rq->rq is that CPU's runqueues, whose
     * place in the per-CPU section, with this_cpu_off's, gives it. */
    [M_TASK_SE] = OPT("task_struct", "se", 0, "sched_entity"),
    [M_SE_CFS_RQ] = OPT("sched_entity", "cfs_rq", 0, NULL),
    [M_CFS_RQ_RQ] = OPT("cfs_rq", "rq", 0, NULL),
    [M_RUNQUEUES] = OPT(".data..percpu", "runqueues", 0, "rq"),
    /* x86's: elsewhere per-CPU offsets are found otherwise. */
    [M_THIS_CPU_OFF] = OPT(".data..percpu", "this_cpu_off", 8, NULL),
};
static const struct kernel_btf_tracepoint cgroup_tps[] = {
    {"cgroup_mkdir", 2, {{"cgroup", 0}, {NULL, 0}}},
    {"cgroup_rmdir", 2, {{"cgroup", 0}, {NULL, 0}}},
};

/* The usage read's offsets, or why it cannot be done on this kernel. */
static void usage_offsets(const uint32_t *off, char (*whys)[WHY_LEN],
                          struct cgroup_event_offsets *out)
{
    static const int common[] = {M_CGROUP_BSTAT, M_BSTAT_CPUTIME, M_CPUTIME_SUM, M_TASK_SE,
                                 M_SE_CFS_RQ,    M_CFS_RQ_RQ,     M_RUNQUEUES,   M_THIS_CPU_OFF};
    /* Each layout of the per-CPU base stats: the pointer in struct cgroup, then the struct's
     * bstat and last_bstat; the newest first. */
    static const int layouts[2][3] = {
        {M_CGROUP_RSTAT_BASE_CPU, M_RSTAT_BASE_BSTAT, M_RSTAT_BASE_LAST_BSTAT},
        {M_CGROUP_RSTAT_CPU, M_RSTAT_BSTAT, M_RSTAT_LAST_BSTAT},
    };
    int layout = -1, bad = -1;
    uint32_t sum;

    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]) && bad < 0; i++)
        if (off[common[i]] == KERNEL_BTF_ABSENT) bad = common[i];
    for (int l = 0; l < 2 && bad < 0 && layout < 0; l++) {
        int lbad = -1;

        for (int i = 0; i < 3 && lbad < 0; i++)
            if (off[layouts[l][i]] == KERNEL_BTF_ABSENT) lbad = layouts[l][i];
        if (lbad < 0)
            layout = l;
        else if (l == 1 || lbad != layouts[l][0])
            bad = lbad; /* the older layout's reason, unless the newer one was half there */
    }
    if (bad >= 0) {
        snprintf(out->usage_why, sizeof(out->usage_why), "%s", whys[bad]);
        return;
    }
    sum = off[M_BSTAT_CPUTIME] + off[M_CPUTIME_SUM];
    out->usage = true;
    out->cgroup_bstat_sum = off[M_CGROUP_BSTAT] + sum;
    out->cgroup_rstat = off[layouts[layout][0]];
    out->rstat_bstat_sum = off[layouts[layout][1]] + sum;
    out->rstat_last_bstat_sum = off[layouts[layout][2]] + sum;
    out->task_cfs_rq = off[M_TASK_SE] + off[M_SE_CFS_RQ];
    out->cfs_rq_rq = off[M_CFS_RQ_RQ];
    out->pcpu_runqueues = off[M_RUNQUEUES];
    out->pcpu_this_cpu_off = off[M_THIS_CPU_OFF];
    snprintf(out->usage_layout, sizeof(out->usage_layout), "%s",
             layout == 0 ? "cgroup_rstat_base_cpu" : "cgroup_rstat_cpu");
}

static void cgroup_offsets(const uint32_t *off, char (*whys)[WHY_LEN],
                           struct cgroup_event_offsets *out)
{
    memset(out, 0, sizeof(*out));
    out->cgroup_kn = off[M_CGROUP_KN];
    out->cgroup_root = off[M_CGROUP_ROOT];
    out->cgroup_level = off[M_CGROUP_LEVEL];
    out->root_hierarchy_id = off[M_ROOT_HIERARCHY_ID];
    out->kn_id = off[M_KN_ID];
    usage_offsets(off, whys, out);
}

int kernel_btf_cgroup_offsets(btf_read_fn read, void *ctx, struct cgroup_event_offsets *out,
                              char *err, size_t errlen)
{
    uint32_t off[CGROUP_MEMBERS];
    char whys[CGROUP_MEMBERS][WHY_LEN];
    int rc =
        query(read, ctx, cgroup_members, CGROUP_MEMBERS, cgroup_tps, 2, off, whys, err, errlen);

    if (rc == 0) cgroup_offsets(off, whys, out);
    return rc;
}

int kernel_btf_cgroup_offsets_file(const char *path, struct cgroup_event_offsets *out, char *err,
                                   size_t errlen)
{
    uint32_t off[CGROUP_MEMBERS];
    char whys[CGROUP_MEMBERS][WHY_LEN];
    int rc =
        query_file(path, cgroup_members, CGROUP_MEMBERS, cgroup_tps, 2, off, whys, err, errlen);

    if (rc == 0) cgroup_offsets(off, whys, out);
    return rc;
}
