# shellcheck shell=bash
# vmtests/realnode/checks.sh: what the real-node suite asserts, one function per concern,
# sourced by vmtests/realnode/run.sh (which defines K, pass, fail, check, info, wait_for, and
# node.sh's rn_* helpers). docs/realnode.md says why each check exists.

WORK_NS=rn-work
HPA_NS=rn-hpa
SHIP_INTERVAL_S=15 # deploy/base's collector default
WINDOW_S=15        # its --window
# How long an exited container's figures stay in the collector: a window, or two ship
# intervals when shipping and that is longer (userspace/main.c), so they are shipped.
RETAIN_S=$((WINDOW_S > 2 * SHIP_INTERVAL_S ? WINDOW_S : 2 * SHIP_INTERVAL_S))
SLACK_S=8          # a tick, a shipment in flight, and a slow emulated node
# The workload pods that run throughout, and their containers (pod/container).
STEADY_PODS="burn-200 burn-400 memhold multi with-init"
STEADY_CONTAINERS="burn-200/burn burn-400/burn memhold/hold multi/worker multi/cache with-init/app"

# jq helpers: Kubernetes quantities as numbers (cpu in nanocores, memory in bytes).
JQ_QTY='def cpu_n: if endswith("n") then .[:-1] | tonumber
                   elif endswith("u") then (.[:-1] | tonumber) * 1000
                   elif endswith("m") then (.[:-1] | tonumber) * 1000000
                   else tonumber * 1000000000 end;
        def mem_b: if endswith("Ki") then (.[:-2] | tonumber) * 1024
                   elif endswith("Mi") then (.[:-2] | tonumber) * 1048576
                   elif endswith("Gi") then (.[:-2] | tonumber) * 1073741824
                   elif endswith("k") then (.[:-1] | tonumber) * 1000
                   elif endswith("M") then (.[:-1] | tonumber) * 1000000
                   else tonumber end;'

