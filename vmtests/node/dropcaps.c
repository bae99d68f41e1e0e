/* Runs a command without the capabilities BPF needs (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN):
 * drops them from the bounding set (so exec cannot grant them back to root) and from the
 * inheritable, permitted and effective sets, then execs.
 *   dropcaps CMD [ARGS...]
 * Static, no libcap: the VM's initramfs has nothing else. */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int main(int argc, char **argv)
{
    static const int drop[] = {CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN};
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];

    if (argc < 2) {
        fprintf(stderr, "usage: dropcaps CMD [ARGS...]\n");
        return 2;
    }
    if (syscall(SYS_capget, &hdr, data) != 0) {
        perror("dropcaps: capget");
        return 1;
    }
    for (unsigned i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
        int c = drop[i];
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
            perror("dropcaps: PR_CAPBSET_DROP");
            return 1;
        }
        data[c / 32].effective &= ~(1u << (c % 32));
        data[c / 32].permitted &= ~(1u << (c % 32));
        data[c / 32].inheritable &= ~(1u << (c % 32));
    }
    if (syscall(SYS_capset, &hdr, data) != 0) {
        perror("dropcaps: capset");
        return 1;
    }
    execvp(argv[1], argv + 1);
    perror("dropcaps: exec");
    return 127;
}
