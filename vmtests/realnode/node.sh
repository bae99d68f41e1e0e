# shellcheck shell=bash
# vmtests/realnode/node.sh: the real node and the ways into it, for vmtests/realnode/run.sh.
#
#   rn_stage_images DIR            workload images (pause, load) and kmetrics's own into DIR
#   rn_boot DRIVER                 node VM for a cgroup driver (cgroupfs | systemd), booted
#   rn_ctl SECONDS CMD             CMD run by sh in the guest; its output; its exit status
#   rn_kubelet PATH                GET from the node's kubelet (admin client certificate)
#   rn_collector_dumps N           the collector's state N times, a second apart (SIGUSR1),
#                                  one JSON document per line
#
# Reaching the node (REFERENCE §10): qemu user networking. The guest reaches the host's
# kube-apiserver at 10.0.2.100:APISERVER_PORT (guestfwd), the host reaches the kubelet at
# 127.0.0.1:RN_KUBELET_PORT and the node's port 4443 at 127.0.0.1:RN_AGGREGATOR_PORT
# (hostfwd). The kube-apiserver cannot dial the node (no kubectl logs/exec); commands go
# through the 9p share instead: the guest's ctl.sh runs RN_SHARE/ctl/*.cmd.

RN_NODE_IP=10.0.2.15
RN_KUBELET_PORT=${RN_KUBELET_PORT:-20250}
RN_AGGREGATOR_PORT=24443 # fixed: vmtests/realnode/overlay names it

# rn_stage_images DIR: OCI archives for the node's containerd: kmetrics's two images (make
# images), the sandbox image (pause) and the workload image (busybox-static and the helpers).
rn_stage_images() {
    local dir=$1 root
    mkdir -p "$dir" || return 1
    cp "$BUILD/images/kmetrics-collector.tar" "$BUILD/images/kmetrics-aggregator.tar" "$dir/" ||
        return 1
    root=$(mktemp -d) || return 1
    install -D -m 0755 "$BUILD/vmtests/pause" "$root/pause/pause" &&
        ./scripts/oci-image.sh --rootfs "$root/pause" --name docker.io/library/kmetrics-pause:1 \
            --out "$dir/kmetrics-pause.tar" --entrypoint '["/pause"]' >/dev/null || return 1
    mkdir -p "$root/load/bin" "$root/load/tmp" && chmod 1777 "$root/load/tmp" &&
        cp /bin/busybox "$root/load/bin/busybox" && ln -s busybox "$root/load/bin/sh" &&
        ln -s busybox "$root/load/bin/sleep" &&
        install -m 0755 "$BUILD/vmtests/burn" "$BUILD/vmtests/hold" "$BUILD/vmtests/demand" \
            "$BUILD/vmtests/netload" \
            "$root/load/bin/" &&
        ./scripts/oci-image.sh --rootfs "$root/load" --name docker.io/library/kmetrics-load:1 \
            --out "$dir/kmetrics-load.tar" --entrypoint '["/bin/sh"]' >/dev/null || return 1
    rm -rf "$root"
}

