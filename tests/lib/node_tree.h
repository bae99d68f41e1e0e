/* A node's kubepods tree for benchmarks: pods x containers (+ one sandbox each) under a cgroup
 * root, with their runtime bundles, either as fixture files on tmpfs (every interface file
 * the collector reads, the root's included) or as bare directories on a real cgroupfs. */
#ifndef KMETRICS_TEST_NODE_TREE_H
#define KMETRICS_TEST_NODE_TREE_H

/* Writes cpu.stat into dir, and with full also memory.current, memory.peak,
 * memory.swap.current and a full-length 6.x memory.stat. */
void nt_write_files(const char *dir, int full);

/* Builds pods x containers app containers plus a sandbox per pod under root (systemd driver,
 * Burstable, containerd), bundles under runtime. full: fixture files for every container and
 * the root (a tmpfs tree); else bare directories (cgroupfs makes the files). 0 or -1. */
int nt_build(const char *root, const char *runtime, unsigned pods, unsigned containers, int full);

#endif
