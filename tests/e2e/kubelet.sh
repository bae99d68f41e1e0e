# shellcheck shell=bash
# Plays the kubelet (and containerd) for the end-to-end tests, sourced by run.sh. There is no
# kubelet on this machine: for each pod created through the API these functions bind it to
# our Node, make its cgroups in a real kubepods layout (systemd driver) under our own cgroup
# directory, write the containerd bundles (config.json with the CRI annotations, REFERENCE
# §5) the collector reads, start real processes in those cgroups (a CPU burner at a given
# fraction of a core, or an idle process), and write the pod status the kubelet would.
#
# Before sourcing set:
#   KL_NODE         node name (the collector's --node-name)
#   KL_CGROUP_BASE  our cgroup v2 directory (the collector's --cgroup-root), at or under a
#                   directory named kmetrics-e2e-*: cleanup kills what runs there and
#                   refuses any other path
#   KL_RUNTIME_DIR  containerd task directory (the collector's --runtime-dirs)
#   KL_STATE        scratch directory for pids and logs
#   KL_BURNER       the burner helper (tests/helpers/burner.c)
#   APISERVER, E2E_PKI   from cluster.sh's env (the API is called with the admin cert)
#
# Loads ("LOADSPEC") are space-separated container=fraction pairs, fraction in cores (0..1,
# one burner thread per container); "*=F" applies to every container not named; containers
# not covered run idle.
#
# Functions: kl_api, kl_node_create, kl_pod_start, kl_pod_set_load, kl_pod_stop,
# kl_loop_start, kl_loop_set_load, kl_loop_stop, kl_cleanup.

# kl_api METHOD PATH [CONTENT-TYPE]: the API server with the admin certificate; the body, if
# any, on stdin. Prints the answer; fails on an HTTP error (the Status is printed).
kl_api() {
    local method=$1 path=$2 ctype=${3:-application/json} args=()
    [[ $method == GET ]] || args=(--data-binary @- -H "Content-Type: $ctype")
    curl -sS --fail-with-body --max-time 20 --cacert "$E2E_PKI/ca.crt" \
        --cert "$E2E_PKI/admin.crt" --key "$E2E_PKI/admin.key" \
        -X "$method" "${args[@]}" "$APISERVER$path"
}

kl_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

kl_hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

kl_log() { echo "kubelet: $*" >>"$KL_STATE/kubelet.log"; }

# kl_node_create [CPU] [MEMORY]: the Node object, Ready, with capacity and allocatable (what
# kubectl top node divides by). Nothing marks it NotReady later: no node lifecycle controller
# runs in the e2e control plane.
kl_node_create() {
    local cpu=${1:-2} mem=${2:-8Gi} now
    now=$(kl_now)
    mkdir -p "$KL_STATE/pods" "$KL_RUNTIME_DIR" "$KL_CGROUP_BASE"
    jq -n --arg n "$KL_NODE" '{apiVersion: "v1", kind: "Node", metadata: {name: $n,
        labels: {"kubernetes.io/hostname": $n, "kubernetes.io/os": "linux",
                 "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                 "beta.kubernetes.io/arch": "amd64"}}}' |
        kl_api POST /api/v1/nodes >/dev/null || return 1
    jq -n --arg n "$KL_NODE" --arg cpu "$cpu" --arg mem "$mem" --arg now "$now" \
        --arg kernel "$(uname -r)" '{status: {
        capacity: {cpu: $cpu, memory: $mem, pods: "110"},
        allocatable: {cpu: $cpu, memory: $mem, pods: "110"},
        conditions: [
          {type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory",
           lastHeartbeatTime: $now, lastTransitionTime: $now},
          {type: "Ready", status: "True", reason: "KubeletReady",
           message: "kubelet is posting ready status (kmetrics e2e)",
           lastHeartbeatTime: $now, lastTransitionTime: $now}],
        addresses: [{type: "InternalIP", address: "127.0.0.1"}, {type: "Hostname", address: $n}],
        nodeInfo: {machineID: "", systemUUID: "", bootID: "", kernelVersion: $kernel,
                   osImage: "kmetrics e2e", containerRuntimeVersion: "containerd://e2e",
                   kubeletVersion: "v1.20.2", kubeProxyVersion: "v1.20.2",
                   operatingSystem: "linux", architecture: "amd64"}}}' |
        kl_api PATCH "/api/v1/nodes/$KL_NODE/status" application/merge-patch+json >/dev/null
}

