#!/usr/bin/env bash
# vmtests/realnode/run.sh: kmetrics installed the way a user installs it, on a real node
# (`make realnode`; docs/realnode.md). The control plane of tests/e2e/cluster.sh runs on this
# machine with kube-scheduler; one node VM (Debian's 6.1 kernel in qemu, 3 GiB) runs kubelet
# 1.20.2, containerd and runc. kmetrics's images are imported into the node's containerd and
# `kubectl apply -k` installs vmtests/realnode/overlay (deploy/ plus what this network forces).
# Then real pods run and every check of checks.sh looks at them through the collector, the
# kubelet and the kube-apiserver. Once per cgroup driver: cgroupfs (busybox init) and
# systemd (systemd as PID 1).
#
#   vmtests/realnode/run.sh     (needs root, make realnode's prerequisites, scripts/deps.sh)
#   RN_DRIVERS="cgroupfs systemd"   the drivers to run, in order
#   RN_KEEP=1                   leave the last node and control plane running (debugging)
#   RN_REUSE=DRIVER             with a node RN_KEEP left: no setup, only the checks
#   RN_CHECKS="check_workloads ..."  the checks to run (default: all, in order; checks.sh)
#
# Output: "ok - ..." / "not ok - ..." per check, "# ..." for figures and timelines, and last
# "realnode: N passed, M failed". Exit status 1 on any failure.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 2
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 2
RN_WORK=$BUILD/realnode
RN_DRIVERS=${RN_DRIVERS:-cgroupfs systemd}
RN_VM_TIMEOUT=${RN_VM_TIMEOUT:-1500} # the watchdog's: one driver's whole run
export ETCD_PORT=${RN_ETCD_PORT:-23990} APISERVER_PORT=16743 # the overlay names 16743
export KUBECACHEDIR=$RN_WORK/kube-cache
RN_CP=$RN_WORK/cp
RN_SHARE=$RN_WORK/share
RN_IMAGES=$RN_WORK/images
RN_ROOTFS=$RN_WORK/rootfs.img
KUBECTL=${KUBECTL:-kubectl}

passed=0
failed=0
started=$SECONDS
info() { echo "# $*"; }
pass() {
    passed=$((passed + 1))
    echo "ok - $RN_LABEL$1"
}
# fail DESCRIPTION REASON [OUTPUT]
fail() {
    failed=$((failed + 1))
    echo "not ok - $RN_LABEL$1: $2"
    [[ -n ${3:-} ]] && head -c 6000 <<<"$3" | sed 's/^/    | /'
    return 0
}
# check DESCRIPTION WHY [OUTPUT]: passes when WHY is empty.
check() { if [[ -z $2 ]]; then pass "$1"; else fail "$1" "$(tr '\n' ';' <<<"$2" | sed 's/;$//')" "${3:-}"; fi; }
RN_LABEL=""
K() { timeout 60 "$KUBECTL" --kubeconfig "$RN_CP/admin.kubeconfig" "$@"; }

summary() {
    echo "# realnode: $((SECONDS - started)) s"
    echo "realnode: $passed passed, $failed failed"
}
abort() {
    fail "setup" "$*"
    summary
    exit 1
}

