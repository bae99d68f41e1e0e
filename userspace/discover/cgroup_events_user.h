/* Userspace side of the cgroup lifecycle BPF program: loads it, and hands each mkdir/rmdir
 * of the cgroup v2 hierarchy to a callback. When it cannot load (no CAP_BPF, no BTF, old
 * kernel) the caller falls back to walking the tree. */
#ifndef KMETRICS_CGROUP_EVENTS_USER_H
#define KMETRICS_CGROUP_EVENTS_USER_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup_events.h"

struct cgroup_events;

typedef void (*cgroup_event_fn)(void *ctx, const struct cgroup_event *event);

/* Loads and attaches the programs. Returns NULL with a reason in err when BPF is unavailable. */
struct cgroup_events *cgroup_events_open(cgroup_event_fn fn, void *ctx, char *err, size_t errlen);
/* A file descriptor that becomes readable when events are waiting (for epoll). */
int cgroup_events_fd(const struct cgroup_events *ev);
/* Delivers every waiting event to the callback without blocking; returns how many, or <0. */
int cgroup_events_drain(struct cgroup_events *ev);
/* Events the kernel side dropped because the ring buffer was full (monotonic). */
uint64_t cgroup_events_lost(const struct cgroup_events *ev);
void cgroup_events_close(struct cgroup_events *ev);

#endif
