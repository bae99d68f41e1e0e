// SPDX-License-Identifier: GPL-2.0
/* Benchmark aid: counts the system calls one process makes, so the tick benchmark can report
 * syscalls per tick exactly. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
__u64 syscalls = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(count_sys_enter, struct pt_regs *regs, long id)
{
    if ((bpf_get_current_pid_tgid() >> 32) == target_tgid) __sync_fetch_and_add(&syscalls, 1);
    return 0;
}
