#!/usr/bin/env bash
# Static checks on deploy/: renders the Kustomize base and the HA overlay offline
# (kubectl kustomize) and asserts what the design relies on, then checks gen-tls.sh's output.
# Needs kubectl and openssl only. One line per check; exits 1 if any check fails.
#
#   tests/deploy/check-manifests.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
export KUBECONFIG=/dev/null # --local and --dry-run=client only: never talk to a cluster
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# check DESCRIPTION COMMAND...: runs COMMAND; it fails by returning non-zero, saying why.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok   $desc"
        passed=$((passed + 1))
    else
        echo "FAIL $desc${out:+: $(echo "$out" | tr '\n' ' ')}"
        failed=$((failed + 1))
    fi
}

# render NAME DIR: kubectl kustomize DIR, split one object per file, indexed by Kind/name.
render() {
    local name=$1 src=$2 f
    mkdir -p "$work/$name"
    kubectl kustomize "$repo/$src" >"$work/$name.yaml"
    awk -v d="$work/$name" '/^---$/ { n++; next } { print > sprintf("%s/%03d.yaml", d, n) }' \
        "$work/$name.yaml"
    for f in "$work/$name"/*.yaml; do
        printf '%s\t%s\n' "$(jp1 "$f" '{.kind}/{.metadata.name}')" "$f"
    done >"$work/$name.index"
}

# jp1 FILE JSONPATH: JSONPATH evaluated on the one object in FILE, offline.
jp1() { kubectl annotate --local -f "$1" kmetrics-check=1 -o jsonpath="$2"; }

# jp VARIANT Kind/name JSONPATH
jp() {
    local f
    f=$(awk -F'\t' -v o="$2" '$1 == o { print $2 }' "$work/$1.index")
    [[ -n $f ]] || { echo "$2 missing from $1"; return 1; }
    jp1 "$f" "$3"
}

# objects VARIANT KIND...: Kind/name of every object of these kinds.
objects() {
    local v=$1
    shift
    local k
    for k in "$@"; do awk -F'\t' -v k="$k" 'index($1, k "/") == 1 { print $1 }' "$work/$v.index"; done
}

# expect VARIANT Kind/name JSONPATH WANT
expect() {
    local got
    got=$(jp "$1" "$2" "$3") || { echo "$got"; return 1; }
    [[ $got == "$4" ]] || { echo "$2 $3 is '$got', want '$4'"; return 1; }
}

# lines VARIANT Kind/name JSONPATH: one value per line, sorted, joined with commas.
lines() { jp "$@" | sed '/^$/d' | sort | paste -sd, -; }

# expect_set VARIANT Kind/name JSONPATH WANT(comma-separated, any order)
expect_set() {
    local got want
    got=$(lines "$1" "$2" "$3") || { echo "$got"; return 1; }
    want=$(tr ',' '\n' <<<"$4" | sort | paste -sd, -)
    [[ $got == "$want" ]] || { echo "$2 $3 is {$got}, want {$want}"; return 1; }
}

DS=DaemonSet/kmetrics-collector
AGG=Deployment/kmetrics-aggregator
POD='.spec.template.spec'
C0="$POD.containers[0]"

args_of() { jp "$1" "$2" "{range $POD.containers[*].args[*]}{@}{\"\\n\"}{end}"; }
arg() { args_of "$1" "$2" | sed -n "s|^$3=||p"; }

# --- every rendered object ---------------------------------------------------------------
api_versions_1_20() {
    local bad
    bad=$(for o in $(cut -f1 "$work/$1.index"); do
        v=$(jp "$1" "$o" '{.apiVersion}')
        case $v in
        v1 | apps/v1 | rbac.authorization.k8s.io/v1 | apiregistration.k8s.io/v1 | policy/v1beta1) ;;
        *) echo "$o:$v" ;;
        esac
    done)
    [[ -z $bad ]] || { echo "not served by Kubernetes 1.20: $bad"; return 1; }
}

in_kube_system() {
    local bad
    bad=$(for o in $(objects "$1" ServiceAccount Service Deployment DaemonSet RoleBinding \
        PodDisruptionBudget); do
        [[ $(jp "$1" "$o" '{.metadata.namespace}') == kube-system ]] || echo "$o"
    done)
    [[ -z $bad ]] || { echo "not in kube-system: $bad"; return 1; }
}

no_secrets() {
    local s
    s=$(objects "$1" Secret)
    [[ -z $s ]] || { echo "renders $s: re-applying would replace the certificates"; return 1; }
}

no_wildcards() {
    local bad
    bad=$(for o in $(objects "$1" ClusterRole Role); do
        jp "$1" "$o" '{range .rules[*]}{.apiGroups}{.resources}{.verbs}{.nonResourceURLs}{"\n"}{end}' |
            grep -F '"*"' | sed "s|^|$o |"
    done)
    [[ -z $bad ]] || { echo "$bad"; return 1; }
}

collector_unbound() {
    local bad
    bad=$(for o in $(objects "$1" ClusterRoleBinding RoleBinding); do
        jp "$1" "$o" '{range .subjects[*]}{.name}{"\n"}{end}' | grep -qx kmetrics-collector && echo "$o"
    done)
    [[ -z $bad ]] || { echo "bound: $bad"; return 1; }
}

# Every hostPath volume of every workload is mounted, and only read-only.
hostpaths_read_only() {
    local o vol bad=""
    for o in $(objects "$1" DaemonSet Deployment); do
        [[ -z $(jp "$1" "$o" "{$POD.initContainers}") ]] || { bad+=" $o:initContainers"; continue; }
        [[ -n $(jp "$1" "$o" "{$POD.volumes}") ]] || continue
        for vol in $(jp "$1" "$o" "{range $POD.volumes[*]}{.name}={.hostPath.path}{\"\\n\"}{end}" |
            sed -n 's/=./&/p' | cut -d= -f1); do
            mounts=$(jp "$1" "$o" "{range $POD.containers[*].volumeMounts[?(@.name==\"$vol\")]}{.readOnly}{\"\\n\"}{end}")
            [[ -n $mounts ]] || { bad+=" $o:$vol(unmounted)"; continue; }
            grep -qvx true <<<"$mounts" && bad+=" $o:$vol"
        done
    done
    [[ -z $bad ]] || { echo "not read-only:$bad"; return 1; }
}

# --- the collector -------------------------------------------------------------------------
collector_flags_known() {
    local v=$1 flag bad=""
    for flag in $(args_of "$v" $DS | sed -n 's/^--\([a-z-]*\).*/\1/p'); do
        grep -q "{\"$flag\"," "$repo/userspace/main.c" || bad+=" --$flag"
    done
    for flag in $(args_of "$v" $AGG | sed -n 's/^--\([a-z-]*\).*/\1/p'); do
        grep -q "{\"$flag\"," "$repo/api/main.c" || bad+=" --$flag"
    done
    [[ -z $bad ]] || { echo "unknown to the programs (userspace/main.c, api/main.c):$bad"; return 1; }
}