# rn_boot DRIVER: the share (node.env, PKI, images, ctl/, results/, logs/), then the VM.
# The systemd node boots Debian's systemd as PID 1; the cgroupfs node busybox init.
rn_boot() {
    local driver=$1 init=/realnode/init
    [[ $driver == systemd ]] && init=/sbin/init
    RN_NODE=rn-$driver
    rm -rf "$RN_SHARE" && mkdir -p "$RN_SHARE"/{pki,ctl,results,logs,demand} || return 1
    chmod 0777 "$RN_SHARE/results" "$RN_SHARE/demand"
    printf 'NODE_NAME=%s\nDRIVER=%s\nAPISERVER_PORT=%s\n' "$RN_NODE" "$driver" \
        "$APISERVER_PORT" >"$RN_SHARE/node.env"
    ./tests/e2e/cluster.sh node-certs "$RN_CP" "$RN_NODE" "$RN_NODE_IP" || return 1
    cp "$RN_CP/pki/ca.crt" "$RN_SHARE/pki/ca.crt" &&
        cp "$RN_CP/pki/node-$RN_NODE.crt" "$RN_SHARE/pki/kubelet.crt" &&
        cp "$RN_CP/pki/node-$RN_NODE.key" "$RN_SHARE/pki/kubelet.key" &&
        cp "$RN_CP/pki/node-$RN_NODE-serving.crt" "$RN_SHARE/pki/kubelet-serving.crt" &&
        cp "$RN_CP/pki/node-$RN_NODE-serving.key" "$RN_SHARE/pki/kubelet-serving.key" || return 1
    cp -r "$RN_IMAGES" "$RN_SHARE/images" || return 1
    # tsc=reliable: under TCG the two vCPUs' TSCs look unsynchronized, so the kernel falls
    # back to the HPET, and every clock read of the node's Go programs (kubelet, containerd,
    # a shim per pod, runc) becomes an emulated MMIO access: the likely reason a burst of pods
    # starting left the node unanswering for good twice in 7 runs (it printed nothing).
    VM_ROOT_IMAGE=$RN_ROOTFS VM_ROOT_INIT=$init VM_MEM=3G VM_SMP=2 VM_APPEND="tsc=reliable" \
        VM_HOSTFWD="$RN_KUBELET_PORT:10250 $RN_AGGREGATOR_PORT:4443" \
        VM_QEMU_ARGS="" vm_start "$RN_NODE" "$RN_SHARE" "" "$RN_VM_TIMEOUT" "$APISERVER_PORT"
}

# rn_ctl SECONDS CMD: runs CMD (sh) in the guest, prints its output, returns its status (124
# when it did not finish in time, e.g. the guest is gone).
rn_ctl() {
    local limit=$1 cmd=$2 n rc t0=$SECONDS
    # A name of its own: callers run in subshells ($(...)), which share no counter.
    n=$RN_SHARE/ctl/c$(date +%s%N)-$BASHPID
    printf '%s\n' "$cmd" >"$n.tmp" && mv "$n.tmp" "$n.cmd"
    while [[ ! -f $n.rc ]]; do
        # A node the watchdog stopped (run.sh) answers nothing: no need to wait.
        ((SECONDS - t0 >= limit)) || [[ -f $RN_WORK/hung ]] && return 124
        sleep 0.2
    done
    cat "$n.out"
    rc=$(cat "$n.rc")
    rm -f "$n.out" "$n.rc" "$n.run"
    return "$rc"
}

rn_kubelet() {
    curl -sS --max-time 30 --cacert "$RN_CP/pki/ca.crt" --cert "$RN_CP/pki/admin.crt" \
        --key "$RN_CP/pki/admin.key" --connect-to "$RN_NODE_IP:10250:127.0.0.1:$RN_KUBELET_PORT" \
        "https://$RN_NODE_IP:10250$1"
}

# The collector container's log on the node (the running pod's, newest restart).
rn_collector_log_cmd() {
    local uid
    uid=$(K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-collector \
        --field-selector status.phase=Running -o jsonpath='{.items[0].metadata.uid}') || return 1
    [[ -n $uid ]] || return 1
    echo "ls -t /var/log/pods/kube-system_kmetrics-collector-*_$uid/collector/*.log | head -1"
}

# rn_collector_dumps N: N snapshots of what the running collector holds, a second apart, from
# its stdout in its CRI log (lines longer than 16 KiB arrive there as "P" pieces: joined).
rn_collector_dumps() {
    local n=$1 logcmd
    logcmd=$(rn_collector_log_cmd) || return 1
    rn_ctl $((n + 30)) "log=\$($logcmd); before=\$(wc -l <\"\$log\")
        pid=\$(pgrep -f '^/kmetrics-collector' | head -1)
        for i in \$(seq $n); do kill -USR1 \$pid; sleep 1; done; sleep 0.5
        tail -n +\$((before + 1)) \"\$log\"" |
        awk '$2 == "stdout" { line = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", line)
                              acc = acc line; if ($3 == "F") { print acc; acc = "" } }' |
        grep '^{'
}