# wait_for SECONDS COMMAND...: polls every second; true once COMMAND succeeds.
wait_for() {
    local limit=$1 t0=$SECONDS
    shift
    while ((SECONDS - t0 < limit)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

# shellcheck source=vmtests/vm.sh
. vmtests/vm.sh
# shellcheck source=vmtests/realnode/node.sh
. vmtests/realnode/node.sh
# shellcheck source=vmtests/realnode/checks.sh
. vmtests/realnode/checks.sh

teardown() {
    vm_kill_all
    ./tests/e2e/cluster.sh down "$RN_CP" >/dev/null 2>&1
}
trap '[[ ${RN_KEEP:-0} == 1 ]] || teardown' EXIT
trap 'exit 130' INT TERM

# --- preflight --------------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || abort "needs root (mmdebstrap builds the node's root file system)"
for t in curl jq openssl etcd kubectl qemu-system-x86_64 mmdebstrap mkfs.ext4 socat; do
    command -v "$t" >/dev/null || abort "$t missing (scripts/deps.sh installs it)"
done
for f in images/kmetrics-collector.tar images/kmetrics-aggregator.tar vmtests/pause \
    vmtests/burn vmtests/hold vmtests/demand vmtests/netload; do
    [[ -f $BUILD/$f ]] || abort "$BUILD/$f not built (make realnode builds it)"
done
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$ETCD_PORT" "$((ETCD_PORT + 10))" "$APISERVER_PORT" "$RN_KUBELET_PORT" "$RN_AGGREGATOR_PORT"; do
    [[ -z ${RN_REUSE:-} ]] && port_in_use "$p" &&
        abort "port $p on 127.0.0.1 is in use (a real-node run left running? RN_KEEP)"
done
kdir=$(dirname "$(readlink -f "$(command -v kubectl)")")
KUBECTLS=()
while IFS= read -r k; do KUBECTLS+=("$k"); done < <(printf '%s\n' "$kdir"/kubectl.1.* | grep -v '\*$' | sort -V)
((${#KUBECTLS[@]})) || KUBECTLS=("$(command -v kubectl)")

# --- what every driver's run shares: images, the node's root file system, the VM kernel -------
mkdir -p "$RN_WORK"
t0=$SECONDS
[[ -z ${RN_REUSE:-} ]] && {
rn_stage_images "$RN_IMAGES" || abort "building the workload images"
vm_prepare "$RN_WORK/vm" || abort "vm_prepare"
./vmtests/realnode/rootfs.sh "$RN_ROOTFS" "$VM_KVER" || abort "building the node's root file system"
info "images and root file system ready in $((SECONDS - t0)) s:" \
    "$(for f in "$RN_IMAGES"/*.tar; do printf '%s %s; ' "$(basename "$f" .tar)" "$(du -h --apparent-size "$f" | cut -f1)"; done)"
}

RN_CHECKS=${RN_CHECKS:-check_install_as_declared check_workloads check_kubelet_agreement check_kubectl_top check_kubelet_fallback check_faults check_deletion check_hpa check_hpa_network}
run_checks() {
    local c
    for c in $RN_CHECKS; do
        [[ -f $RN_WORK/hung ]] && break
        "$c"
    done
}

# The node's watchdog: if its kubelet stops answering /healthz for 2 minutes while checks
# run, the VM is stopped (so the checks fail fast rather than each wait out its timeout) and
# RN_WORK/hung says so. Started and stopped by run_driver.
watch_node() {
    local quiet=0
    rm -f "$RN_WORK/hung"
    while sleep 10; do
        if rn_kubelet /healthz >/dev/null 2>&1; then
            quiet=0
        elif ((quiet += 10)) && ((quiet >= 120)); then
            date -u +%FT%TZ >"$RN_WORK/hung"
            vm_kill "$RN_NODE"
            return
        fi
    done
}

# run_driver DRIVER: a fresh control plane and node, kmetrics installed, every check. A node
# whose guest stops answering (see watch_node) is started afresh once, and the checks of the
# lost attempt do not count; a second hang is a failure.
run_driver() {
    local driver=$1 attempt p0=$passed f0=$failed
    for attempt in 1 2; do
        run_driver_once "$driver"
        [[ -f $RN_WORK/hung ]] || return
        info "$driver: the node VM stopped answering at $(cat "$RN_WORK/hung") (attempt $attempt; logs in $RN_WORK/logs/$driver-hung)"
        rm -rf "$RN_WORK/logs/$driver-hung"
        [[ -d $RN_WORK/logs/$driver ]] && mv "$RN_WORK/logs/$driver" "$RN_WORK/logs/$driver-hung"
        if ((attempt == 1)); then
            passed=$p0 failed=$f0
            info "$driver: starting over on a fresh node; the checks above do not count"
        else
            fail "node VM ($driver)" "stopped answering twice"
        fi
    done
}

run_driver_once() {
    local driver=$1 t0=$SECONDS watchdog
    rm -f "$RN_WORK/hung"
    RN_LABEL="[$driver] "
    RN_DRIVER=$driver
    info "=== $driver driver"
    ./tests/e2e/cluster.sh down "$RN_CP" >/dev/null 2>&1
    rm -rf "$RN_CP"
    if ! KMETRICS_REAL_NODES=1 ./tests/e2e/cluster.sh up "$RN_CP" >"$RN_WORK/cluster.log" 2>&1; then
        fail "control plane" "cluster.sh up failed" "$(tail -20 "$RN_WORK/cluster.log")"
        return
    fi
    if ! rn_boot "$driver"; then
        fail "node VM" "did not start"
        return
    fi
    if ! check_node_ready; then
        vm_kill "$RN_NODE"
        return
    fi
    watch_node &
    watchdog=$!
    check_install && run_checks
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    info "$driver: $((SECONDS - t0)) s"
    if [[ ${RN_KEEP:-0} == 1 && $driver == "${RN_DRIVERS##* }" ]]; then
        info "RN_KEEP=1: node $RN_NODE and the control plane stay up (KUBECONFIG=$RN_CP/admin.kubeconfig)"
        return
    fi
    rn_save_logs "$driver"
    vm_kill "$RN_NODE"
    ./tests/e2e/cluster.sh down "$RN_CP" >/dev/null 2>&1
}

if [[ -n ${RN_REUSE:-} ]]; then
    # The node and control plane a run with RN_KEEP=1 left: only the checks.
    trap - EXIT
    RN_DRIVER=$RN_REUSE RN_NODE=rn-$RN_REUSE RN_LABEL="[$RN_REUSE] "
    VM_WORKDIR=$RN_WORK/vm
    run_checks
    RN_LABEL=""
    summary
    exit $((failed > 0))
fi
for d in $RN_DRIVERS; do
    case $d in
        cgroupfs | systemd) run_driver "$d" ;;
        *) fail "driver $d" "unknown (cgroupfs or systemd)" ;;
    esac
done
RN_LABEL=""
summary
((failed == 0))