# The load (cores) LOADSPEC gives container C.
kl_load_for() {
    local spec=$1 c=$2 kv star=0
    for kv in $spec; do
        [[ ${kv%%=*} == "$c" ]] && { echo "${kv#*=}"; return; }
        [[ ${kv%%=*} == "*" ]] && star=${kv#*=}
    done
    echo "$star"
}

# kl_proc_start CGROUP_DIR LOAD LOG: a burner at LOAD cores, or an idle process at 0, that
# joins CGROUP_DIR itself before doing anything. Prints its pid.
kl_proc_start() {
    local dir=$1 load=$2 log=$3 duty
    duty=$(awk -v f="$load" 'BEGIN { d = int(f * 100 + 0.5); print (d > 100 ? 100 : d) }')
    if ((duty > 0)); then
        "$KL_BURNER" "$dir" "$duty" 86400 "$log" </dev/null >/dev/null 2>&1 &
    else
        sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 86400' sh "$dir" \
            </dev/null >/dev/null 2>&1 &
    fi
    echo $!
    disown $! # no job notices when it is killed
}

# Kills every process in a cgroup directory and below (all ours: we made these cgroups), then
# removes the directories, deepest first. Bounded: gives up after ~5 s and says so.
kl_cgroup_remove() {
    local top=$1 d pid
    [[ -d $top ]] || return 0
    # Never anything but our own tree, whatever a caller passes.
    if [[ $top != */kmetrics-e2e-* || $top == *..* ]]; then
        echo "kubelet: refusing to empty $top (not under a kmetrics-e2e-* cgroup)" >&2
        return 1
    fi
    for _ in $(seq 50); do
        while IFS= read -r d; do
            # shellcheck disable=SC2013 # one pid per line
            for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
                kill -9 "$pid" 2>/dev/null || true
            done
        done < <(find "$top" -type d)
        find "$top" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ -d $top ]] || return 0
        sleep 0.1
    done
    echo "kubelet: could not remove $top" >&2
    return 1
}

# kl_pod_start NS NAME [LOADSPEC] [POD-JSON]: bind (if unbound), cgroups, bundles,
# processes, status. Returns non-zero and logs why on any failure.
kl_pod_start() {
    local ns=$1 name=$2 spec=${3:-} pod=${4:-} st uid qos uid_ pod_dir sandbox now ip c
    local cid cdir img statuses='[]' n
    st=$KL_STATE/pods/$ns/$name
    [[ -n $pod ]] || pod=$(kl_api GET "/api/v1/namespaces/$ns/pods/$name") || return 1
    uid=$(jq -r .metadata.uid <<<"$pod")
    qos=$(jq -r '.status.qosClass // "BestEffort"' <<<"$pod")
    if [[ $(jq -r '.spec.nodeName // ""' <<<"$pod") == "" ]]; then
        jq -n --arg p "$name" --arg n "$KL_NODE" '{apiVersion: "v1", kind: "Binding",
            metadata: {name: $p}, target: {apiVersion: "v1", kind: "Node", name: $n}}' |
            kl_api POST "/api/v1/namespaces/$ns/pods/$name/binding" >/dev/null || return 1
    fi
    mkdir -p "$st"
    echo "$uid" >"$st/uid"
    # REFERENCE §4, systemd driver: dashes of the UID become underscores.
    uid_=${uid//-/_}
    case $qos in
    Guaranteed) pod_dir=kubepods.slice/kubepods-pod$uid_.slice ;;
    Burstable) pod_dir=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$uid_.slice ;;
    *) pod_dir=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$uid_.slice ;;
    esac
    echo "$KL_CGROUP_BASE/$pod_dir" >"$st/cgroup"
    # The sandbox: its own scope with an idle process standing in for pause, and a bundle
    # that says container-type sandbox (the collector must not count it).
    # As with containerd and runc, the bundle is written before the cgroup is made.
    sandbox=$(kl_hex64)
    kl_bundle "$sandbox" "$sandbox" "$uid" "$ns" "$name" "" sandbox "$pod_dir" pause || return 1
    echo "$sandbox" >"$st/bundles"
    mkdir -p "$KL_CGROUP_BASE/$pod_dir/cri-containerd-$sandbox.scope" || return 1
    kl_proc_start "$KL_CGROUP_BASE/$pod_dir/cri-containerd-$sandbox.scope" 0 /dev/null \
        >"$st/sandbox.pid"
    now=$(kl_now)
    for c in $(jq -r '.spec.containers[].name' <<<"$pod"); do
        cid=$(kl_hex64)
        cdir=$KL_CGROUP_BASE/$pod_dir/cri-containerd-$cid.scope
        img=$(jq -r --arg c "$c" '.spec.containers[] | select(.name == $c) | .image' <<<"$pod")
        kl_bundle "$cid" "$sandbox" "$uid" "$ns" "$name" "$c" container "$pod_dir" "$img" ||
            return 1
        echo "$cid" >>"$st/bundles"
        mkdir -p "$cdir" || return 1
        echo "$cdir" >"$st/c.$c.cgroup"
        kl_container_load "$st" "$c" "$(kl_load_for "$spec" "$c")"
        statuses=$(jq -c --arg c "$c" --arg id "$cid" --arg now "$now" --arg img "$img" \
            '. + [{name: $c, ready: true, started: true, restartCount: 0, image: $img,
                   imageID: "", containerID: ("containerd://" + $id),
                   state: {running: {startedAt: $now}}}]' <<<"$statuses")
    done
    n=$(($(find "$KL_STATE/pods" -mindepth 2 -maxdepth 2 -type d | wc -l) % 250 + 2))
    ip=10.244.0.$n
    jq -n --argjson cs "$statuses" --arg now "$now" --arg ip "$ip" '{status: {
        phase: "Running", hostIP: "127.0.0.1", podIP: $ip, podIPs: [{ip: $ip}],
        startTime: $now,
        conditions: ([ "Initialized", "Ready", "ContainersReady", "PodScheduled" ] |
                     map({type: ., status: "True", lastProbeTime: null,
                          lastTransitionTime: $now})),
        containerStatuses: $cs}}' |
        kl_api PATCH "/api/v1/namespaces/$ns/pods/$name/status" \
            application/merge-patch+json >/dev/null || return 1
    kl_log "started $ns/$name ($qos, uid $uid) load '${spec:-idle}'"
}

