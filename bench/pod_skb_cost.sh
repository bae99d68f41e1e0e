#!/bin/bash
# bench/pod_skb_cost.sh [N]: the kernel-side cost per packet of the hostNetwork socket traffic
# programs (bpf/pod_skb.bpf.c), from the kernel's BPF run statistics (kernel.bpf_stats_enabled,
# turned on for the run and restored). A collector watches a scratch tree under the cgroup2
# mount; a shell in the node's network namespace sends N UDP datagrams over loopback (to socat,
# outside the tree), first from a container cgroup the collector counts (a hostNetwork pod's),
# then from its pod's own cgroup, which it does not (one map lookup that misses). Only egress
# runs: the receiver is outside the tree. Needs root, bash, socat, bpftool and
# build/kmetrics-collector.
set -eu
N=${1:-20000}
BIN=${BIN:-build/kmetrics-collector}
PORT=${PORT:-47999}
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
B=$MNT/kmetrics-bench-skb-$$
P=$B/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice
C=$P/cri-containerd-$(printf '%064d' 1).scope
mkdir -p "$C"
socat -u UDP-RECV:$PORT,bind=127.0.0.1 /dev/null &
RP=$!
# The pod's process, alive from before the collector's first signal tick (found hostNetwork).
bash -c "echo \$\$ > $C/cgroup.procs; exec sleep 1000" &
SP=$!
"$BIN" --format=json --interval=200ms --cgroup-root="$B" -q >/dev/null &
CP=$!
sleep 2
stats() { # run_cnt run_time_ns of on_egress
    bpftool prog show name on_egress | awk '{ for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } } END { print c + 0, t + 0 }'
}
send() { # from cgroup $1
    bash -c "echo \$\$ > $1/cgroup.procs; exec 3>/dev/udp/127.0.0.1/$PORT; for ((i = 0; i < $N; i++)); do echo x >&3; done"
}
OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
for what in counted:$C not-counted:$P; do
    read -r c0 t0 < <(stats)
    send "${what#*:}"
    read -r c1 t1 < <(stats)
    awk -v w="${what%%:*}" -v c=$((c1 - c0)) -v t=$((t1 - t0)) \
        'BEGIN { printf "%s: %d runs, %.0f ns per run\n", w, c, c ? t / c : 0 }'
done
echo "$OLD" >/proc/sys/kernel/bpf_stats_enabled
kill $CP $SP $RP
wait $CP $SP $RP 2>/dev/null || true
rmdir "$C" "$P" "$B/kubepods.slice/kubepods-besteffort.slice" "$B/kubepods.slice" "$B"