# --runtime-dirs are the collector's own defaults under /host, each a hostPath mount of the
# same host directory.
runtime_dirs_mounted() {
    local v=$1 d bad="" defaults got
    defaults=$(sed -n '/oci_default_runtime_dirs\[\] = {/,/};/s/^ *"\([^"]*\)",*$/\1/p' \
        "$repo/userspace/discover/oci_bundle.c" | sort | paste -sd, -)
    got=$(arg "$v" $DS --runtime-dirs | tr ',' '\n' | sed 's|^/host||' | sort | paste -sd, -)
    [[ -n $defaults && $got == "$defaults" ]] ||
        { echo "--runtime-dirs {$got} are not the defaults {$defaults} under /host"; return 1; }
    for d in $(tr ',' ' ' <<<"$got") /sys/fs/cgroup; do
        vol=$(jp "$v" $DS "{range $POD.volumes[?(@.hostPath.path==\"$d\")]}{.name}{end}")
        m=$(jp "$v" $DS "{range $C0.volumeMounts[?(@.name==\"$vol\")]}{.mountPath}{end}")
        [[ -n $vol && $m == "/host$d" ]] || bad+=" $d"
    done
    [[ $(arg "$v" $DS --cgroup-root) == /host/sys/fs/cgroup ]] || bad+=" --cgroup-root"
    [[ -z $bad ]] || { echo "not mounted from the host at /host/...:$bad"; return 1; }
}