# kl_bundle ID SANDBOX-ID POD-UID NS POD CONTAINER TYPE POD-DIR IMAGE: containerd's
# config.json (written whole, then renamed into place, as a reader may look at any time).
kl_bundle() {
    local id=$1 sb=$2 uid=$3 ns=$4 pod=$5 c=$6 type=$7 pod_dir=$8 img=${9:-}
    mkdir -p "$KL_RUNTIME_DIR/$id" || return 1
    jq -n --arg id "$id" --arg sb "$sb" --arg uid "$uid" --arg ns "$ns" --arg pod "$pod" \
        --arg c "$c" --arg type "$type" --arg slice "$(basename "$pod_dir")" --arg img "$img" '{
        ociVersion: "1.1.0",
        process: {args: (if $type == "sandbox" then ["/pause"] else ["/burner"] end)},
        annotations: ({
          "io.kubernetes.cri.container-type": $type,
          "io.kubernetes.cri.sandbox-id": $sb,
          "io.kubernetes.cri.sandbox-name": $pod,
          "io.kubernetes.cri.sandbox-namespace": $ns,
          "io.kubernetes.cri.sandbox-uid": $uid} +
          (if $type == "container" then {"io.kubernetes.cri.container-name": $c,
             "io.kubernetes.cri.image-name": $img} else {} end)),
        linux: {cgroupsPath: ($slice + ":cri-containerd:" + $id)}}' \
        >"$KL_RUNTIME_DIR/$id/config.json.tmp" &&
        mv "$KL_RUNTIME_DIR/$id/config.json.tmp" "$KL_RUNTIME_DIR/$id/config.json"
}

# (Re)starts container C's process at LOAD cores, replacing the one running.
kl_container_load() {
    local st=$1 c=$2 load=$3 old
    if [[ -f $st/c.$c.pid ]]; then
        old=$(cat "$st/c.$c.pid")
        kill -9 "$old" 2>/dev/null || true
    fi
    kl_proc_start "$(cat "$st/c.$c.cgroup")" "$load" "$st/c.$c.burner.log" >"$st/c.$c.pid"
    echo "$load" >"$st/c.$c.load"
}

