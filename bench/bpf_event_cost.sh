#!/bin/sh
# bench/bpf_event_cost.sh [N]: the kernel-side cost of the cgroup lifecycle program per event,
# from the kernel's BPF run statistics (kernel.bpf_stats_enabled, turned on for the run and
# restored). A collector watches a scratch tree under the cgroup2 mount while N container
# cgroups (default 300) are made and removed; on_cgroup_rmdir also reads the removed
# cgroup's CPU usage (every CPU's per-CPU counters), on_cgroup_mkdir does not, so the
# difference per event is that read. Needs root and build/kmetrics-collector.
set -eu
N=${1:-300}
BIN=${BIN:-build/kmetrics-collector}
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
B=$MNT/kmetrics-bench-$$
P=$B/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11111111_2222_3333_4444_555555555555.slice
mkdir -p "$P"
"$BIN" --interval=60s --cgroup-root="$B" -q &
CP=$!
sleep 1.5
OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
i=0
while [ $i -lt "$N" ]; do
    d=$P/cri-containerd-$(printf '%064d' $i).scope
    mkdir "$d"
    rmdir "$d"
    i=$((i + 1))
done
bpftool prog show | awk -v pid=$CP '
    / name on_cgroup_(mk|rm)dir / { for (i = 1; i <= NF; i++) if ($i == "name") name = $(i + 1) }
    /run_time_ns/ && name { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
                            printf "%s: %d runs, %.2f us per run\n", name, c, c ? t / c / 1000 : 0; name = "" }'
echo "$OLD" >/proc/sys/kernel/bpf_stats_enabled
kill $CP
wait $CP || true
rmdir "$P" "$B/kubepods.slice/kubepods-burstable.slice" "$B/kubepods.slice" "$B"
