#!/bin/sh
# One node of the multi-node VM test, run by busybox sh inside a VM (vmtests/multinode/run.sh
# starts two). The host share is /mnt; it holds:
#   config                NODE, PORT, SHIP_INTERVAL, PODS, LIFETIME (read below)
#   kmetrics-collector    the static collector
#   ca.crt, ship-token    what the collector trusts and presents
# and the guest writes into /mnt/out:
#   netcheck              PASS|FAIL lines: the guest reaches the aggregator's port and nothing else
#   pods                  one line per pod: name namespace uid millicores
#   usage                 every second: uptime, the node's and each pod's cpu.stat usage_usec
#   clock                 realtime minus uptime (seconds), to date the usage lines
#   collector.log         the collector's log
#   ready                 written once the pods and the collector run (guest uptime in it)
#   error                 why the guest gave up, if it did
# The guest runs until the host creates /mnt/stop (exit 0), the collector dies (exit 1), or
# LIFETIME seconds pass (exit 2). The host may also power the VM off at any time.
#
# PODS: space-separated name:namespace:millicores; 1000 is one unlimited busy loop (one
# core), 1..999 a busy loop under cpu.max at that share of a core, 0 an idle process.
set -u
# shellcheck disable=SC1091 # written by run.sh
. /mnt/config
out=/mnt/out
mkdir -p "$out"
cg=/sys/fs/cgroup
bundles=/run/kmtest-bundles

say() { echo "guest $NODE: $*"; }
fail() {
    say "FAIL: $*"
    echo "$*" >>"$out/error"
    exit 1
}

# --- network: eth0 at 10.0.2.15 (vm.sh may have done it), and a default route, so that a
# refused connection below is slirp's restrict=on and not a missing route.
if ! ip -4 addr show dev eth0 2>/dev/null | grep -q 'inet '; then
    ip link set lo up
    ip link set eth0 up || fail "no eth0"
    ip addr add 10.0.2.15/24 dev eth0 || fail "cannot configure eth0"
fi
ip route show | grep -q '^default' || ip route add default via 10.0.2.2 2>/dev/null

# connects HOST PORT: 0 if a TCP connection is established within 3 s.
connects() { timeout 5 nc -w 3 "$1" "$2" </dev/null >/dev/null 2>&1; }
: >"$out/netcheck"
if connects 10.0.2.100 "$PORT"; then
    echo "PASS $NODE reaches the aggregator at 10.0.2.100:$PORT" >>"$out/netcheck"
else
    echo "FAIL $NODE cannot reach the aggregator at 10.0.2.100:$PORT" >>"$out/netcheck"
fi
for t in "10.0.2.100 $((PORT + 1))" "10.0.2.2 $PORT" "10.0.2.2 22" "10.0.2.3 53" \
    "1.1.1.1 443"; do
    # shellcheck disable=SC2086 # "host port"
    if connects $t; then
        echo "FAIL $NODE connected to ${t% *}:${t#* } (only the aggregator's port should be" \
            "reachable)" >>"$out/netcheck"
    else
        echo "PASS $NODE cannot connect to ${t% *}:${t#* }" >>"$out/netcheck"
    fi
done

# --- a kubepods tree (systemd driver, REFERENCE §4) with containerd bundles, so the collector
# learns pod and container names as on a real node.
hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# bundle ID SANDBOX-ID POD-UID NS POD CONTAINER TYPE SLICE: containerd's config.json, written
# whole and renamed into place before the cgroup exists, as containerd and runc do.
bundle() {
    mkdir -p "$bundles/$1"
    if [ "$7" = sandbox ]; then
        extra=""
    else
        extra=", \"io.kubernetes.cri.container-name\": \"$6\""
        extra="$extra, \"io.kubernetes.cri.image-name\": \"busybox\""
    fi
    cat >"$bundles/$1/config.json.tmp" <<JSON
{"ociVersion": "1.1.0", "process": {"args": ["/bin/sh"]},
 "annotations": {"io.kubernetes.cri.container-type": "$7",
   "io.kubernetes.cri.sandbox-id": "$2", "io.kubernetes.cri.sandbox-name": "$5",
   "io.kubernetes.cri.sandbox-namespace": "$4", "io.kubernetes.cri.sandbox-uid": "$3"$extra},
 "linux": {"cgroupsPath": "$8:cri-containerd:$1"}}
JSON
    mv "$bundles/$1/config.json.tmp" "$bundles/$1/config.json"
}

# spawn DIR busy|idle: a process that joins cgroup DIR, then spins or sleeps. It execs after
# joining, so its memory is charged to DIR (pages touched before the move stay with the root).
spawn() {
    if [ "$2" = busy ]; then
        sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "while :; do :; done"' sh "$1" \
            </dev/null >/dev/null 2>&1 &
    else
        sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 100000' sh "$1" </dev/null \
            >/dev/null 2>&1 &
    fi
}