# kl_pod_set_load NS NAME LOADSPEC: changes the load of a started pod's containers.
kl_pod_set_load() {
    local st=$KL_STATE/pods/$1/$2 f c load
    [[ -d $st ]] || return 1
    for f in "$st"/c.*.cgroup; do
        c=${f#"$st/c."}
        c=${c%.cgroup}
        load=$(kl_load_for "$3" "$c")
        [[ $(cat "$st/c.$c.load") == "$load" ]] || kl_container_load "$st" "$c" "$load"
    done
}

# kl_pod_stop NS NAME: what the kubelet does when a pod goes: processes killed, cgroups and
# bundles removed. The API object is left alone (see kl_loop for the final delete).
kl_pod_stop() {
    local st=$KL_STATE/pods/$1/$2 id
    [[ -d $st ]] || return 0
    kl_cgroup_remove "$(cat "$st/cgroup")" || kl_log "could not remove the cgroups of $1/$2"
    while read -r id; do
        [[ -n $id ]] && rm -rf "${KL_RUNTIME_DIR:?}/$id"
    done <"$st/bundles"
    rm -rf "$st"
    kl_log "stopped $1/$2"
}

# kl_loop NS SELECTOR: the kubelet's sync loop for the pods matching SELECTOR in NS (a
# Deployment's pods, made by the controller-manager): binds and starts new pods at the load
# in $KL_STATE/loop.load, applies a changed load to running ones, and tears down pods being
# deleted (then deletes them for good with grace period 0, as the kubelet does) or gone.
kl_loop() {
    local ns=$1 sel=$2 list name uid del known load pod
    set +e
    while [[ -f $KL_STATE/loop.run ]]; do
        list=$(kl_api GET "/api/v1/namespaces/$ns/pods?labelSelector=$(jq -rn --arg s "$sel" '$s|@uri')")
        if [[ -z $list ]]; then
            sleep 0.5
            continue
        fi
        load=$(cat "$KL_STATE/loop.load" 2>/dev/null)
        while IFS=$'\t' read -r name uid del; do
            [[ -n $name ]] || continue
            known=$KL_STATE/pods/$ns/$name
            if [[ $del != - ]]; then
                [[ -d $known ]] && kl_pod_stop "$ns" "$name"
                jq -n --arg uid "$uid" '{apiVersion: "v1", kind: "DeleteOptions",
                    gracePeriodSeconds: 0, preconditions: {uid: $uid}}' |
                    kl_api DELETE "/api/v1/namespaces/$ns/pods/$name" >/dev/null 2>&1 &&
                    kl_log "deleted $ns/$name"
            elif [[ ! -d $known ]]; then
                pod=$(jq -c --arg n "$name" '.items[] | select(.metadata.name == $n)' <<<"$list")
                kl_pod_start "$ns" "$name" "*=${load:-0}" "$pod" ||
                    kl_log "starting $ns/$name failed"
            else
                kl_pod_set_load "$ns" "$name" "*=${load:-0}"
            fi
        done < <(jq -r '.items[] | [.metadata.name, .metadata.uid,
                        (.metadata.deletionTimestamp // "-")] | @tsv' <<<"$list")
        for known in "$KL_STATE/pods/$ns"/*; do
            [[ -d $known ]] || continue
            name=${known##*/}
            jq -e --arg n "$name" 'any(.items[]; .metadata.name == $n)' <<<"$list" >/dev/null ||
                kl_pod_stop "$ns" "$name"
        done
        sleep 0.5
    done
}

# kl_loop_start NS SELECTOR [LOAD]: runs kl_loop in the background.
kl_loop_start() {
    echo "${3:-0}" >"$KL_STATE/loop.load"
    touch "$KL_STATE/loop.run"
    kl_loop "$1" "$2" </dev/null >>"$KL_STATE/kubelet.log" 2>&1 &
    echo $! >"$KL_STATE/loop.pid"
}

# kl_loop_set_load LOAD: every pod of the loop (running and new) at LOAD cores per container.
kl_loop_set_load() { echo "$1" >"$KL_STATE/loop.load"; }

# kl_loop_stop: ends the loop within one pass (bounded), killing it after 5 s.
kl_loop_stop() {
    local pid
    rm -f "$KL_STATE/loop.run"
    [[ -f $KL_STATE/loop.pid ]] || return 0
    pid=$(cat "$KL_STATE/loop.pid")
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$KL_STATE/loop.pid"
}

# kl_cleanup: the loop, every process in our cgroups, the cgroups, the bundles.
kl_cleanup() {
    kl_loop_stop
    kl_cgroup_remove "$KL_CGROUP_BASE"
    rm -rf "${KL_RUNTIME_DIR:?}" "${KL_STATE:?}/pods"
}