api_pods() { K get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$1/pods"; }

# served_pods NS: "pod container cpu_n mem_b" per container the API serves in NS.
served_pods() {
    api_pods "$1" | jq -r "$JQ_QTY"'.items[] | .metadata.name as $p | .containers[] |
        "\($p) \(.name) \(.usage.cpu | cpu_n) \(.usage.memory | mem_b)"'
}

# missing_from SERVED PODS...: the pods (of PODS) with no row in SERVED, or with a negative
# figure; empty when all are there.
missing_from() {
    local served=$1 p
    shift
    for p in "$@"; do
        awk -v p="$p" '$1 == p { n++; if ($3 < 0 || $4 < 0) bad = 1 } END { exit !(n && !bad) }' \
            <<<"$served" || echo "$p"
    done
}

# --- the node -----------------------------------------------------------------------------------

node_ready() {
    [[ $(K get node "$RN_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}

check_node_ready() {
    local t0=$SECONDS
    if wait_for 300 node_ready; then
        pass "node $RN_NODE Ready ($((SECONDS - t0)) s after boot; kubelet $(K get node "$RN_NODE" -o jsonpath='{.status.nodeInfo.kubeletVersion}'), $(K get node "$RN_NODE" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}'))"
        return 0
    fi
    fail "node $RN_NODE Ready" "not within 300 s" \
        "$(tail -30 "$RN_SHARE/logs/kubelet.log" 2>&1; echo '--- console'; tail -30 "$VM_WORKDIR/$RN_NODE.log" 2>&1)"
    return 1
}

rn_save_logs() {
    local dir=$RN_WORK/logs/$1
    rm -rf "$dir" && mkdir -p "$dir"
    rn_ctl 60 "mkdir -p /mnt/logs/pods && cp -r /var/log/pods/. /mnt/logs/pods/ 2>/dev/null
        command -v journalctl >/dev/null && journalctl -b --no-pager >/mnt/logs/journal.log 2>&1
        ctr -n k8s.io tasks ls >/mnt/logs/tasks.txt 2>&1; true" >/dev/null
    cp -r "$RN_SHARE/logs/." "$dir/" 2>/dev/null
    cp "$VM_WORKDIR/$RN_NODE.log" "$dir/console.log" 2>/dev/null
    K get events -A >"$dir/events.txt" 2>&1
    info "node logs in $dir"
}

# --- installing kmetrics -----------------------------------------------------------------------

# The APIServices the overlay registers (check_install sets it from kubectl apply's output):
# metrics.k8s.io v1beta1 and v1, custom.metrics.k8s.io v1beta2 and v1beta1.
RN_APISERVICES=""
RN_APISERVICES_WANTED="v1beta1.metrics.k8s.io v1.metrics.k8s.io v1beta2.custom.metrics.k8s.io v1beta1.custom.metrics.k8s.io"
apiservices_available() {
    local a
    [[ -n $RN_APISERVICES ]] || return 1
    for a in $RN_APISERVICES; do
        [[ $(K get apiservice "$a" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}') == True ]] ||
            return 1
    done
}
collector_running() {
    [[ $(K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-collector \
        -o jsonpath='{.items[*].status.phase}') == Running ]]
}
# aggregator_ready [OLD]: an aggregator pod (other than OLD) is Ready. While OLD terminates it
# may still be listed as Ready: only the new one counts.
aggregator_ready() {
    K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-aggregator \
        -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
        awk -v old="${1:-}" '$1 != old && $2 == "True" { found = 1 } END { exit !found }'
}

# The user's steps of docs/install.md: certificates, then kubectl apply -k.
check_install() {
    local t0=$SECONDS out t_col="" t_agg="" t_api=""
    out=$(KUBECONFIG=$RN_CP/admin.kubeconfig ./deploy/gen-tls.sh -d "$RN_WORK/tls" --apply 2>&1) ||
        { fail "deploy/gen-tls.sh --apply" "failed" "$out"; return 1; }
    out=$(K apply -k vmtests/realnode/overlay 2>&1) ||
        { fail "kubectl apply -k vmtests/realnode/overlay" "failed" "$out"; return 1; }
    RN_APISERVICES=$(sed -n 's|^apiservice[.][^/]*/\([^ ]*\) .*|\1|p' <<<"$out" | tr '\n' ' ')
    local a missing=""
    for a in $RN_APISERVICES_WANTED; do
        [[ " $RN_APISERVICES " == *" $a "* ]] || missing+="$a "
    done
    check "kubectl apply -k vmtests/realnode/overlay ($(grep -c . <<<"$out") objects; APIServices ${RN_APISERVICES% })" \
        "$([[ -n $missing ]] && echo "APIServices not registered: $missing")" "$out"
    [[ -z $missing ]] || return 1
    while ((SECONDS - t0 < 300)); do
        [[ -z $t_col ]] && collector_running && t_col=$((SECONDS - t0))
        [[ -z $t_agg ]] && aggregator_ready && t_agg=$((SECONDS - t0))
        [[ -z $t_api ]] && apiservices_available && t_api=$((SECONDS - t0))
        [[ -n $t_col && -n $t_agg && -n $t_api ]] && break
        sleep 1
    done
    if [[ -n $t_col && -n $t_agg && -n $t_api ]]; then
        pass "installed: collector Running after ${t_col} s, aggregator Ready after ${t_agg} s, all $(wc -w <<<"$RN_APISERVICES") APIServices Available after ${t_api} s"
        return 0
    fi
    fail "installed and Available" "collector ${t_col:-not running}, aggregator ${t_agg:-not ready}, APIServices ${t_api:-not available} after 300 s" \
        "$(K -n kube-system get pods -o wide 2>&1; K get apiservice 2>&1 | grep metrics; K -n kube-system describe pods 2>&1 | tail -40)"
    return 1
}

# cap_mask NAME...: the capability bit mask of capability names (as the manifests spell them).
cap_mask() {
    local m=0 c
    declare -A bit=([CHOWN]=0 [DAC_OVERRIDE]=1 [DAC_READ_SEARCH]=2 [FOWNER]=3 [KILL]=5
        [SETGID]=6 [SETUID]=7 [NET_BIND_SERVICE]=10 [NET_ADMIN]=12 [NET_RAW]=13
        [IPC_LOCK]=14 [SYS_CHROOT]=18 [SYS_PTRACE]=19 [SYS_ADMIN]=21 [SYS_RESOURCE]=24
        [PERFMON]=38 [BPF]=39 [CHECKPOINT_RESTORE]=40)
    for c in "$@"; do
        [[ -n ${bit[$c]:-} ]] || { echo "unknown-capability-$c"; return; }
        m=$((m | (1 << bit[$c])))
    done
    printf '%016x\n' "$m"
}

# proc_facts COMM_REGEX: in the guest, the process's uid, capabilities, no_new_privs, seccomp
# mode and mounts ("MOUNT path options" lines) and whether paths exist in its root.
proc_facts() {
    rn_ctl 30 "pid=\$(pgrep -f '$1' | head -1); [ -n \"\$pid\" ] || exit 1
        grep -E '^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/\$pid/status
        awk '{ print \"MOUNT\", \$5, \$6 }' /proc/\$pid/mountinfo
        for f in /var/run/secrets/kubernetes.io/serviceaccount/token /var/run/secrets/kmetrics/token; do
            [ -e /proc/\$pid/root\$f ] && echo \"HAS \$f\"
        done; true"
}

# fact FACTS KEY: the first value of a "KEY: value" line.
fact() { awk -v k="$2:" '$1 == k { print $2; exit }' <<<"$1"; }
mount_opts() { awk -v p="$2" '$1 == "MOUNT" && $2 == p { print $3; exit }' <<<"$1"; }

# The pods run with what the manifests declare: capabilities, users, seccomp, read-only roots,
# mounts, ServiceAccounts, the projected collector token, probes.
check_install_as_declared() {
    local rendered col agg f why want tok payload dump
    # What the manifests declare, as JSON (kubectl kustomize writes YAML only).
    rendered=$(K kustomize vmtests/realnode/overlay | K create --dry-run=client -o json -f -)
    col=$(jq -c 'select(.kind == "DaemonSet")' <<<"$rendered" 2>/dev/null | head -1)
    agg=$(jq -c 'select(.kind == "Deployment")' <<<"$rendered" 2>/dev/null | head -1)
    [[ -n $col && -n $agg ]] || { fail "rendering the overlay" "no DaemonSet or Deployment" "$rendered"; return; }

    # The collector: capabilities exactly the added ones, root, no_new_privs, unconfined.
    f=$(proc_facts '^/kmetrics-collector') || { fail "collector process on the node" "not found"; return; }
    # shellcheck disable=SC2046
    want=$(cap_mask $(jq -r '.spec.template.spec.containers[0].securityContext.capabilities.add[]' <<<"$col"))
    why=""
    [[ $(fact "$f" CapEff) == "$want" ]] || why+="CapEff $(fact "$f" CapEff), declared $want;"
    [[ $(fact "$f" CapBnd) == "$want" ]] || why+="CapBnd $(fact "$f" CapBnd), declared $want;"
    [[ $(fact "$f" Uid) == 0 ]] || why+="uid $(fact "$f" Uid), declared 0;"
    [[ $(fact "$f" NoNewPrivs) == 1 ]] || why+="no_new_privs $(fact "$f" NoNewPrivs) (allowPrivilegeEscalation: false);"
    [[ $(fact "$f" Seccomp) == 0 ]] || why+="seccomp mode $(fact "$f" Seccomp), declared Unconfined;"
    [[ $(mount_opts "$f" /) == ro* ]] || why+="root file system $(mount_opts "$f" /), declared read-only;"
    for m in /host/sys/fs/cgroup /host/run/containerd/io.containerd.runtime.v2.task/k8s.io \
        /host/run/containers/storage/overlay-containers /var/run/secrets/kmetrics /etc/kmetrics/tls; do
        [[ $(mount_opts "$f" "$m") == ro* ]] || why+="mount $m: '$(mount_opts "$f" "$m")', declared read-only;"
    done
    grep -q 'HAS /var/run/secrets/kubernetes.io' <<<"$f" && why+="an API token is mounted (automountServiceAccountToken: false);"
    check "collector runs as declared: capabilities $(jq -r '.spec.template.spec.containers[0].securityContext.capabilities.add | join(",")' <<<"$col") only (CapEff $want), uid 0, no_new_privs, unconfined, read-only root and host mounts, no API token" "$why" "$f"

    # Its ship token: projected, for audience kmetrics, an hour, for its ServiceAccount.
    tok=$(rn_ctl 30 "cat /proc/\$(pgrep -f '^/kmetrics-collector' | head -1)/root/var/run/secrets/kmetrics/token")
    payload=$(cut -d. -f2 <<<"$tok" | tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null)
    why=$(jq -r --arg sa "$(jq -r .spec.template.spec.serviceAccountName <<<"$col")" '
        [ (if (.aud | if type == "array" then . else [.] end) != ["kmetrics"] then "aud \(.aud)" else empty end),
          (if .sub != "system:serviceaccount:kube-system:\($sa)" then "sub \(.sub)" else empty end),
          (if (.exp - .iat) != 3600 then "lifetime \(.exp - .iat) s" else empty end),
          (if (.["kubernetes.io"].pod.name // "") == "" then "not bound to a pod" else empty end)
        ] | join("; ")' <<<"$payload" 2>&1)
    check "collector's ship token: projected, audience kmetrics, 3600 s, bound to its pod" "$why" "$payload"

    # BPF works with exactly those capabilities: events, not walks.
    dump=$(rn_collector_dumps 1 | tail -1)
    why=$(jq -r '.collector | if .discovery == "bpf-events" then "" else "discovery \(.discovery): \(.bpf_unavailable_reason)" end' <<<"$dump" 2>&1)
    check "collector discovers by BPF events in its pod (CAP_BPF + CAP_PERFMON, no CAP_SYS_ADMIN)" "$why" "$dump"

    # The aggregator: nobody, no capabilities, RuntimeDefault seccomp, API token, TLS read-only.
    f=$(proc_facts '^/kmetrics-aggregator') || { fail "aggregator process on the node" "not found"; return; }
    why=""
    [[ $(fact "$f" Uid) == "$(jq -r .spec.template.spec.securityContext.runAsUser <<<"$agg")" ]] ||
        why+="uid $(fact "$f" Uid);"
    [[ $(fact "$f" CapEff) == 0000000000000000 ]] || why+="CapEff $(fact "$f" CapEff), declared none;"
    [[ $(fact "$f" NoNewPrivs) == 1 ]] || why+="no_new_privs $(fact "$f" NoNewPrivs);"
    [[ $(fact "$f" Seccomp) == 2 ]] || why+="seccomp mode $(fact "$f" Seccomp), declared RuntimeDefault (2);"
    [[ $(mount_opts "$f" /) == ro* ]] || why+="root file system $(mount_opts "$f" /), declared read-only;"
    [[ $(mount_opts "$f" /etc/kmetrics/tls) == ro* ]] || why+="TLS mount '$(mount_opts "$f" /etc/kmetrics/tls)';"
    grep -q 'HAS /var/run/secrets/kubernetes.io/serviceaccount/token' <<<"$f" || why+="no API token;"
    check "aggregator runs as declared: uid $(jq -r .spec.template.spec.securityContext.runAsUser <<<"$agg"), no capabilities, RuntimeDefault seccomp, read-only root and TLS, its API token" "$why" "$f"

    # ServiceAccounts and probes of the running pods, as declared.
    why=""
    local pods
    pods=$(K -n kube-system get pods -l app.kubernetes.io/part-of=kmetrics -o json)
    [[ $(jq -r '.items[] | select(.metadata.labels["app.kubernetes.io/name"] == "kmetrics-collector") | .spec.serviceAccountName' <<<"$pods") == kmetrics-collector ]] ||
        why+="collector ServiceAccount;"
    [[ $(jq -r '.items[] | select(.metadata.labels["app.kubernetes.io/name"] == "kmetrics-aggregator") | .spec.serviceAccountName' <<<"$pods") == kmetrics-aggregator ]] ||
        why+="aggregator ServiceAccount;"
    [[ $(jq -c '.items[] | select(.metadata.labels["app.kubernetes.io/name"] == "kmetrics-aggregator") | .spec.containers[0] | [.readinessProbe.httpGet.path, .livenessProbe.httpGet.path]' <<<"$pods") == '["/readyz","/livez"]' ]] ||
        why+="aggregator probes;"
    [[ $(jq -r '[.items[].status.containerStatuses[].restartCount] | add' <<<"$pods") == 0 ]] ||
        why+="restarts: $(jq -r '[.items[].status.containerStatuses[].restartCount] | add' <<<"$pods");"
    check "ServiceAccounts kmetrics-collector and kmetrics-aggregator, aggregator Ready by its /readyz probe and alive by /livez, no restarts" "$why"
}

# --- workloads: identity from the first figures, no sandboxes, pod cgroups -----------------------

# pod_uids NS: "name uid" per pod.
pod_uids() { K get pods -n "$1" -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.uid}{"\n"}{end}'; }

# all_steady_served: every steady pod in the API with every container it runs.
all_steady_served() {
    local s pc
    s=$(served_pods "$WORK_NS") || return 1
    for pc in $STEADY_CONTAINERS; do
        awk -v p="${pc%/*}" -v c="${pc#*/}" '$1 == p && $2 == c { f = 1 } END { exit !f }' <<<"$s" || return 1
    done
}

check_workloads() {
    local t0 out dumps uids sandboxes why first p seen
    rm -f "$RN_SHARE"/results/*.log
    t0=$SECONDS
    out=$(K apply -f vmtests/realnode/workloads/pods.yaml 2>&1) ||
        { fail "workload pods" "kubectl apply failed" "$out"; return; }
    # While they start: the collector's state every second (in the background), and when each
    # pod is first served.
    rn_collector_dumps 40 >"$RN_WORK/start-dumps.json" &
    local dumper=$!
    declare -A first=()
    while ((SECONDS - t0 < 150)); do
        for p in $(served_pods "$WORK_NS" 2>/dev/null | awk '{ print $1 }' | sort -u); do
            [[ -z ${first[$p]:-} ]] && first[$p]=$EPOCHSECONDS
        done
        all_steady_served && break
        sleep 1
    done
    if all_steady_served; then
        # Freshness: from a pod's first container start to its first figures in the API.
        local started lag=""
        started=$(K get pods -n "$WORK_NS" -o json | jq -r '.items[] | "\(.metadata.name) \([(.status.containerStatuses + (.status.initContainerStatuses // []))[].state | (.running // .terminated) | .startedAt // empty] | min // "")"')
        for p in "${!first[@]}"; do
            local st
            st=$(awk -v p="$p" '$1 == p { print $2 }' <<<"$started")
            [[ -n $st ]] && lag+="$p $((first[$p] - $(date -d "$st" +%s))) s, "
        done
        pass "every workload container served through the kube-apiserver ($((SECONDS - t0)) s after kubectl apply); first figures after each pod's first container started: ${lag%, }"
    else
        fail "every workload container served" "not within 150 s" "$(served_pods "$WORK_NS" 2>&1; K get pods -n "$WORK_NS" -o wide 2>&1)"
    fi
    wait "$dumper"
    dumps=$(cat "$RN_WORK/start-dumps.json")
    info "pods Running at: $(K get pods -n "$WORK_NS" -o json | jq -r '[.items[] | "\(.metadata.name) \(.status.containerStatuses[0].state.running.startedAt // "-")"] | join(", ")')"

    # Found by events, not by the minute's walk: each pod is in the collector's snapshots within
    # seconds of its first container starting (its cgroup exists a little before that).
    why=$(jq -rs --argjson st "$(K get pods -n "$WORK_NS" -o json | jq -c '[.items[] | {uid: .metadata.uid, name: .metadata.name,
            start: ([(.status.containerStatuses + (.status.initContainerStatuses // []))[].state | (.running // .terminated) | .startedAt // empty] | min)} | select(.start != null)]')" '
        def secs: sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
        [ (if ($st | length) < 5 then "only \($st | length) pods started" else empty end),
          $st[] as $p | ([.[] | select(any(.pods[]; .uid == $p.uid)) | .node.timestamp | secs] | min) as $seen |
          if $seen == null then "\($p.name) never in the collector'"'"'s snapshots" elif $seen - ($p.start | secs) > 5 then "\($p.name) first in the collector \($seen - ($p.start | secs)) s after its container started" else empty end
        ] | join("; ")' <<<"$dumps" 2>&1)
    check "the collector finds each pod by its cgroup events, within 5 s of its first container starting" "$why"

    # Identity in every collector snapshot that has the pod, from its first: name, namespace,
    # UID as the API server has them, and each container's name from the pod's spec.
    uids=$(pod_uids "$WORK_NS")
    local specs
    specs=$(K get pods -n "$WORK_NS" -o json | jq -c '[.items[] | {uid: .metadata.uid, name: .metadata.name,
        containers: ([.spec.containers[].name] + [(.spec.initContainers // [])[].name])}]')
    why=$(jq -rs --argjson specs "$specs" --arg ns "$WORK_NS" '
        [ .[] | .pods[] as $p | ($specs[] | select(.uid == $p.uid)) as $s |
          (if $p.name != $s.name or $p.namespace != $ns then "\($p.uid): named \($p.namespace)/\($p.name)" else empty end),
          ($p.containers[] | if (.name // "") as $n | ($s.containers | index($n)) == null
                             then "\($s.name): container \(.id[:12]) named \(.name // "(none)") (\(.identity))" else empty end)
        ] | unique | join("; ")' <<<"$dumps" 2>&1)
    seen=$(jq -rs --argjson specs "$specs" '[.[] | .pods[] | .uid as $u | select($specs | any(.uid == $u)) | .uid] | unique | length' <<<"$dumps" 2>/dev/null)
    if [[ -z $seen || $seen == 0 ]]; then
        why="no workload pod in $(grep -c . <<<"$dumps") collector snapshots"
    fi
    check "identity from the first figures on: in $(grep -c . <<<"$dumps") collector snapshots while they started, all $seen workload pods named with their namespace and UID, every container by its spec name" "$why" "$(tail -c 3000 <<<"$dumps")"

    # Sandboxes: never among the collector's containers, never in the API.
    sandboxes=$(rn_ctl 30 "grep -lE '\"io.kubernetes.cri.container-type\": ?\"sandbox\"' /run/containerd/io.containerd.runtime.v2.task/k8s.io/*/config.json | awk -F/ '{ print \$(NF-1) }'")
    dumps=$(rn_collector_dumps 1)
    why=$(jq -r --arg sb "$(tr '\n' ' ' <<<"$sandboxes")" '[.pods[].containers[] | select(.id as $i | $sb | contains($i)) | .id[:12]] | join(" ")' <<<"$dumps" 2>&1)
    out=$(api_pods "$WORK_NS" | jq -r '.items[].containers[].name' | sort -u | tr '\n' ' ')
    [[ $out == *POD* || -z $out ]] && why+=" API container names: $out"
    (($(grep -c . <<<"$sandboxes") >= 6)) || why+=" only $(grep -c . <<<"$sandboxes") sandboxes found on the node"
    check "no sandbox listed: none of the node's $(grep -c . <<<"$sandboxes") sandboxes among the collector's containers; API container names: $out" "$why"

    # Each pod's cgroup is its containers' parent (the systemd driver's twins notwithstanding).
    why=$(jq -r '[.pods[] | .cgroup as $pc | .containers[] | select((.cgroup | sub("/[^/]*$"; "")) != $pc) |
        "\(.id[:12]) in \(.cgroup), pod cgroup \($pc)"] | join("; ")' <<<"$dumps" 2>&1)
    check "each pod's cgroup is its containers' parent ($(jq -r '[.pods[].cgroup] | first' <<<"$dumps") ...)" "$why" "$(jq -c '[.pods[] | {cgroup, c: [.containers[].cgroup]}]' <<<"$dumps")"
    if [[ $RN_DRIVER == systemd ]]; then
        info "cgroupfs-named twins the systemd-driver kubelet made: $(rn_ctl 30 "ls -d /sys/fs/cgroup/kubepods/*/pod* /sys/fs/cgroup/kubepods/pod* 2>/dev/null | wc -l")"
    fi
}

# --- the kubelet's own figures ---------------------------------------------------------------

# The collector's series (from dumps) against the kubelet's samples, at the kubelet's times:
# cumulative CPU interpolated between the collector samples around the kubelet's, working set
# from the collector sample nearest it. A kubelet time stamp of RES_MS resolution (1000 in
# /stats/summary, which has whole seconds) says the sample was taken in [t, t + RES_MS): the
# CPU difference is then to the nearest point of the collector's CPU over that interval.
# Prints one line per container:
#   pod/container kubelet_cpu_s collector_cpu_s diff_ms kubelet_ws collector_ws gap_ms
compare_series() {
    local dumps=$1 kubelet=$2 res_ms=$3 # kubelet: "ns pod container cpu_s cpu_ts_ms ws ws_ts_ms"
    jq -rs --arg k "$kubelet" --argjson res "$res_ms" '
        def tsns: sub("Z$"; "") | split(".") as $p | (($p[0] + "Z") | fromdateiso8601) * 1000000000 + ((($p[1] // "0") + "000000000")[:9] | tonumber);
        # the collector CPU (ns) at time $t, interpolated; null outside the series
        def cpu_at($s; $t): ([$s[] | select(.t <= $t)] | last) as $a | ([$s[] | select(.t >= $t)] | first) as $b
            | if $a == null or $b == null then null elif $b.t == $a.t then $a.cpu
              else $a.cpu + ($b.cpu - $a.cpu) * ($t - $a.t) / ($b.t - $a.t) end;
        [ .[] | .pods[] as $p | $p.containers[] |
          {key: "\($p.namespace)/\($p.name)/\(.name)", t: (.timestamp | tsns), cpu: (.cpu.usage_usec * 1000), ws: .memory.working_set_bytes} ]
        | group_by(.key) | map({key: .[0].key, value: (sort_by(.t) | unique_by(.t))}) | from_entries as $series
        | $k | split("\n")[] | select(length > 0) | split(" ") as $f
        | "\($f[0])/\($f[1])/\($f[2])" as $key | ($f[3] | tonumber * 1e9) as $kc | ($f[4] | tonumber * 1e6) as $kt
        | ($f[5] | tonumber) as $kw | ($f[6] | tonumber * 1e6 + ($res - 1) * 5e5) as $kwt
        | ($series[$key] // []) as $s
        | cpu_at($s; $kt) as $lo | cpu_at($s; $kt + ($res - 1) * 1e6) as $hi
        | ($s | min_by((.t - $kwt) | fabs)) as $near
        | if $lo == null or $hi == null then "\($f[1])/\($f[2]) \($kc / 1e9) - - \($kw) - -"
          else (if $kc < $lo then $kc - $lo elif $kc > $hi then $kc - $hi else 0 end) as $d
          | (if $kc < $lo then $lo elif $kc > $hi then $hi else $kc end) as $cc
          | "\($f[1])/\($f[2]) \($kc / 1e9) \($cc / 1e9) \(($d / 1e6) | round) \($kw) \($near.ws) \((($near.t - $kwt) / 1e6) | round)"
          end' <<<"$dumps"
}

# kubelet_resource: /metrics/resource as "ns pod container cpu_s cpu_ts_ms ws ws_ts_ms".
kubelet_resource() {
    awk '
    function lbl(s, k,   r) { r = s; if (!match(r, k "=\"[^\"]*\"")) return ""; r = substr(r, RSTART + length(k) + 2, RLENGTH - length(k) - 3); return r }
    /^container_cpu_usage_seconds_total\{/ { k = lbl($1, "namespace") " " lbl($1, "pod") " " lbl($1, "container"); cpu[k] = $2 " " $3 }
    /^container_memory_working_set_bytes\{/ { k = lbl($1, "namespace") " " lbl($1, "pod") " " lbl($1, "container"); ws[k] = $2 " " $3 }
    END { for (k in cpu) if (k in ws) print k, cpu[k], ws[k] }' <<<"$1"
}

# disagreements ROWS SOURCE: for each workload container, what in ROWS (compare_series) breaks
# the agreement: CPU time more than 50 ms off, working set not equal, no collector sample
# around the kubelet's, or no row at all (SOURCE names where it was missing).
disagreements() {
    awk -v want="$STEADY_CONTAINERS" -v src="$2" '
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        $1 in need { seen[$1] = 1
            if ($3 == "-") { print $1 ": the kubelet sample is outside the collector series"; next }
            if ($4 > 50 || $4 < -50) print $1 ": CPU differs by " $4 " ms"
            if ($5 != $6) print $1 ": working set " $5 " (kubelet) vs " $6 }
        END { for (k in need) if (!(k in seen)) print k ": not in " src }' <<<"$1"
}

check_kubelet_agreement() {
    local dumps metrics summary rows why node_k node_api
    # 40 s of the collector's samples, the kubelet asked after 30: its (cAdvisor's) samples,
    # up to a housekeeping interval (10-15 s) old, fall inside them.
    rn_collector_dumps 40 >"$RN_WORK/kubelet-dumps.json" &
    local dumper=$!
    sleep 30
    metrics=$(rn_kubelet /metrics/resource) || { fail "kubelet /metrics/resource" "no answer" "$metrics"; return; }
    summary=$(rn_kubelet /stats/summary) || { fail "kubelet /stats/summary" "no answer" "$summary"; return; }
    wait "$dumper"
    dumps=$(cat "$RN_WORK/kubelet-dumps.json")
    # cAdvisor stamps a sample once it has read the container's files, not at the read: on a
    # loaded host (the node is a TCG guest) the two can be tens of ms apart, which at a
    # burner's rate is tens of ms of CPU. So its CPU is compared with the collector's over the
    # 100 ms on either side of the stamp (RES 201 around the stamp moved 100 ms back; the
    # working set's time, taken at the middle of that, stays the stamp).
    rows=$(compare_series "$dumps" "$(kubelet_resource "$metrics" | awk -v ns="$WORK_NS" '$1 == ns { printf "%s %s %s %s %.0f %s %.0f\n", $1, $2, $3, $4, $5 - 100, $6, $7 - 100 }')" 201)
    info "kubelet /metrics/resource vs collector at the kubelet's timestamps (pod/container, kubelet CPU s, collector CPU s, diff ms, kubelet working set, collector's, its sample's distance in ms):"
    sed 's/^/#   /' <<<"$rows"
    why=$(disagreements "$rows" "the kubelet metrics")
    check "figures agree with the kubelet's /metrics/resource at its timestamps: CPU time within 50 ms of the collector's within 100 ms of the stamp, working set equal, for all $(wc -w <<<"$STEADY_CONTAINERS") workload containers" "$why" "$metrics"

    rows=$(compare_series "$dumps" "$(jq -r --arg ns "$WORK_NS" '.pods[] | select(.podRef.namespace == $ns) | .podRef as $p | .containers[] |
        select(.cpu.usageCoreNanoSeconds != null) |
        def ms: sub("Z$"; "") | split(".") as $x | ((($x[0] + "Z") | fromdateiso8601) * 1000 + ((($x[1] // "0") + "000")[:3] | tonumber));
        "\($p.namespace) \($p.name) \(.name) \(.cpu.usageCoreNanoSeconds / 1e9) \(.cpu.time | ms) \(.memory.workingSetBytes) \(.memory.time | ms)"' <<<"$summary")" 1000)
    info "kubelet /stats/summary vs collector (its time stamps have whole seconds: CPU compared with the collector's over that second):"
    sed 's/^/#   /' <<<"$rows"
    why=$(disagreements "$rows" "the summary")
    check "figures agree with the kubelet's /stats/summary: CPU time within 50 ms of the collector's over the second its time stamp names, working set equal" "$why"

    # The node: the kubelet 1.20 on cgroup v2 says 0; kmetrics measures it.
    node_k=$(awk '/^node_cpu_usage_seconds_total / { c = $2 } /^node_memory_working_set_bytes / { m = $2 } END { print c + 0, m + 0 }' <<<"$metrics")
    node_api=$(K get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$RN_NODE" | jq -r "$JQ_QTY"'"\(.usage.cpu | cpu_n) \(.usage.memory | mem_b)"')
    info "node $RN_NODE: kubelet /metrics/resource says CPU ${node_k% *} s, working set ${node_k#* } bytes; /stats/summary says $(jq -r '"\(.node.cpu.usageNanoCores // 0) nanocores, \(.node.memory.workingSetBytes // 0) bytes"' <<<"$summary"); kmetrics serves $((${node_api% *} / 1000000))m, $((${node_api#* } >> 20)) MiB"
    why=""
    ((${node_api% *} > 0)) || why+="kmetrics node CPU ${node_api% *};"
    ((${node_api#* } > 100 << 20 && ${node_api#* } < 3 << 30)) || why+="kmetrics node memory ${node_api#* } bytes (expected 100 MiB to 3 GiB);"
    check "node figures served (CPU and memory non-zero) where the kubelet reports CPU ${node_k% *} s and ${node_k#* } bytes" "$why"
}

# --- kubectl top, every kubectl ----------------------------------------------------------------

# burner_rate LOG SECONDS: millicores the burner used over its last SECONDS (its own clock).
burner_rate() {
    awk -v w="$2" '{ t[NR] = $1; c[NR] = $2 } END { for (i = NR; i > 1 && t[NR] - t[i - 1] <= w; i--); if (NR < 2 || t[NR] == t[i]) print 0; else printf "%d\n", (c[NR] - c[i]) / (t[NR] - t[i]) * 1000 }' "$1"
}

check_kubectl_top() {
    local kb v out why want pc cpu burn
    for kb in "${KUBECTLS[@]}"; do
        v=$(timeout 10 "$kb" version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion) || v=$kb
        out=$(timeout 60 "$kb" --kubeconfig "$RN_CP/admin.kubeconfig" top node 2>&1)
        why=$(awk -v n="$RN_NODE" '$1 == n { f = 1; if ($2 !~ /^[1-9][0-9]*m$/) print "CPU " $2; if ($4 !~ /^[1-9][0-9]*Mi$/) print "memory " $4 } END { if (!f) print n " missing" }' <<<"$out")
        check "kubectl $v top node: $RN_NODE $(awk -v n="$RN_NODE" '$1 == n { print $2, $4 }' <<<"$out")" "$why" "$out"
        out=$(timeout 60 "$kb" --kubeconfig "$RN_CP/admin.kubeconfig" top pod -A --containers 2>&1)
        why=""
        for pc in $STEADY_CONTAINERS; do
            awk -v ns="$WORK_NS" -v p="${pc%/*}" -v c="${pc#*/}" '$1 == ns && $2 == p && $3 == c { f = 1 } END { exit !f }' <<<"$out" ||
                why+="$pc missing;"
        done
        awk 'NR > 1 && ($3 == "POD" || $3 ~ /pause/) { f = 1 } END { exit !f }' <<<"$out" && why+="a sandbox row;"
        awk '$1 == "kube-system" && $2 ~ /^kmetrics-/ { f = 1 } END { exit !f }' <<<"$out" || why+="kmetrics's own pods missing;"
        for burn in 200 400; do
            cpu=$(awk -v ns="$WORK_NS" -v p="burn-$burn" '$1 == ns && $2 == p { sub(/m$/, "", $4); print $4 }' <<<"$out")
            want=$(burner_rate "$RN_SHARE/results/burn-$burn.log" 15)
            [[ -n $cpu ]] && ((cpu < want * 7 / 10 - 20 || cpu > want * 13 / 10 + 20)) &&
                why+="burn-$burn at ${cpu}m, it burned ${want}m over its last 15 s;"
        done
        check "kubectl $v top pod -A --containers: every workload container, kmetrics's own, no sandbox; burn-200 $(awk -v p=burn-200 '$2 == p { print $4 }' <<<"$out") and burn-400 $(awk -v p=burn-400 '$2 == p { print $4 }' <<<"$out") (burned $(burner_rate "$RN_SHARE/results/burn-200.log" 15)m and $(burner_rate "$RN_SHARE/results/burn-400.log" 15)m by their own clocks)" "$why" "$out"
    done
}

# --- the HPA, on CPU and on memory ----------------------------------------------------------

hpa_line() {
    local d h
    d=$(K get deploy -n "$HPA_NS" -o json 2>/dev/null) || return 1
    h=$(K get --raw "/apis/autoscaling/v2beta2/namespaces/$HPA_NS/horizontalpodautoscalers" 2>/dev/null) || return 1
    jq -rn --argjson d "$d" --argjson h "$h" '
        [ $d.items[] | .metadata.name as $n | ($h.items[] | select(.metadata.name == $n)) as $a |
          "\($n): replicas \(.spec.replicas) ready \(.status.readyReplicas // 0), \($a.spec.metrics[0].resource.name) \($a.status.currentMetrics[0].resource.current.averageUtilization // "?")%" ] | join("; ")'
}

# deploys_at NS REPLICAS COUNT: NS has COUNT Deployments, each at REPLICAS, all ready.
deploys_at() {
    K get deploy -n "$1" -o json 2>/dev/null |
        jq -e --argjson w "$2" --argjson n "$3" '[.items[] | .spec.replicas == $w and (.status.readyReplicas // 0) == $w and (.status.replicas // 0) == $w] | length == $n and all' >/dev/null
}

# scale_wait SECONDS NS REPLICAS COUNT TICK...: runs TICK (which prints the timeline) every
# 3 s until deploys_at NS REPLICAS COUNT; false if not within SECONDS.
scale_wait() {
    local limit=$1 ns=$2 want=$3 n=$4 t0=$SECONDS
    shift 4
    while ((SECONDS - t0 < limit)); do
        "$@"
        deploys_at "$ns" "$want" "$n" && return 0
        sleep 3
    done
    return 1
}

# hpa_tick: the timeline's next line, when it changed (hpa_last holds the last).
hpa_tick() {
    local s
    s=$(hpa_line) || s="(not readable)"
    [[ $s != "$hpa_last" ]] && info "  t+$((SECONDS - hpa_t0))s $s" && hpa_last=$s
    return 0
}

# hpa_wait SECONDS REPLICAS: both Deployments at REPLICAS, all ready; prints the timeline.
hpa_wait() { scale_wait "$1" "$HPA_NS" "$2" 2 hpa_tick; }

check_hpa() {
    local out t_up
    echo "150 0" >"$RN_SHARE/demand/cpu-app"
    echo "0 40" >"$RN_SHARE/demand/mem-app"
    out=$(K apply -f vmtests/realnode/workloads/hpa.yaml 2>&1) || { fail "HPA workloads" "kubectl apply failed" "$out"; return; }
    info "HPA: cpu-app (request 100m, target 80%) burns 150m per pod; mem-app (request 32Mi, target 60%) holds 40 MiB per pod; both 1..3 replicas"
    hpa_t0=$SECONDS
    hpa_last=""
    if hpa_wait 300 3; then
        t_up=$((SECONDS - hpa_t0))
        pass "HPA on CPU and HPA on memory both scale up to 3 under load (${t_up} s)"
    else
        fail "HPA scale-up to 3" "not within 300 s" "$(K describe hpa -n "$HPA_NS" 2>&1 | grep -v '^ *$' | tail -40)"
    fi
    out=$(K get pods -n "$HPA_NS" -o json | jq -r --arg n "$RN_NODE" '[.items[] | select(.spec.nodeName != $n or .status.phase != "Running") | .metadata.name] | join(" ")')
    check "the scheduler placed every replica on $RN_NODE, all Running" "${out:+not: $out}"
    echo "5 0" >"$RN_SHARE/demand/cpu-app"
    echo "0 1" >"$RN_SHARE/demand/mem-app"
    info "load off at t+$((SECONDS - hpa_t0))s"
    local t_off=$SECONDS
    if hpa_wait 300 1; then
        pass "both HPAs scale back to 1 without load ($((SECONDS - t_off)) s after it stopped)"
    else
        fail "HPA scale-down to 1" "not within 300 s" "$(K describe hpa -n "$HPA_NS" 2>&1 | grep -v '^ *$' | tail -40)"
    fi
    K delete namespace "$HPA_NS" --wait=false >/dev/null 2>&1
}

# --- the HPA on a custom metric: network receive rate -----------------------------------------

NET_NS=rn-hpanet
NET_METRIC=network_receive_bytes_per_second
# What net-sender sends the net-app pods (by name, in order), in bytes/s: 30000 on average,
# 3x the HPA's 10k target, and different, so that a pod credited with another's traffic
# shows (each is more than NET_TOLERANCE_PCT from the others).
NET_RATES=(22000 30000 38000)
NET_TOLERANCE_PCT=15 # see check_hpa_network
# A quantity as a number (the API writes 30058651026392n, 29866m, 30k, 1.5M, ...).
JQ_NUM='def num: if endswith("n") then (.[:-1] | tonumber) / 1000000000
                 elif endswith("u") then (.[:-1] | tonumber) / 1000000
                 elif endswith("m") then (.[:-1] | tonumber) / 1000
                 elif endswith("k") then (.[:-1] | tonumber) * 1000
                 elif endswith("M") then (.[:-1] | tonumber) * 1000000
                 elif endswith("G") then (.[:-1] | tonumber) * 1000000000
                 else tonumber end;'

# net_metric: the Pods metric as the HPA asks it (the kube-apiserver's aggregation proxy,
# v1beta2, every pod of the Deployment's selector), as JSON.
net_metric() {
    K get --raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NET_NS/pods/%2A/$NET_METRIC?labelSelector=app%3Dnet-app"
}

# net_app_pods: "name ip" per Running net-app pod not being deleted.
net_app_pods() {
    K get pods -n "$NET_NS" -l app=net-app -o json |
        jq -r '.items[] | select(.status.phase == "Running" and .metadata.deletionTimestamp == null and .status.podIP != null) | "\(.metadata.name) \(.status.podIP)"'
}

# net_assign ON: "name ip rate" per Running net-app pod, by name: NET_RATES in turn when ON
# is 1, 0 when it is 0.
net_assign() {
    net_app_pods | sort | awk -v on="$1" -v rates="${NET_RATES[*]}" '
        BEGIN { n = split(rates, r, " ") } { print $1, $2, on ? r[(NR - 1) % n + 1] : 0 }'
}

# net_demand ON: the sender's demand file from net_assign ON ("RATE IP RATE IP ..."), rewritten
# only when it changes (whole, by rename: the sender reads it through the 9p share every
# second).
net_demand() {
    local want f=$RN_SHARE/demand/net-sender
    want=$(net_assign "$1" | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $3, $2 } END { if (!NR) printf "0" }')
    [[ $(cat "$f" 2>/dev/null) == "$want" ]] && return
    echo "$want" >"$f.tmp" && mv "$f.tmp" "$f"
}

# net_line: replicas, ready, the metric per pod as served and the HPA's current average.
net_line() {
    local d h m
    d=$(K get deploy net-app -n "$NET_NS" -o json 2>/dev/null) || return 1
    h=$(K get --raw "/apis/autoscaling/v2beta2/namespaces/$NET_NS/horizontalpodautoscalers/net-app" 2>/dev/null) || return 1
    m=$(net_metric 2>/dev/null) || m='{"items": []}'
    jq -rn --argjson d "$d" --argjson h "$h" --argjson m "$m" "$JQ_NUM"'
        "replicas \($d.spec.replicas) (ready \($d.status.readyReplicas // 0)), metric value per pod: " +
        ([$m.items[] | "\(.describedObject.name | sub("^net-app-"; "")) \(.value | num | floor)"] | join(", ") | if . == "" then "none" else . end) +
        "; HPA average \($h.status.currentMetrics[0].pods.current.averageValue // "?" ) (target \($h.spec.metrics[0].pods.target.averageValue))"'
}

# net_tick ON: the sender's addresses kept current (net_demand ON); the timeline's next line
# printed when it changed (net_last holds the last).
net_tick() {
    local s
    net_demand "$1"
    s=$(net_line) || s="(not readable)"
    [[ $s != "$net_last" ]] && info "  t+$((SECONDS - net_t0))s: $s" && net_last=$s
    return 0
}

# net_wait SECONDS REPLICAS ON: net_tick ON every 3 s until net-app has REPLICAS, all
# ready; false if not within SECONDS.
net_wait() { scale_wait "$1" "$NET_NS" "$2" 1 net_tick "$3"; }

net_running() {
    [[ -n $(net_app_pods) && $(K get pod net-sender -n "$NET_NS" -o jsonpath='{.status.phase}') == Running ]]
}

# The HPA events of a reason since an epoch second (their lastTimestamp, which a repeat moves).
hpa_events_since() {
    K get events -n "$NET_NS" -o json | jq -r --arg r "$1" --argjson t "$2" '
        [.items[] | select(.involvedObject.kind == "HorizontalPodAutoscaler" and .reason == $r and
            ((.lastTimestamp // .eventTime // "1970-01-01T00:00:00Z") | sub("\\.[0-9]+"; "") | fromdateiso8601) >= $t) |
         "\(.lastTimestamp) x\(.count // 1): \(.message)"] | join("\n")'
}

# A real HPA (kube-controller-manager 1.20) scaling a Deployment on a Pods metric of
# custom.metrics.k8s.io: network_receive_bytes_per_second. net-sender (hostNetwork) sends the
# net-app pods NET_RATES (30000 bytes/s on average, 3x the 10k target): 1 -> 3; then nothing:
# 3 -> 1. Asserted: discovery lists the metric; the collector sees net-app pods in their own
# namespaces and net-sender in the node's; the HPA's own query lists exactly the Deployment's
# pods, each within NET_TOLERANCE_PCT of what it was sent, once the rates have held for two
# whole windows; the scaling both ways; no FailedGetPodsMetric once it has scaled. One driver
# only: it waits on the cluster for minutes (docs/realnode.md, "Cost").
#
# The tolerance: the served value is the bytes counted on the pod's interface over the
# collector's window (its ship interval, timed by its own clock at the reads) divided by that
# window, and the sender paces on its own clock against the total due, so both sides are exact
# up to a datagram (1000 bytes of 330000 or more in a window), the window cutting a 10 ms
# burst, ARP, and a stalled guest: the sender makes up at most 2 s of lateness, so a TCG stall
# longer than that in a 15 s window loses up to 13 %. 15 % covers that; a value computed over
# the wrong window, another pod's traffic (the rates are 21 % or more apart), traffic counted
# twice or on the node's interfaces is outside it.
check_hpa_network() {
    if [[ $RN_DRIVER != cgroupfs ]]; then
        info "check_hpa_network: cgroupfs driver only (it waits minutes on the cluster)"
        return
    fi
    local out why disc t_scaled t_off t_sent assigned now_assigned served dump
    echo "0" >"$RN_SHARE/demand/net-sender"
    out=$(K apply -f vmtests/realnode/workloads/hpa-network.yaml 2>&1) ||
        { fail "network HPA workloads" "kubectl apply failed" "$out"; return; }

    disc=$(K get --raw /apis/custom.metrics.k8s.io/v1beta2 2>&1)
    why=$(jq -r --arg m "pods/$NET_METRIC" '
        [ (if .kind != "APIResourceList" or .groupVersion != "custom.metrics.k8s.io/v1beta2" then "not a v1beta2 APIResourceList" else empty end),
          (if (.resources | length) == 0 then "no resources" else empty end),
          (if any(.resources[]; .name == $m and .namespaced and .kind == "MetricValueList" and .verbs == ["get"]) then empty else "no \($m)" end)
        ] | join("; ")' <<<"$disc" 2>&1)
    check "custom.metrics.k8s.io/v1beta2 discovery through the kube-apiserver: $(jq -r '.resources | length' <<<"$disc" 2>/dev/null) resources, $NET_METRIC among them" "$why" "$disc"

    wait_for 120 net_running ||
        { fail "net-app and net-sender Running" "not within 120 s" "$(K get pods -n "$NET_NS" -o wide 2>&1)"; K delete namespace "$NET_NS" --wait=false >/dev/null 2>&1; return; }
    info "network HPA: net-sender (hostNetwork) sends UDP to the net-app pods, ${NET_RATES[*]} bytes/s (by pod name); HPA autoscaling/v2beta2 Pods $NET_METRIC, target averageValue 10k, 1..3 replicas"
    net_t0=$SECONDS
    net_last=""
    if net_wait 300 3 1; then
        pass "network HPA scales net-app 1 -> 3 under traffic ($((SECONDS - net_t0)) s after the traffic started)"
    else
        fail "network HPA scale-up to 3" "not within 300 s" "$(K describe hpa -n "$NET_NS" 2>&1 | grep -v '^ *$' | tail -40)"
    fi
    t_scaled=$(K get hpa net-app -n "$NET_NS" -o json | jq -r '.status.lastScaleTime // "" | if . == "" then 0 else fromdateiso8601 end')
    info "  HPA's first scaling at $(date -u -d "@$t_scaled" +%TZ) (lastScaleTime)"

    # The values, once every pod's rate has held for two whole windows (+ a shipment's slack).
    t_sent=$SECONDS
    assigned=$(net_assign 1)
    while ((SECONDS - t_sent < 2 * SHIP_INTERVAL_S + SLACK_S && SECONDS - net_t0 < 600)); do
        net_tick 1
        now_assigned=$(net_assign 1)
        [[ $now_assigned != "$assigned" ]] && assigned=$now_assigned && t_sent=$SECONDS
        sleep 3
    done
    served=$(net_metric 2>&1)
    why=$(jq -r --arg assigned "$assigned" --arg m "$NET_METRIC" --argjson tol "$NET_TOLERANCE_PCT" "$JQ_NUM"'
        ($assigned | split("\n") | map(split(" ") | {key: .[0], value: (.[2] | tonumber)}) | from_entries) as $want |
        [ (if ([.items[].describedObject.name] | sort) != ($want | keys) then "pods served: \([.items[].describedObject.name] | sort | join(" ")); the Deployment'"'"'s: \($want | keys | join(" "))" else empty end),
          (.items[] | select(.describedObject.kind != "Pod" or .metric.name != $m) | "\(.describedObject.name): \(.describedObject.kind) \(.metric.name)"),
          (.items[] | (.value | num) as $v | ($want[.describedObject.name] // 0) as $r |
           select(($v - $r) | fabs > $r * $tol / 100) | "\(.describedObject.name): \($v | floor), sent \($r)")
        ] | join("; ")' <<<"$served" 2>&1)
    check "the HPA's query (pods/*/$NET_METRIC?labelSelector=app=net-app, v1beta2) lists exactly the Deployment's $(grep -c . <<<"$assigned") pods, each within $NET_TOLERANCE_PCT % of what it was sent: $(jq -r --arg assigned "$assigned" "$JQ_NUM"'
        ($assigned | split("\n") | map(split(" ") | {key: .[0], value: .[2]}) | from_entries) as $want |
        [.items[] | "\(.value | num | floor) (sent \($want[.describedObject.name] // "nothing"))"] | join(", ")' <<<"$served" 2>/dev/null)" \
        "$why" "$served"

    # What the collector holds: the sinks in namespaces of their own (one interface besides lo),
    # the sender in the node's.
    dump=$(rn_collector_dumps 1 | tail -1)
    why=$(jq -r --arg ns "$NET_NS" '[.pods[] | select(.namespace == $ns) |
        if .name == "net-sender" then (if .network.host_network == true then empty else "net-sender: \(.network)" end)
        elif (.network.interfaces // 0) != 1 then "\(.name): \(.network)" else empty end] | join("; ")' <<<"$dump" 2>&1)
    [[ $(jq -r --arg ns "$NET_NS" '[.pods[] | select(.namespace == $ns)] | length' <<<"$dump" 2>/dev/null) == 4 ]] ||
        why+="; not the 4 pods of $NET_NS"
    check "the collector (with the manifests' capabilities) reads each net-app pod's own namespace (1 interface besides lo) and finds net-sender in the node's" \
        "${why#; }" "$(jq -c --arg ns "$NET_NS" '[.pods[] | select(.namespace == $ns) | {name, network}]' <<<"$dump" 2>&1)"

    net_demand 0
    info "traffic off at t+$((SECONDS - net_t0))s"
    t_off=$SECONDS
    if net_wait 300 1 0; then
        pass "network HPA scales net-app back to 1 without traffic ($((SECONDS - t_off)) s after it stopped)"
    else
        fail "network HPA scale-down to 1" "not within 300 s" "$(K describe hpa -n "$NET_NS" 2>&1 | grep -v '^ *$' | tail -40)"
    fi
    out=$(hpa_events_since FailedGetPodsMetric 0)
    [[ -n $out ]] && info "FailedGetPodsMetric events (any time): $(tr '\n' ';' <<<"$out")"
    out=""
    ((t_scaled > 0)) && out=$(hpa_events_since FailedGetPodsMetric "$t_scaled")
    check "no FailedGetPodsMetric event once the HPA had scaled (at $(date -u -d "@$t_scaled" +%TZ))" \
        "$( ((t_scaled > 0)) || echo "the HPA never scaled"; [[ -n $out ]] && echo "events: $out")" \
        "$(K describe hpa net-app -n "$NET_NS" 2>&1 | tail -20)"
    K delete namespace "$NET_NS" --wait=false >/dev/null 2>&1
}

# --- faults ----------------------------------------------------------------------------------

# watch_served SECONDS: polls the API every 2 s; prints the polls at which a steady pod was
# missing or negative ("t+Ns: pods"), nothing if none.
watch_served() {
    local limit=$1 t0=$SECONDS s m
    # shellcheck disable=SC2086
    while ((SECONDS - t0 < limit)); do
        s=$(served_pods "$WORK_NS" 2>&1) || s=""
        m=$(missing_from "$s" $STEADY_PODS | tr '\n' ' ')
        [[ -n $m ]] && echo "t+$((SECONDS - t0))s: $m"
        sleep 2
    done
}

late_pod_served() { served_pods "$WORK_NS" | grep -q '^after-restart late '; }

# The DaemonSet's collector pod, Running, other than OLD.
new_collector_running() {
    K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-collector \
        -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' |
        awk -v old="$1" '$1 != old && $2 == "Running" { found = 1 } END { exit !found }'
}

# negatives_in SERVED: the rows of SERVED (served_pods) with a negative figure.
negatives_in() { awk 'NF == 4 && ($3 + 0 < 0 || $4 + 0 < 0) { printf "%s/%s ", $1, $2 }' <<<"$1"; }

# The collector's pod deleted. With no collector on the node nothing is measured: the aggregator
# keeps what was shipped for 3 ship intervals (--node-expiry, docs/aggregator.md), and the
# DaemonSet's new pod starts only once the kubelet has removed the old one (about 60 s with
# kubelet 1.20 here). Asserted: never a negative figure; every pod served for at least 2 ship
# intervals after the deletion (the last shipment may be one interval old), so a quick
# replacement is seamless; once the new collector runs, every pod served again within one ship
# interval (it ships its first snapshot a tick after it starts) and then at every poll.
check_collector_deleted() {
    local old t0 now s m neg="" early="" t_new="" t_back="" t_gone="" after=""
    old=$(K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-collector -o jsonpath='{.items[0].metadata.name}')
    t0=$SECONDS
    K -n kube-system delete pod "$old" --wait=false >/dev/null
    while ((SECONDS - t0 < 180)); do
        now=$((SECONDS - t0))
        s=$(served_pods "$WORK_NS" 2>&1) || s=""
        # shellcheck disable=SC2086
        m=$(missing_from "$s" $STEADY_PODS | tr '\n' ' ')
        [[ -n $(negatives_in "$s") ]] && neg+="t+${now}s: $(negatives_in "$s");"
        if [[ -n $m ]]; then
            [[ -z $t_gone ]] && t_gone=$now
            ((now < 2 * SHIP_INTERVAL_S)) && [[ -z $t_new ]] && early+="t+${now}s: $m;"
            [[ -n $t_back ]] && after+="t+${now}s: $m;"
        fi
        if [[ -z $t_new ]] && new_collector_running "$old"; then t_new=$now; fi
        if [[ -n $t_new && -z $t_back && -z $m ]]; then t_back=$now; fi
        # 20 s of polls once every pod is back.
        [[ -n $t_back ]] && ((now - t_back >= 20)) && break
        sleep 2
    done
    info "collector pod deleted at t+0s: pods dropped by the aggregator at t+${t_gone:-never}s, the new collector Running at t+${t_new:-never}s, every pod served again at t+${t_back:-never}s"
    check "collector pod deleted: the DaemonSet's new one runs (after ${t_new:-never} s)" \
        "$([[ -n $t_new ]] || echo "no new collector in 180 s")" \
        "$(K -n kube-system get pods -o wide 2>&1)"
    check "while no collector runs: no negative figure, every pod still served for 2 ship intervals ($((2 * SHIP_INTERVAL_S)) s)" \
        "$([[ -n $neg ]] && echo "negative at $neg"; [[ -n $early ]] && echo "missing at $early")"
    check "the new collector's pods served within one ship interval (${SHIP_INTERVAL_S} s) of its start: after $((${t_back:-SECONDS} - ${t_new:-SECONDS})) s, then none missing for 20 s" \
        "$([[ -z $t_back ]] && echo "not every pod served again"
           [[ -n $t_back && -n $t_new ]] && ((t_back - t_new > SHIP_INTERVAL_S)) && echo "$((t_back - t_new)) s"
           [[ -n $after ]] && echo "missing at $after")"
}

check_faults() {
    local old t0 gaps t_ready t_served pid_before pid_after out
    check_collector_deleted

    # The aggregator's pod deleted: served again within a ship interval of the new one's Ready.
    old=$(K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-aggregator -o jsonpath='{.items[0].metadata.name}')
    t0=$SECONDS
    K -n kube-system delete pod "$old" --wait=false >/dev/null
    t_ready="" t_served=""
    while ((SECONDS - t0 < 180)); do
        if [[ -z $t_ready ]] && aggregator_ready "$old"; then
            t_ready=$SECONDS
        fi
        if [[ -n $t_ready ]] && [[ -z $(missing_from "$(served_pods "$WORK_NS" 2>/dev/null)" $STEADY_PODS) ]]; then
            t_served=$SECONDS
            break
        fi
        sleep 1
    done
    check "aggregator pod deleted: the new one Ready after $((${t_ready:-SECONDS} - t0)) s and serving every pod $((${t_served:-SECONDS} - ${t_ready:-SECONDS})) s later (at most one ship interval, ${SHIP_INTERVAL_S} s)" \
        "$([[ -z $t_ready ]] && echo "no ready aggregator in 180 s"; [[ -n $t_ready && -z $t_served ]] && echo "not serving every pod"
           [[ -n $t_served ]] && ((t_served - t_ready > SHIP_INTERVAL_S)) && echo "$((t_served - t_ready)) s after Ready")" \
        "$(served_pods "$WORK_NS" 2>&1; K -n kube-system get pods 2>&1)"

    # containerd restarted: containers keep running under their shims, the collector too; a pod
    # made after the restart is identified like any other.
    pid_before=$(rn_ctl 20 "pgrep -f '^/kmetrics-collector' | head -1")
    if [[ $RN_DRIVER == systemd ]]; then
        out=$(rn_ctl 90 "systemctl restart containerd && systemctl is-active containerd" 2>&1)
    else
        # busybox init respawns it.
        out=$(rn_ctl 90 "old=\$(pgrep -x containerd); kill \$old; i=0
            while { [ -z \"\$(pgrep -x containerd)\" ] || [ \"\$(pgrep -x containerd)\" = \"\$old\" ] || ! ctr version >/dev/null 2>&1; } && [ \$i -lt 60 ]; do sleep 1; i=\$((i+1)); done
            echo \"containerd \$old -> \$(pgrep -x containerd)\"; ctr version >/dev/null" 2>&1)
    fi
    local rc=$?
    check "containerd restarted on the node" "$( ((rc == 0)) || echo "restart failed ($rc)")" "$out"
    pid_after=$(rn_ctl 20 "pgrep -f '^/kmetrics-collector' | head -1")
    gaps=$(watch_served 30)
    check "after containerd's restart: the same collector process ($pid_before, now ${pid_after:-gone}), every pod still served" \
        "$([[ $pid_before == "$pid_after" ]] || echo "collector pid changed"; [[ -n $gaps ]] && echo "missing at $gaps")"
    K apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: after-restart, namespace: $WORK_NS}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: late
      image: kmetrics-load:1
      imagePullPolicy: Never
      command: ["/bin/burn", "0.05", "/dev/null"]
EOF
    t0=$SECONDS
    if wait_for 120 late_pod_served; then
        pass "a pod made after containerd's restart is served by name ($((SECONDS - t0)) s after kubectl apply)"
    else
        fail "a pod made after containerd's restart is served" "not within 120 s" "$(K get pods -n "$WORK_NS" -o wide 2>&1)"
    fi
}

# --- the kubelet-scrape fallback: a node without a collector --------------------------------------

# The aggregator's own /metrics, as cluster-admin, at the port qemu forwards to it.
agg_metrics() {
    curl -sS --max-time 20 -k --cert "$RN_CP/pki/admin.crt" --key "$RN_CP/pki/admin.key" \
        "https://127.0.0.1:$RN_AGGREGATOR_PORT/metrics"
}
# agg_value METRICS SERIES: a series' value in METRICS (0 when absent).
agg_value() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' <<<"$1"; }
# node_source: where the aggregator's figures for the node come from: kubelet, collector, none.
node_source() {
    local m
    m=$(agg_metrics 2>/dev/null) || { echo none; return; }
    if (($(agg_value "$m" 'kmetrics_nodes_by_source{source="kubelet"}') > 0)); then
        echo kubelet
    elif (($(agg_value "$m" 'kmetrics_nodes_by_source{source="collector"}') > 0)); then
        echo collector
    else
        echo none
    fi
}
kubelet_scrapes_ok() { agg_value "$(agg_metrics 2>/dev/null)" 'kmetrics_kubelet_scrapes_total{result="ok"}'; }
no_collector_pod() { [[ -z $(K -n kube-system get pods -l app.kubernetes.io/name=kmetrics-collector -o name) ]]; }
# Waits (up to 120 s) until no collector process runs on the node: when it stopped shipping
# (the kubelet 1.20 here takes far longer to remove the pod from the API).
wait_collector_exit() {
    rn_ctl 130 "i=0; while pgrep -f '^/kmetrics-collector' >/dev/null && [ \$i -lt 600 ]; do sleep 0.2; i=\$((i + 1)); done
        ! pgrep -f '^/kmetrics-collector' >/dev/null"
}
# The newest aggregator container's log on the node (the API server cannot reach the kubelet).
# shellcheck disable=SC2016 # expanded in the guest
agg_log() { rn_ctl 30 'cat "$(ls -t /var/log/pods/kube-system_kmetrics-aggregator-*/aggregator/*.log | head -1)"'; }
# collector_on_node on|off: the DaemonSet kept off the node by a node selector no node has, or
# allowed on again (the selector removed: deploy/'s own is left).
collector_on_node() {
    local v=null
    [[ $1 == off ]] && v='"off"'
    K -n kube-system patch daemonset kmetrics-collector --type=merge \
        -p "{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":{\"kmetrics.test/collector\":$v}}}}}" >/dev/null
}

# served_anomalies SERVED: steady pods not served (a gap); a container listed twice or a burner
# over 1.5 times its rate (two sources' figures added up).
served_anomalies() {
    local m
    # shellcheck disable=SC2086
    m=$(missing_from "$1" $STEADY_PODS | tr '\n' ' ')
    [[ -n $m ]] && printf 'missing %s' "$m"
    awk '{ k = $1 "/" $2; if (seen[k]++) printf "%s twice ", k }
         $1 == "burn-200" && $3 > 300e6 { printf "burn-200 at %dm ", $3 / 1e6 }
         $1 == "burn-400" && $3 > 600e6 { printf "burn-400 at %dm ", $3 / 1e6 }' <<<"$1"
}

# watch_switch LIMIT WANT: polls the served pods and the node's source every 2 s until the
# source is WANT and 10 s more (at most LIMIT s); sets SW_T (seconds until WANT, empty if
# never) and SW_BAD (anomalies, by time).
watch_switch() {
    local limit=$1 want=$2 t0=$SECONDS s a now
    SW_T="" SW_BAD=""
    while ((SECONDS - t0 < limit)); do
        now=$((SECONDS - t0))
        s=$(served_pods "$WORK_NS" 2>/dev/null) || s=""
        a=$(served_anomalies "$s")
        [[ -n $a ]] && SW_BAD+="t+${now}s: $a; "
        [[ -z $SW_T && $(node_source) == "$want" ]] && SW_T=$now
        [[ -n $SW_T ]] && ((now - SW_T >= 10)) && return 0
        sleep 2
    done
}

# kubelet_rows: the kubelet's /metrics/resource as kubelet_resource rows, the node's as
# "NODE - - cpu_s ts_ms ws ws_ts_ms".
kubelet_rows() {
    local m
    m=$(rn_kubelet /metrics/resource) || return 1
    kubelet_resource "$m"
    awk '/^node_cpu_usage_seconds_total / { c = $2 " " $3 } /^node_memory_working_set_bytes / { w = $2 " " $3 }
         END { if (c != "" && w != "") print "NODE - -", c, w }' <<<"$m"
}

# served_vs_kubelet HISTORY SERVED: for each served row ("ns pod container cpu_n mem_b"; the
# node as "NODE - - cpu_n mem_b"), the rate of the kubelet's own samples in HISTORY that comes
# closest: "key served_n kubelet_n diff_n served_mem kubelet_mem" (kubelet_mem "-" when no
# sample has the served working set).
served_vs_kubelet() {
    awk 'FNR == NR { k = $1 "/" $2 "/" $3; if (!((k, $5) in seen)) { seen[k, $5] = 1; n[k]++; ts[k, n[k]] = $5; cpu[k, n[k]] = $4; ws[k, n[k]] = $6 }; next }
         { k = $1 "/" $2 "/" $3; best = -1; mem = "-"
           for (i = 1; i <= n[k]; i++) {
               if (ws[k, i] == $5) mem = ws[k, i]
               for (j = 1; j <= n[k]; j++) {
                   d = ts[k, j] - ts[k, i]
                   if (d < 1000 || d > 33000) continue
                   r = (cpu[k, j] - cpu[k, i]) / d * 1e12
                   if (best < 0 || (r - $4) ^ 2 < (best - $4) ^ 2) best = r
               } }
           printf "%s %d %s %s %s %s\n", k, $4, (best < 0 ? "-" : sprintf("%.0f", best)), (best < 0 ? "-" : sprintf("%.0f", $4 - best)), $5, mem }' \
        "$1" "$2"
}

check_kubelet_fallback() {
    if [[ $RN_DRIVER != cgroupfs ]]; then
        info "check_kubelet_fallback: cgroupfs driver only (it waits minutes on the cluster)"
        return
    fi
    local t0 t_gone ok0 t_ok rows why hist served log grace=$((2 * SHIP_INTERVAL_S))
    # 1. The collector kept off the node: the node and its pods from the kubelet.
    collector_on_node off
    t0=$SECONDS
    wait_collector_exit ||
        { fail "collector kept off the node by a node selector" "its process still runs after 120 s"; collector_on_node on; return; }
    t_gone=$((SECONDS - t0))
    watch_switch 150 kubelet
    info "collector off the node: its process gone ${t_gone} s after the node selector, figures from the kubelet ${SW_T:-never} s later (grace ${grace} s, then two scrapes ${SHIP_INTERVAL_S} s apart)"
    check "collector kept off the node: the node's figures switch to its kubelet (${SW_T:-never} s after the collector exited) with every pod served throughout, none twice" \
        "$([[ -z $SW_T ]] && echo "still '$(node_source)' after 150 s"; [[ -n $SW_BAD ]] && echo "$SW_BAD")" \
        "$(agg_metrics 2>&1 | grep -E 'kmetrics_(kubelet|nodes_by|pods_by)')"
    [[ -n $SW_T ]] || { collector_on_node on; wait_for 120 collector_running; return; }
    wait_for 120 no_collector_pod

    # The kubelet's own samples for 40 s, then what is served through the kube-apiserver.
    hist=$RN_WORK/kubelet-history
    : >"$hist"
    t0=$SECONDS
    while ((SECONDS - t0 < 40)); do
        kubelet_rows >>"$hist" 2>/dev/null
        sleep 2
    done
    served=$( (served_pods "$WORK_NS"
        K get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$RN_NODE" | jq -r "$JQ_QTY"'"NODE - - \(.usage.cpu | cpu_n) \(.usage.memory | mem_b)"') 2>&1)
    kubelet_rows >>"$hist" 2>/dev/null
    rows=$(served_vs_kubelet "$hist" <(awk 'NF == 4 { print ns, $1, $2, $3, $4 } NF == 5 { print }' ns="$WORK_NS" <<<"$served"))
    info "served from the kubelet vs the kubelet's own samples (key, served nanocores, closest kubelet rate, diff, served working set, kubelet's):"
    sed 's/^/#   /' <<<"$rows"
    why=$(awk -v want="$STEADY_CONTAINERS" '
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        { split($1, p, "/"); key = p[2] "/" p[3]; if (p[1] == "NODE") key = "node" }
        key in need || key == "node" { seen[key] = 1
            if ($3 == "-") { print key ": no two kubelet samples to compare with"; next }
            if ($4 > 1000 || $4 < -1000) print key ": " $4 " nanocores off the kubelet rate"
            if ($6 == "-") print key ": working set " $5 " is no kubelet sample" }
        END { for (k in need) if (!(k in seen)) print k ": not served"; if (!("node" in seen)) print "node not served" }' <<<"$rows")
    check "without a collector, every workload container and the node served through the kube-apiserver with the kubelet's figures: CPU within 1 µcore of the rate of two of its samples, working set equal (the node row is what kubelet 1.20 on cgroup v2 says: $(awk '$1 == "NODE/-/-" { print $2 "n, " $5 " bytes" }' <<<"$rows"))" \
        "$why" "$served"

    # 2. The collector allowed on again: its figures replace the kubelet's, no gap, not both.
    collector_on_node on
    watch_switch 150 collector
    check "collector allowed back on: the node's figures switch to it (after ${SW_T:-never} s) with no gap and no pod counted twice" \
        "$([[ -z $SW_T ]] && echo "still '$(node_source)' after 150 s"; [[ -n $SW_BAD ]] && echo "$SW_BAD")" \
        "$(K -n kube-system get pods -o wide 2>&1)"
    ok0=$(kubelet_scrapes_ok)
    sleep $((SHIP_INTERVAL_S + 5))
    check "with the collector shipping, the kubelet is no longer scraped (ok scrapes $ok0 -> $(kubelet_scrapes_ok) over $((SHIP_INTERVAL_S + 5)) s)" \
        "$( (($(kubelet_scrapes_ok) > ok0)) && echo "scraped again")"

    # 3. The collector deleted: scraping resumes within the grace period, no gap.
    ok0=$(kubelet_scrapes_ok)
    collector_on_node off
    wait_collector_exit
    t0=$SECONDS
    t_ok=""
    while ((SECONDS - t0 < grace + 30)); do
        (($(kubelet_scrapes_ok) > ok0)) && { t_ok=$((SECONDS - t0)); break; }
        sleep 1
    done
    watch_switch 120 kubelet
    info "collector deleted: first kubelet scrape ${t_ok:-never} s after its process exited, figures from the kubelet ${SW_T:-never} s after that"
    # The grace runs from its last shipment, at or before its exit; 3 s for the scrape itself
    # on this emulated node.
    check "collector deleted: the kubelet scrape resumes within the grace period (${grace} s of silence) of the collector's exit: after ${t_ok:-never} s" \
        "$([[ -z $t_ok ]] && echo "no scrape"; [[ -n $t_ok ]] && ((t_ok > grace + 3)) && echo "$t_ok s")"
    check "collector deleted: every pod served throughout the switch back to the kubelet, none twice" \
        "$([[ -z $SW_T ]] && echo "not from the kubelet after 120 s"; [[ -n $SW_BAD ]] && echo "$SW_BAD")"
    wait_for 120 no_collector_pod

    log=$(agg_log 2>&1)
    why=""
    grep -q "node $RN_NODE: figures now from its kubelet" <<<"$log" || why+="no 'figures now from its kubelet' line;"
    grep -q "node $RN_NODE: figures now from its collector" <<<"$log" || why+="no 'figures now from its collector' line;"
    check "the aggregator logs each change of the node's source" "$why" "$(grep -E "node $RN_NODE" <<<"$log" | tail -20)"

    collector_on_node on
    if ! wait_for 120 collector_running || ! wait_for 60 all_steady_served; then
        fail "collector allowed back on after the fallback checks" "not running and serving" "$(K -n kube-system get pods 2>&1)"
    fi
}

# --- deletion ------------------------------------------------------------------------------

# uids_in_dump DUMP UIDS: which of UIDS the collector still holds (by pod uid).
uids_in_dump() { jq -r --arg u "$2" '[.pods[].uid | select(. as $x | $u | contains($x))] | join(" ")' <<<"$1"; }

churn_served() { [[ $(served_pods "$WORK_NS" | grep -c '^churn-') == 4 ]]; }

# pod_dirs_on_node UIDS: the cgroup directories the kubelet has for these pods, by the
# driver's naming (the systemd driver's cgroupfs-named twins are not the pod's: see
# userspace/collector.c), one "dir: N processes" line each.
pod_dirs_on_node() {
    local u pat=""
    for u in $1; do
        if [[ $RN_DRIVER == systemd ]]; then pat+=" -o -name '*pod${u//-/_}.slice'"; else pat+=" -o -name 'pod$u'"; fi
    done
    [[ -n $pat ]] || return 0
    rn_ctl 30 "find /sys/fs/cgroup -type d \( ${pat# -o } \) | while read -r d; do
        echo \"\$d: \$(cat \$(find \$d -name cgroup.procs) | wc -l) processes\"; done"
}

no_pod_dirs_left() { [[ -z $(pod_dirs_on_node "$1") ]]; }

# The node's running pods and containers, from containerd: running tasks, and those of them
# that are sandboxes (the pause image).
node_running_counts() {
    rn_ctl 30 "ctr -n k8s.io tasks ls | awk 'NR > 1 && \$3 == \"RUNNING\" { print \$1 }' | sort >/tmp/running
        ctr -n k8s.io containers ls | awk '\$2 ~ /kmetrics-pause/ { print \$1 }' | sort >/tmp/sandboxes
        echo \"\$(comm -12 /tmp/running /tmp/sandboxes | wc -l) \$(wc -l </tmp/running)\""
}

check_deletion() {
    local i out uids t0 t_kubelet t_col="" t_api="" dump served held="" held_dump="" last_held="" node_view=""
    local pods containers
    for i in 1 2 3 4; do sed "s/CHURN/$i/" vmtests/realnode/workloads/churn.yaml; echo ---; done | K apply -f - >/dev/null
    wait_for 120 churn_served ||
        fail "churn pods served" "not all 4 within 120 s"
    uids=$(pod_uids "$WORK_NS" | awk '{ print $2 }' | tr '\n' ' ')
    # Every workload pod deleted. The collector's window starts when the kubelet has stopped a
    # pod's containers and removed its cgroup directories, which after containerd's restart
    # (check_faults) can take the kubelet 1.20 a minute of retried kills: the deletion is
    # timed from then, and the kubelet's own time is reported.
    t0=$SECONDS
    K delete pods --all -n "$WORK_NS" --wait=false >/dev/null 2>&1
    wait_for 300 no_pod_dirs_left "$uids"
    t_kubelet=$((SECONDS - t0))
    out=$(pod_dirs_on_node "$uids")
    check "the kubelet removed the deleted pods' cgroups (after $t_kubelet s)" "$([[ -n $out ]] && echo "left after 300 s")" "$out"
    info "deletion timed from the kubelet's removal of the pods' cgroups, $t_kubelet s after kubectl delete"
    t0=$SECONDS
    while ((SECONDS - t0 < RETAIN_S + SHIP_INTERVAL_S + 60)); do
        dump=$(rn_collector_dumps 1 | tail -1)
        if [[ -z $t_col && -n $dump ]]; then
            held=$(uids_in_dump "$dump" "$uids")
            if [[ -z $held ]]; then t_col=$((SECONDS - t0)); else held_dump=$dump last_held=$held; fi
        fi
        # Past the window and still held: what the node has of those pods, for the failure.
        if [[ -z $t_col && -n $last_held && -z $node_view ]] && ((SECONDS - t0 > RETAIN_S + SLACK_S)); then
            node_view=$(pod_dirs_on_node "$last_held"; rn_ctl 30 "ctr -n k8s.io tasks ls")
        fi
        served=$(api_pods "$WORK_NS" 2>/dev/null | jq -r '.items | length')
        [[ -z $t_api && $served == 0 ]] && t_api=$((SECONDS - t0))
        [[ -n $t_col && -n $t_api ]] && break
        sleep 1
    done
    check "deleted pods leave the collector within its retention of exited containers ($RETAIN_S s): gone after ${t_col:-more than $((SECONDS - t0))} s" \
        "$([[ -n $t_col ]] && ((t_col <= RETAIN_S + SLACK_S)) || echo "held until then: $last_held")" \
        "$(jq -c --arg u "$last_held" '[.pods[] | select(.uid as $x | $u | contains($x))]' <<<"$held_dump" 2>&1
           echo "on the node then: $node_view")"
    check "deleted pods leave the API within a window and a ship interval ($((WINDOW_S + SHIP_INTERVAL_S)) s): gone after ${t_api:-more than $((SECONDS - t0))} s" \
        "$([[ -n $t_api ]] && ((t_api <= WINDOW_S + SHIP_INTERVAL_S + SLACK_S)) || echo "still served")" \
        "$(api_pods "$WORK_NS" 2>&1 | head -c 2000)"

    # Nothing left behind: the collector holds exactly the node's running pods and containers
    # (containerd's running sandboxes and tasks: the API may still list pods the kubelet is
    # done with).
    read -r pods containers <<<"$(node_running_counts)"
    dump=$(rn_collector_dumps 1 | tail -1)
    check "nothing left behind: the collector holds $(jq -r .collector.pods <<<"$dump") pods and $(jq -r .collector.containers <<<"$dump") containers (sandboxes included); containerd runs ${pods:-?} sandboxes and ${containers:-?} containers" \
        "$([[ $(jq -r .collector.pods <<<"$dump") == "$pods" ]] || echo "pods differ"
           [[ $(jq -r .collector.containers <<<"$dump") == "$containers" ]] || echo "containers differ")" \
        "$(jq -c '[.pods[] | {name, uid, cgroup}]' <<<"$dump"; rn_ctl 30 "ctr -n k8s.io tasks ls; ctr -n k8s.io containers ls")"
    if [[ $RN_DRIVER == systemd ]]; then
        info "twin directories the kubelet left for deleted pods: $(rn_ctl 30 "ls -d /sys/fs/cgroup/kubepods/*/pod* /sys/fs/cgroup/kubepods/pod* 2>/dev/null | wc -l") (the collector tracks none of them)"
    fi
}
