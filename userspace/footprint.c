#include "footprint.h"

#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* Blocks this large are mapped on their own and unmapped when freed, and free memory above
 * this at the heap's top goes back to the kernel. Fixed, because glibc raises its own
 * thresholds to the largest block ever freed, and then keeps that much. Below it sit the
 * blocks every tick or shipment takes and frees (a snapshot's sample pool, a walk's
 * directory buffers, deflate's state): reused from the heap, not faulted in afresh. */
#define MALLOC_THRESHOLD (512 * 1024)

void footprint_init(void)
{
    /* One arena: the shipping thread's own would hold ~1 MiB for a few allocations a second,
     * and two threads, mostly asleep, do not contend for one. */
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, MALLOC_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, MALLOC_THRESHOLD);
}

/* /proc/self/pagemap: bit 63 the page is present, bit 61 it is a file page (not a private
 * copy). */
#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61)

struct drop {
    int pagemap_fd;
    uintptr_t page;
    size_t dropped; /* pages */
};

static void drop_run(struct drop *d, uintptr_t start, uintptr_t end)
{
    if (start < end && madvise((void *)start, end - start, MADV_DONTNEED) == 0)
        d->dropped += (end - start) / d->page;
}

/* Unmaps the pages of [start, end) that are still the file's own: a page written since it
 * was mapped (by relocation, or a debugger's breakpoint) is a private copy, and is kept. */
static void drop_clean_pages(struct drop *d, uintptr_t start, uintptr_t end)
{
    uint64_t ent[512];
    uintptr_t run = 0; /* the first page of the run to drop; 0: none */

    for (uintptr_t a = start; a < end;) {
        size_t n = (end - a) / d->page;
        ssize_t got;

        if (n > sizeof(ent) / sizeof(ent[0])) n = sizeof(ent) / sizeof(ent[0]);
        got = pread(d->pagemap_fd, ent, n * sizeof(ent[0]), (off_t)(a / d->page * 8));
        if (got <= 0) {
            end = a; /* unreadable from here on: keep the rest */
            break;
        }
        n = (size_t)got / sizeof(ent[0]);
        for (size_t i = 0; i < n; i++, a += d->page) {
            bool clean = !(ent[i] & PM_PRESENT) || (ent[i] & PM_FILE);

            if (clean && !run) run = a;
            if (!clean && run) {
                drop_run(d, run, a);
                run = 0;
            }
        }
    }
    if (run) drop_run(d, run, end);
}

static int drop_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct drop *d = arg;
    uintptr_t mask = d->page - 1;

    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start, end;

        /* Code and read-only data, and the part of the writable segment made read-only after
         * relocation (RELRO): nothing writes there once running. */
        if (!(ph->p_type == PT_LOAD && !(ph->p_flags & PF_W)) && ph->p_type != PT_GNU_RELRO)
            continue;
        /* Whole pages only: a page shared with a writable segment is that segment's. */
        start = (info->dlpi_addr + ph->p_vaddr + mask) & ~mask;
        end = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz) & ~mask;
        drop_clean_pages(d, start, end);
    }
    return 1; /* the executable only: it comes first */
}

void footprint_release(void)
{
    long page = sysconf(_SC_PAGESIZE);
    struct drop d = {.page = page > 0 ? (uintptr_t)page : 4096};

    malloc_trim(0);
    d.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (d.pagemap_fd < 0) {
        log_debug("footprint: no /proc/self/pagemap; code pages stay mapped");
        return;
    }
    dl_iterate_phdr(drop_segments, &d);
    close(d.pagemap_fd);
    log_debug("footprint: %zu KiB of code and read-only data unmapped", d.dropped * d.page / 1024);
}