ship_token() {
    local v=$1 vol mount path aud
    vol=$(jp "$v" $DS "{range $POD.volumes[*]}{.name}={.projected.sources[0].serviceAccountToken.path}{\"\\n\"}{end}" |
        sed -n 's/=./&/p')
    path=${vol#*=} vol=${vol%%=*}
    mount=$(jp "$v" $DS "{range $C0.volumeMounts[?(@.name==\"$vol\")]}{.mountPath}{end}")
    [[ -n $vol && $(arg "$v" $DS --ship-token-file) == "$mount/$path" ]] ||
        { echo "--ship-token-file is not the projected token ($mount/$path)"; return 1; }
    aud=$(jp "$v" $DS "{$POD.volumes[?(@.name==\"$vol\")].projected.sources[0].serviceAccountToken.audience}")
    expect "$v" $DS "{$POD.volumes[?(@.name==\"$vol\")].projected.sources[0].serviceAccountToken.expirationSeconds}" 3600 &&
        [[ $aud == kmetrics && $(arg "$v" $AGG --collector-token-audience) == "$aud" ]] ||
        { echo "audience '$aud' is not kmetrics or not the aggregator's"; return 1; }
    [[ $(arg "$v" $AGG --collector-service-account) == \
        "kube-system/$(jp "$v" $DS "{$POD.serviceAccountName}")" ]] ||
        { echo "--collector-service-account is not the DaemonSet's ServiceAccount"; return 1; }
}

collector_checks() {
    local v=$1
    check "$v: collector adds exactly BPF, PERFMON, DAC_READ_SEARCH" \
        expect_set "$v" $DS "{range $C0.securityContext.capabilities.add[*]}{@}{\"\\n\"}{end}" \
        BPF,PERFMON,DAC_READ_SEARCH
    check "$v: collector drops ALL capabilities" \
        expect "$v" $DS "{$C0.securityContext.capabilities.drop}" '["ALL"]'
    check "$v: collector not privileged, no privilege escalation, read-only root" \
        expect "$v" $DS "{$C0.securityContext.privileged}/{$C0.securityContext.allowPrivilegeEscalation}/{$C0.securityContext.readOnlyRootFilesystem}" \
        false/false/true
    check "$v: collector runs as uid 0 (added capabilities are only effective for root)" \
        expect "$v" $DS "{$C0.securityContext.runAsUser}" 0
    check "$v: collector pod and ServiceAccount do not automount an API token" \
        expect "$v" $DS "{$POD.automountServiceAccountToken}/$(jp "$v" ServiceAccount/kmetrics-collector '{.automountServiceAccountToken}')" \
        false/false
    check "$v: collector ships with a projected token (audience kmetrics, 1 h) the aggregator checks" \
        ship_token "$v"
    check "$v: collector hostPID, no hostNetwork, hostIPC" \
        expect "$v" $DS "{$POD.hostPID}/{$POD.hostNetwork}/{$POD.hostIPC}" true//
    check "$v: collector on every node: tolerates everything, system-node-critical" \
        expect "$v" $DS "{$POD.tolerations}/{$POD.priorityClassName}" \
        '[{"operator":"Exists"}]/system-node-critical'
    check "$v: collector NODE_NAME from spec.nodeName" \
        expect "$v" $DS "{$C0.env[?(@.name==\"NODE_NAME\")].valueFrom.fieldRef.fieldPath}" spec.nodeName
    check "$v: collector --runtime-dirs are its defaults, mounted from the host" \
        runtime_dirs_mounted "$v"
    check "$v: collector gets only ca.crt from Secret kmetrics-tls, not the key" \
        expect "$v" $DS "{$POD.volumes[?(@.secret.secretName==\"kmetrics-tls\")].secret.items[*].key}" ca.crt
    check "$v: collector ships to kmetrics-ship:4443, verifying it with the mounted ca.crt" \
        expect "$v" $DS "{$C0.volumeMounts[?(@.name==\"tls\")].mountPath} $(arg "$v" $DS --aggregator) $(arg "$v" $DS --aggregator-ca-file)" \
        "/etc/kmetrics/tls https://kmetrics-ship.kube-system.svc:4443 /etc/kmetrics/tls/ca.crt"
    check "$v: collector has requests and a memory limit" \
        expect "$v" $DS "{$C0.resources.requests.cpu}/{$C0.resources.requests.memory}/{$C0.resources.limits.memory}" \
        5m/16Mi/64Mi
}

# --- the aggregator ------------------------------------------------------------------------
aggregator_checks() {
    local v=$1
    check "$v: aggregator runAsNonRoot, uid 65534, seccomp RuntimeDefault" \
        expect "$v" $AGG "{$POD.securityContext.runAsNonRoot}/{$POD.securityContext.runAsUser}/{$POD.securityContext.seccompProfile.type}" \
        true/65534/RuntimeDefault
    check "$v: aggregator read-only root, no escalation, drops ALL, adds nothing" \
        expect "$v" $AGG "{$C0.securityContext.readOnlyRootFilesystem}/{$C0.securityContext.allowPrivilegeEscalation}/{$C0.securityContext.capabilities.drop}/{$C0.securityContext.capabilities.add}" \
        'true/false/["ALL"]/'
    check "$v: aggregator probes: readiness /readyz, liveness /livez, HTTPS on 4443" \
        expect "$v" $AGG "{$C0.readinessProbe.httpGet.path} {$C0.livenessProbe.httpGet.path} {$C0.readinessProbe.httpGet.scheme} {$C0.ports[?(@.name==\"https\")].containerPort} {$C0.readinessProbe.httpGet.port}" \
        "/readyz /livez HTTPS 4443 https"
    check "$v: aggregator system-cluster-critical, ServiceAccount kmetrics-aggregator" \
        expect "$v" $AGG "{$POD.priorityClassName}/{$POD.serviceAccountName}" \
        system-cluster-critical/kmetrics-aggregator
    check "$v: aggregator serves the kmetrics-tls certificate on 4443" \
        expect "$v" $AGG "{$POD.volumes[?(@.name==\"tls\")].secret.secretName} $(arg "$v" $AGG --secure-port) $(arg "$v" $AGG --tls-cert-file) $(arg "$v" $AGG --tls-private-key-file)" \
        "kmetrics-tls 4443 /etc/kmetrics/tls/tls.crt /etc/kmetrics/tls/tls.key"
    check "$v: aggregator resources: requests 50m/64Mi, limit 512Mi" \
        expect "$v" $AGG "{$C0.resources.requests.cpu}/{$C0.resources.requests.memory}/{$C0.resources.limits.memory}" \
        50m/64Mi/512Mi
    check "$v: Service kmetrics 443 -> https, selects the aggregator" \
        expect "$v" Service/kmetrics '{.spec.ports[0].port}>{.spec.ports[0].targetPort} {.spec.selector}' \
        "443>https $(jp "$v" $AGG '{.spec.selector.matchLabels}')"
    check "$v: Service kmetrics-ship headless on 4443, publishes not-ready aggregators" \
        expect "$v" Service/kmetrics-ship '{.spec.clusterIP} {.spec.ports[0].port}>{.spec.ports[0].targetPort} {.spec.publishNotReadyAddresses} {.spec.selector}' \
        "None 4443>https true $(jp "$v" $AGG '{.spec.selector.matchLabels}')"
}

apiservices() {
    local v=$1 ver routes
    for ver in v1beta1 v1; do
        expect "$v" "APIService/$ver.metrics.k8s.io" \
            '{.spec.group}/{.spec.version} {.spec.service.namespace}/{.spec.service.name}:{.spec.service.port} {.spec.groupPriorityMinimum} {.spec.versionPriority}' \
            "metrics.k8s.io/$ver kube-system/kmetrics:443 100 100" || return 1
        [[ -n $(jp "$v" "APIService/$ver.metrics.k8s.io" '{.spec.insecureSkipTLSVerify}{.spec.caBundle}') ]] ||
            { echo "$ver: neither insecureSkipTLSVerify nor caBundle"; return 1; }
    done
    # Only they carry the label a move from metrics-server leaves out at first (install.md).
    routes=$(for o in $(cut -f1 "$work/$v.index"); do
        [[ $(jp "$v" "$o" '{.metadata.labels.app\.kubernetes\.io/component}') == api-route ]] && echo "$o"
    done | paste -sd' ' -)
    routes=$(tr ' ' '\n' <<<"$routes" | sort | paste -sd' ' -)
    if [[ $v == custom ]]; then
        [[ $routes == "APIService/v1.metrics.k8s.io APIService/v1beta1.custom.metrics.k8s.io APIService/v1beta1.metrics.k8s.io APIService/v1beta2.custom.metrics.k8s.io" ]]
    else
        [[ $routes == "APIService/v1.metrics.k8s.io APIService/v1beta1.metrics.k8s.io" ]]
    fi || { echo "labelled component=api-route: '$routes', want the APIServices"; return 1; }
}

# The optional component: both custom.metrics.k8s.io versions on the same Service, v1beta2
# preferred; read rights for the HPA's ServiceAccount and view/edit/admin, nothing more.
custom_apiservices() {
    local ver prio
    for ver in v1beta2:200 v1beta1:100; do
        prio=${ver#*:} ver=${ver%%:*}
        expect custom "APIService/$ver.custom.metrics.k8s.io" \
            '{.spec.group}/{.spec.version} {.spec.service.namespace}/{.spec.service.name}:{.spec.service.port} {.spec.groupPriorityMinimum} {.spec.versionPriority}' \
            "custom.metrics.k8s.io/$ver kube-system/kmetrics:443 100 $prio" || return 1
    done
}
custom_rbac() {
    expect custom ClusterRole/kmetrics:custom-metrics-reader \
        '{.rules[*].apiGroups} {.rules[*].resources} {.rules[*].verbs}' \
        '["custom.metrics.k8s.io"] ["pods/*","metrics"] ["get","list"]' &&
        expect custom ClusterRoleBinding/kmetrics:hpa-custom-metrics \
            '{.roleRef.name} {.subjects[*].kind}/{.subjects[*].namespace}/{.subjects[*].name}' \
            'kmetrics:custom-metrics-reader ServiceAccount/kube-system/horizontal-pod-autoscaler'
}
no_custom_in() {
    ! grep -q 'custom.metrics.k8s.io' "$work/$1.yaml" || { echo "custom.metrics.k8s.io in $1"; return 1; }
}

rbac_checks() {
    local v=$1
    check "$v: no Role or ClusterRole grants '*'" no_wildcards "$v"
    check "$v: aggregator ClusterRole: get/list/watch pods and nodes, get nodes/metrics (the kubelet fallback; never nodes/proxy), nothing else" \
        expect "$v" ClusterRole/kmetrics-aggregator '{range .rules[*]}{.apiGroups}{.resources}{.verbs};{end}' \
        '[""]["pods","nodes"]["get","list","watch"];[""]["nodes/metrics"]["get"];'
    check "$v: aggregator bound to its ClusterRole and system:auth-delegator" \
        expect "$v" ClusterRoleBinding/kmetrics-aggregator:system:auth-delegator \
        '{.roleRef.kind}/{.roleRef.name} {.subjects[0].namespace}/{.subjects[0].name}' \
        "ClusterRole/system:auth-delegator kube-system/kmetrics-aggregator"
    check "$v: aggregator reads extension-apiserver-authentication (RoleBinding in kube-system)" \
        expect "$v" RoleBinding/kmetrics-aggregator-auth-reader \
        '{.metadata.namespace} {.roleRef.kind}/{.roleRef.name} {.subjects[0].namespace}/{.subjects[0].name}' \
        "kube-system Role/extension-apiserver-authentication-reader kube-system/kmetrics-aggregator"
    check "$v: collector has no RoleBinding or ClusterRoleBinding" collector_unbound "$v"
    check "$v: system:aggregated-metrics-reader: get/list metrics, aggregated to view/edit/admin" \
        expect "$v" ClusterRole/system:aggregated-metrics-reader \
        '{.rules[0].apiGroups}{.rules[0].resources}{.rules[0].verbs} {.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-view}{.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-edit}{.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-admin}' \
        '["metrics.k8s.io"]["pods","nodes"]["get","list"] truetruetrue'
}

common_checks() {
    local v=$1
    check "$v: every apiVersion is served by Kubernetes 1.20" api_versions_1_20 "$v"
    check "$v: every namespaced object is in kube-system" in_kube_system "$v"
    check "$v: no Secret rendered (gen-tls.sh makes kmetrics-tls)" no_secrets "$v"
    check "$v: both APIServices (v1beta1, v1) route to kube-system/kmetrics:443, labelled api-route" apiservices "$v"
    check "$v: hostPath volumes are all mounted read-only" hostpaths_read_only "$v"
    check "$v: every flag in the manifests is one the programs parse" collector_flags_known "$v"
    rbac_checks "$v"
    collector_checks "$v"
    aggregator_checks "$v"
}

# --- render and check ----------------------------------------------------------------------
for v in base:deploy/base ha:deploy/overlays/ha custom:deploy/overlays/custom-metrics; do
    check "${v%%:*}: kubectl kustomize ${v#*:} renders" render "${v%%:*}" "${v#*:}"
done
[[ -s $work/base.index && -s $work/ha.index && -s $work/custom.index ]] || { echo "$failed failed"; exit 1; }
# What docs/install.md has users type: `kubectl apply -k deploy/` installs the base.
check "deploy: kubectl kustomize deploy renders" render top deploy
check "deploy: the same objects as deploy/base" cmp -s "$work/top.yaml" "$work/base.yaml"

common_checks base
check "base: one aggregator replica" expect base $AGG '{.spec.replicas}' 1
common_checks ha
check "ha: two aggregator replicas, replaced one at a time" \
    expect ha $AGG '{.spec.replicas} {.spec.strategy.rollingUpdate.maxSurge}/{.spec.strategy.rollingUpdate.maxUnavailable}' "2 0/1"
check "ha: required anti-affinity on kubernetes.io/hostname against its own pods" \
    expect ha $AGG "{$POD.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey} {$POD.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels}" \
    "kubernetes.io/hostname $(jp ha $AGG '{.spec.selector.matchLabels}')"
check "ha: PodDisruptionBudget policy/v1beta1 (1.20) minAvailable 1 over the aggregator" \
    expect ha PodDisruptionBudget/kmetrics-aggregator '{.apiVersion} {.spec.minAvailable} {.spec.selector.matchLabels}' \
    "policy/v1beta1 1 $(jp ha $AGG '{.spec.selector.matchLabels}')"
common_checks custom
check "custom: the base's objects, plus the component's four" \
    test "$(wc -l <"$work/custom.index")" -eq "$(($(wc -l <"$work/base.index") + 4))"
check "custom: APIServices v1beta2 (preferred) and v1beta1.custom.metrics.k8s.io route to kube-system/kmetrics:443" custom_apiservices
check "custom: custom.metrics.k8s.io get/list for the HPA's ServiceAccount and view/edit/admin" custom_rbac
check "base and ha: custom.metrics.k8s.io is not registered (only one server may own it)" \
    eval 'no_custom_in base && no_custom_in ha'

# --- gen-tls.sh ----------------------------------------------------------------------------
gen_tls() {
    "$repo/deploy/gen-tls.sh" -d "$work/tls" --yaml >"$work/secret.yaml" 2>"$work/gen-tls.log" ||
        { cat "$work/gen-tls.log"; return 1; }
}
sans() {
    local got
    got=$(openssl x509 -in "$work/tls/tls.crt" -noout -ext subjectAltName | tail -n +2 |
        tr -d ' ' | tr ',' '\n' | sort | paste -sd, -)
    [[ $got == DNS:kmetrics-ship.kube-system.svc,DNS:kmetrics-ship.kube-system.svc.cluster.local,DNS:kmetrics.kube-system.svc,DNS:kmetrics.kube-system.svc.cluster.local ]] ||
        { echo "SANs $got"; return 1; }
    openssl verify -CAfile "$work/tls/ca.crt" -purpose sslserver "$work/tls/tls.crt"
}
secret_yaml() {
    expect_secret() { [[ $(jp1 "$work/secret.yaml" "$1") == "$2" ]] || { echo "$1 != $2"; return 1; }; }
    expect_secret '{.kind} {.metadata.namespace}/{.metadata.name}' "Secret kube-system/kmetrics-tls" &&
        expect_secret '{.data.ca\.crt}' "$(base64 <"$work/tls/ca.crt" | tr -d '\n')" &&
        [[ -n $(jp1 "$work/secret.yaml" '{.data.tls\.crt}') && -n $(jp1 "$work/secret.yaml" '{.data.tls\.key}') ]]
}
ca_kept() {
    local before
    before=$(cat "$work/tls/ca.crt")
    "$repo/deploy/gen-tls.sh" -d "$work/tls" 2>/dev/null
    [[ $(cat "$work/tls/ca.crt") == "$before" ]] || { echo "CA replaced"; return 1; }
    openssl verify -CAfile "$work/tls/ca.crt" "$work/tls/tls.crt"
}
if command -v openssl >/dev/null; then
    check "gen-tls.sh: runs" gen_tls
    check "gen-tls.sh: serving certificate for both Services, .svc and .svc.cluster.local, signed by ca.crt" sans
    check "gen-tls.sh --yaml: Secret kube-system/kmetrics-tls with ca.crt, tls.crt, tls.key" secret_yaml
    check "gen-tls.sh: a second run renews the serving certificate under the same CA" ca_kept
else
    check "gen-tls.sh: openssl is installed" false
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