mkdir -p "$bundles"
echo "+cpu +memory" >"$cg/cgroup.subtree_control" || fail "cannot enable cpu, memory at the root"
kp=$cg/kubepods.slice
mkdir -p "$kp/kubepods-burstable.slice" "$kp/kubepods-besteffort.slice"
for d in "$kp" "$kp/kubepods-burstable.slice" "$kp/kubepods-besteffort.slice"; do
    echo "+cpu +memory" >"$d/cgroup.subtree_control" || fail "cannot enable cpu, memory in $d"
done
: >"$out/pods"
pod_dirs=""
for spec in $PODS; do
    name=${spec%%:*}
    rest=${spec#*:}
    ns=${rest%%:*}
    mc=${rest#*:}
    uid=$(cat /proc/sys/kernel/random/uuid)
    uid_=$(echo "$uid" | tr - _)
    if [ "$mc" -gt 0 ] && [ "$mc" -lt 1000 ]; then qos=burstable; else qos=besteffort; fi
    slice=kubepods-$qos-pod$uid_.slice
    pdir=$kp/kubepods-$qos.slice/$slice
    sb=$(hex64)
    bundle "$sb" "$sb" "$uid" "$ns" "$name" "" sandbox "$slice"
    mkdir -p "$pdir/cri-containerd-$sb.scope" || fail "mkdir $pdir"
    echo "+cpu +memory" >"$pdir/cgroup.subtree_control"
    spawn "$pdir/cri-containerd-$sb.scope" idle # stands in for pause
    cid=$(hex64)
    bundle "$cid" "$sb" "$uid" "$ns" "$name" main container "$slice"
    mkdir -p "$pdir/cri-containerd-$cid.scope"
    if [ "$mc" -gt 0 ] && [ "$mc" -lt 1000 ]; then
        echo "$((mc * 100)) 100000" >"$pdir/cri-containerd-$cid.scope/cpu.max" ||
            fail "cannot set cpu.max"
    fi
    if [ "$mc" -gt 0 ]; then
        spawn "$pdir/cri-containerd-$cid.scope" busy
    else
        spawn "$pdir/cri-containerd-$cid.scope" idle
    fi
    echo "$name $ns $uid $mc" >>"$out/pods"
    pod_dirs="$pod_dirs $pdir"
done

# The realtime clock minus uptime (what the host adds to the usage log's first column to
# compare it with the collector's sample times): taken when `date +%s` turns a second.
s0=$(date +%s)
while [ "$(date +%s)" = "$s0" ]; do :; done
echo "$((s0 + 1)) $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.2f\n", $1 - $2 }' >"$out/clock"

# usage_usec FILE: the usage_usec line of a cpu.stat file.
usage_usec() { sed -n 's/^usage_usec //p' "$1"; }
# log_usage: one line of the usage log (its first line comes before the collector starts,
# so the log covers every window the collector can report).
log_usage() {
    line="$(cut -d' ' -f1 /proc/uptime) $(usage_usec "$cg/cpu.stat")"
    for d in $pod_dirs; do line="$line $(usage_usec "$d/cpu.stat")"; done
    echo "$line" >>"$out/usage"
}
log_usage

# --- the collector, from the guest's RAM rather than over 9p
# dd, not cp: busybox cp copies with sendfile(2), a splice from 9p; a CI run once saw the
# guest kernel stall inside that cp. dd reads and writes plainly.
{ dd if=/mnt/kmetrics-collector of=/run/kmetrics-collector bs=1M 2>/dev/null &&
    chmod 755 /run/kmetrics-collector; } || fail "cannot copy the collector"
/run/kmetrics-collector --node-name="$NODE" --aggregator="https://10.0.2.100:$PORT" \
    --ship-interval="$SHIP_INTERVAL" --ship-token-file=/mnt/ship-token \
    --aggregator-ca-file=/mnt/ca.crt --cgroup-root="$cg" --runtime-dirs="$bundles" -v \
    </dev/null >"$out/collector.log" 2>&1 &
collector=$!
cut -d' ' -f1 /proc/uptime >"$out/ready"
say "ready: pods and collector running ($(cat "$out/ready") s after boot)"

end=$(($(cut -d. -f1 /proc/uptime) + LIFETIME))
while [ ! -e /mnt/stop ]; do
    if ! kill -0 "$collector" 2>/dev/null; then
        tail -20 "$out/collector.log"
        fail "the collector exited"
    fi
    if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then
        say "no stop from the host within ${LIFETIME}s"
        kill "$collector"
        exit 2
    fi
    log_usage
    sleep 1
done
kill "$collector"
i=0
while kill -0 "$collector" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$collector" 2>/dev/null; then
    fail "the collector did not stop within 5 s of SIGTERM"
fi
say "stopped"
exit 0
