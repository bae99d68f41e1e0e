#!/usr/bin/env bash
# kmetrics end to end, against a real control plane (etcd + kube-apiserver +
# kube-controller-manager 1.20.2 from cluster.sh, on loopback): the aggregator and the
# collector run on this machine, the APIServices route metrics.k8s.io to the aggregator
# through a Service of type ExternalName, this script plays the kubelet (kubelet.sh: pods in
# real kubepods cgroups under our own cgroup directory, with CPU burners), and then checks
# what every installed kubectl, and the HPA, see through the kube-apiserver.
#
#   tests/e2e/run.sh            (make e2e; needs root, the programs and the burner built)
#
# Output: one line per check, "ok - ..." or "not ok - ..." (with the reason and the command's
# output), "# ..." for information, and last "e2e: N passed, M failed". Exit status 1 on any
# failure. Everything started is stopped on exit, Ctrl-C included. docs/e2e.md has the
# details and the environment overrides.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
BUILD=$(cd "${BUILD:-build}" && pwd)
E2E_DIR=${E2E_DIR:-$BUILD/e2e}
mkdir -p "$E2E_DIR"
E2E_DIR=$(cd "$E2E_DIR" && pwd)
export ETCD_PORT=${ETCD_PORT:-23790} APISERVER_PORT=${APISERVER_PORT:-16443}
AGGREGATOR_PORT=${AGGREGATOR_PORT:-16444}
METRIC_RESOLUTION=${E2E_METRIC_RESOLUTION:-15s}
SHIP_INTERVAL=${E2E_SHIP_INTERVAL:-2s}
HPA_POD_LOAD=${E2E_HPA_POD_LOAD:-0.25}
E2E_HPA=${E2E_HPA:-1}
for d in "$METRIC_RESOLUTION" "$SHIP_INTERVAL"; do
    [[ $d =~ ^[1-9][0-9]*s$ ]] || { echo "e2e: $d: durations are whole seconds, e.g. 15s" >&2; exit 2; }
done
# How the aggregator authenticates: "kubernetes" (E2E_AUTH=1: delegated authentication and
# authorization through the kube-apiserver, collectors' pod-bound ServiceAccount tokens
# checked with TokenReview; the auth checks run) or "standalone" (E2E_AUTH=0: a shared ship
# token, reads open, so the kube-apiserver's proxied requests pass; no auth checks).
E2E_AUTH=${E2E_AUTH:-1}
AGG_MODE=$([[ $E2E_AUTH == 1 ]] && echo kubernetes || echo standalone)

NODE=kmetrics-e2e-node
NS=kmetrics-e2e
HPA_NS=kmetrics-e2e-hpa
AGG_CA=$E2E_DIR/kmetrics-pki
export KUBECACHEDIR=$E2E_DIR/kube-cache # a fresh discovery cache, never a stale one

passed=0
failed=0
started=$(date +%s)
pids=()

info() { echo "# $*"; }
pass() {
    passed=$((passed + 1))
    echo "ok - $1"
}
# fail DESCRIPTION REASON [OUTPUT]
fail() {
    failed=$((failed + 1))
    echo "not ok - $1: $2"
    if [[ -n ${3:-} ]]; then
        head -c 4000 <<<"$3" | sed 's/^/    | /'
    fi
}

elapsed() { echo $(($(date +%s) - started)); }

# --- preflight ------------------------------------------------------------------------------

# abort REASON: stop the suite (before the cleanup trap is set, with its own summary).
trap_set=0
abort() {
    if ((trap_set)); then
        fail "setup" "$*"
        exit 1
    fi
    echo "e2e: $*" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
}

[[ $(id -u) == 0 ]] || abort "needs root (cgroups under the host's cgroup v2 hierarchy, BPF)"
for t in curl jq openssl etcd kubectl timeout; do
    command -v "$t" >/dev/null || abort "$t missing (scripts/deps.sh installs it)"
done
for b in "$BUILD/kmetrics-aggregator" "$BUILD/kmetrics-collector" "$BUILD/tests/burner"; do
    [[ -x $b ]] || abort "$b not built (make e2e builds it)"
done
CGROUP2=$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[[ -n $CGROUP2 ]] || abort "no cgroup v2 hierarchy mounted"
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$ETCD_PORT" "$((ETCD_PORT + 10))" "$APISERVER_PORT" "$AGGREGATOR_PORT"; do
    if port_in_use "$p"; then
        abort "port $p on 127.0.0.1 is in use (another cluster?); set ETCD_PORT, APISERVER_PORT, AGGREGATOR_PORT"
    fi
done
# The admin kubectl (setup, HPA) must have `create token` (kubectl >= 1.24).
KUBECTL=${KUBECTL:-kubectl}
"$KUBECTL" create token --help >/dev/null 2>&1 || abort "$KUBECTL has no 'create token' (need kubectl >= 1.24; set KUBECTL)"

# The kubectls of the matrix: every kubectl.1.* beside the one on PATH, or KUBECTL_VERSIONS
# (paths, or versions like "1.27 1.33" looked up in that directory).
kdir=$(dirname "$(readlink -f "$(command -v kubectl)")")
KUBECTLS=()
if [[ -n ${KUBECTL_VERSIONS:-} ]]; then
    for v in $KUBECTL_VERSIONS; do
        if [[ $v == */* ]]; then KUBECTLS+=("$v"); else KUBECTLS+=("$kdir/kubectl.$v"); fi
    done
else
    while IFS= read -r k; do KUBECTLS+=("$k"); done < <(printf '%s\n' "$kdir"/kubectl.1.* | grep -v '\*$' | sort -V)
fi
kubectl_note=""
if ((${#KUBECTLS[@]} == 0)); then
    KUBECTLS=("$(command -v kubectl)")
    kubectl_note="no kubectl.1.* beside $(command -v kubectl): only that one is tested"
fi

# --- cleanup --------------------------------------------------------------------------------

CG_TOP=$CGROUP2/kmetrics-e2e-$$
export KL_NODE=$NODE KL_CGROUP_BASE=$CG_TOP/node KL_RUNTIME_DIR=$E2E_DIR/runtime \
    KL_STATE=$E2E_DIR/kubelet KL_BURNER=$BUILD/tests/burner
# shellcheck source=tests/e2e/kubelet.sh
. "$repo/tests/e2e/kubelet.sh"

AGG_PID=""
COL_PID=""
cleaned=0
fresh=0
cleanup() {
    local rc=$? p
    ((cleaned)) && return
    cleaned=1
    set +e
    trap - INT TERM
    # Logs first, while everything still runs (no shutdown noise). The API server's
    # complaints about the loopback address of the "kubernetes" Service are expected here.
    if ((fresh)) && { ((failed > 0)) || ((rc != 0 && rc != 130)); }; then
        for f in aggregator.log collector.log kube-apiserver.log kube-controller-manager.log \
            kubelet/kubelet.log; do
            [[ -s $E2E_DIR/$f ]] || continue
            echo "# --- tail of $E2E_DIR/$f"
            grep -v 'may not be in the loopback range\|Resetting endpoints for master service' \
                "$E2E_DIR/$f" | tail -n 20 | sed 's/^/#   /'
        done
    fi
    kl_loop_stop
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    kl_cleanup >/dev/null 2>&1
    kl_cgroup_remove "$CG_TOP"
    "$repo/tests/e2e/cluster.sh" down "$E2E_DIR" 2>/dev/null
    if ((rc == 130)); then
        info "interrupted"
        failed=$((failed + 1))
    elif ((rc != 0 && failed == 0)); then
        info "the suite stopped early (exit $rc)"
        failed=$((failed + 1))
    fi
    info "run time $(elapsed) s; logs in $E2E_DIR"
    echo "e2e: $passed passed, $failed failed"
    ((failed == 0)) && exit 0
    exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap_set=1

# --- helpers --------------------------------------------------------------------------------

K() { timeout 30 "$KUBECTL" "$@"; }

# wait_for SECONDS COMMAND...: polls every 0.5 s; true once COMMAND succeeds.
wait_for() {
    local limit=$1 t0
    shift
    t0=$(date +%s)
    while (($(date +%s) - t0 < limit)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# Millicores from a Kubernetes quantity (n, u, m, k, plain; -1 if not a quantity).
milli_awk='function milli(q,  v) {
    if (q !~ /^[0-9.]+(n|u|m|k|)$/) return -1
    v = q; sub(/[numk]$/, "", v); v += 0
    if (q ~ /n$/) return int(v / 1e6 + 0.5)
    if (q ~ /u$/) return int(v / 1e3 + 0.5)
    if (q ~ /m$/) return int(v + 0.5)
    if (q ~ /k$/) return int(v * 1e6 + 0.5)
    return int(v * 1000 + 0.5)
}'

# rows TABLE: "key millicores" for each row of kubectl's tabular output; key is NAME, or
# POD/NAME with --containers. Columns are found by header (CPU(cores), CPU, ...).
rows() {
    awk "$milli_awk"'
    NR == 1 { for (i = 1; i <= NF; i++) { h = toupper($i)
                  if (h ~ /^CPU/ && !cpu) cpu = i
                  if (h == "NAME") name = i
                  if (h == "POD") pod = i }
              next }
    name && cpu { print (pod ? $pod "/" : "") $name, milli($cpu) }' <<<"$1"
}

# in_range ROWS KEY LO HI: empty when KEY's CPU is within [LO, HI] millicores, else why not.
in_range() {
    local v
    v=$(awk -v k="$2" '$1 == k { print $2; exit }' <<<"$1")
    if [[ -z $v ]]; then
        echo "$2 missing"
    elif ((v < $3 || v > $4)); then
        echo "$2 at ${v}m, expected $3m-$4m"
    fi
}

agg_curl() {
    curl -sS --max-time 10 --cacert "$AGG_CA/ca.crt" "$@"
}

# --- the cluster, certificates, the aggregator and the collector ------------------------------

start_cluster() {
    "$repo/tests/e2e/cluster.sh" down "$E2E_DIR" 2>/dev/null || true
    # A fresh cluster each run; only a directory this suite made is emptied.
    if [[ -n $(ls -A "$E2E_DIR") && ! -f $E2E_DIR/.kmetrics-e2e ]]; then
        abort "$E2E_DIR is not empty and was not made by this suite; set E2E_DIR"
    fi
    rm -rf "${E2E_DIR:?}"/*
    touch "$E2E_DIR/.kmetrics-e2e"
    fresh=1 # the logs there are this run's
    "$repo/tests/e2e/cluster.sh" up "$E2E_DIR" 2>&1 | sed 's/^/# /'
    # shellcheck disable=SC1091
    . "$E2E_DIR/env"
}

# A CA for the aggregator's serving certificate (what deploy/gen-tls.sh makes in a cluster):
# the kube-apiserver checks it for kmetrics.kube-system.svc against the APIService's caBundle;
# the collector against --aggregator-ca-file.
aggregator_pki() {
    mkdir -p "$AGG_CA"
    openssl ecparam -name prime256v1 -genkey -noout -out "$AGG_CA/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$AGG_CA/ca.key" -subj /CN=kmetrics-e2e-aggregator-ca -days 2 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$AGG_CA/ca.crt" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out "$AGG_CA/tls.key" 2>/dev/null
    openssl req -new -key "$AGG_CA/tls.key" -subj /CN=kmetrics -out "$AGG_CA/tls.csr" 2>/dev/null
    printf 'subjectAltName=DNS:kmetrics.kube-system.svc,DNS:kmetrics-ship.kube-system.svc,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
        >"$AGG_CA/tls.ext"
    openssl x509 -req -in "$AGG_CA/tls.csr" -CA "$AGG_CA/ca.crt" -CAkey "$AGG_CA/ca.key" \
        -CAcreateserial -days 2 -extfile "$AGG_CA/tls.ext" -out "$AGG_CA/tls.crt" 2>/dev/null
    # Client certificates for the auth checks: "nobody" (cluster CA, no RBAC rights), and a
    # forger: a self-signed certificate named like the front proxy.
    client_cert nobody nobody "$E2E_PKI/ca"
    client_cert front-proxy-cluster-ca front-proxy-client "$E2E_PKI/ca"
    openssl ecparam -name prime256v1 -genkey -noout -out "$AGG_CA/forger.key" 2>/dev/null
    openssl req -x509 -new -key "$AGG_CA/forger.key" -subj /CN=front-proxy-client -days 2 \
        -addext extendedKeyUsage=clientAuth -out "$AGG_CA/forger.crt" 2>/dev/null
}

client_cert() {
    local name=$1 cn=$2 ca=$3
    openssl ecparam -name prime256v1 -genkey -noout -out "$AGG_CA/$name.key" 2>/dev/null
    openssl req -new -key "$AGG_CA/$name.key" -subj "/CN=$cn" -out "$AGG_CA/$name.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$AGG_CA/$name.ext"
    openssl x509 -req -in "$AGG_CA/$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
        -days 2 -extfile "$AGG_CA/$name.ext" -out "$AGG_CA/$name.crt" 2>/dev/null
}

register_apiservices() {
    local bundle v
    bundle=$(base64 -w0 <"$AGG_CA/ca.crt")
    {
        cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: kmetrics, namespace: kube-system}
spec:
  type: ExternalName
  externalName: localhost
  ports: [{name: https, port: $AGGREGATOR_PORT, protocol: TCP}]
EOF
        for v in v1beta1 v1; do
            cat <<EOF
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: $v.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: $v
  service: {name: kmetrics, namespace: kube-system, port: $AGGREGATOR_PORT}
  caBundle: $bundle
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
        done
        # custom.metrics.k8s.io as deploy/components/custom-metrics registers it.
        for v in v1beta2:200 v1beta1:100; do
            cat <<EOF
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${v%%:*}.custom.metrics.k8s.io}
spec:
  group: custom.metrics.k8s.io
  version: ${v%%:*}
  service: {name: kmetrics, namespace: kube-system, port: $AGGREGATOR_PORT}
  caBundle: $bundle
  groupPriorityMinimum: 100
  versionPriority: ${v#*:}
EOF
        done
    } | K apply -f - >/dev/null
}

# Kubernetes mode: the aggregator runs as ServiceAccount kube-system/kmetrics-aggregator
# with exactly the rights deploy/ grants it; the collector presents a token of
# kube-system/kmetrics-collector bound to its Pod on this node, audience kmetrics.
# The whole of deploy/ must be valid for this API server (server-side dry run); its RBAC is
# then applied for real.
DEPLOY_RBAC="deploy/base/serviceaccounts.yaml deploy/base/rbac-aggregator.yaml deploy/base/rbac-metrics-reader.yaml"
kubernetes_identities() {
    local f out
    for overlay in deploy/base deploy/overlays/ha; do
        out=$(K apply -k "$overlay" --dry-run=server 2>&1) ||
            { fail "$overlay is accepted by the API server (dry run)" "$out"; return 1; }
    done
    pass "deploy/base and deploy/overlays/ha are accepted by the API server (server-side dry run)"
    for f in $DEPLOY_RBAC; do
        K apply -f "$f" >/dev/null ||
            { fail "deploy RBAC applies" "kubectl apply -f $f failed"; return 1; }
    done
    cat >"$E2E_DIR/aggregator.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "$APISERVER", certificate-authority: "$E2E_PKI/ca.crt"}
users:
- name: kmetrics-aggregator
  user: {token: "$(K create token kmetrics-aggregator -n kube-system --duration=2h)"}
contexts:
- name: e2e
  context: {cluster: e2e, user: kmetrics-aggregator}
current-context: e2e
EOF
    collector_pod kmetrics-collector-e2e "$NODE"
    K create token kmetrics-collector -n kube-system --audience=kmetrics \
        --bound-object-kind=Pod --bound-object-name=kmetrics-collector-e2e --duration=1h \
        >"$E2E_DIR/ship-token"
}


# collector_pod NAME NODE: the collector's Pod object (as the DaemonSet would make it),
# bound to NODE. Not run by kubelet.sh: the collector itself runs outside.
collector_pod() {
    K apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: kube-system
  labels: {app.kubernetes.io/name: kmetrics-collector}
spec:
  nodeName: $2
  serviceAccountName: kmetrics-collector
  automountServiceAccountToken: false
  containers: [{name: collector, image: kmetrics-collector}]
EOF
}

start_aggregator() {
    local mode_flags=()
    if [[ $AGG_MODE == kubernetes ]]; then
        # Requestheader and client CAs come from ConfigMap
        # kube-system/extension-apiserver-authentication by default.
        mode_flags=(--kubeconfig="$E2E_DIR/aggregator.kubeconfig"
            --collector-service-account=kube-system/kmetrics-collector
            --collector-token-audience=kmetrics)
    else
        (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$E2E_DIR/ship-token")
        mode_flags=(--ship-token-file="$E2E_DIR/ship-token")
        # Never pick up an in-cluster configuration (a CI job running in a pod).
        if "$BUILD/kmetrics-aggregator" --help 2>&1 | grep -q -- --standalone; then
            mode_flags+=(--standalone)
        fi
    fi
    "$BUILD/kmetrics-aggregator" --bind-address=127.0.0.1 --secure-port="$AGGREGATOR_PORT" \
        --tls-cert-file="$AGG_CA/tls.crt" --tls-private-key-file="$AGG_CA/tls.key" \
        --metric-resolution="$METRIC_RESOLUTION" "${mode_flags[@]}" \
        >"$E2E_DIR/aggregator.log" 2>&1 </dev/null &
    AGG_PID=$!
    pids+=("$AGG_PID")
    if wait_for 10 agg_curl -f "https://127.0.0.1:$AGGREGATOR_PORT/livez"; then
        pass "aggregator up ($AGG_MODE mode) on 127.0.0.1:$AGGREGATOR_PORT"
    else
        fail "aggregator up ($AGG_MODE mode)" "/livez did not answer within 10 s" \
            "$(tail -20 "$E2E_DIR/aggregator.log")"
        exit 1
    fi
}

# start_collector LOG NODE-NAME CGROUP-ROOT RUNTIME-DIR TOKEN-FILE: prints the pid.
start_collector() {
    "$BUILD/kmetrics-collector" --node-name="$2" --cgroup-root="$3" --runtime-dirs="$4" \
        --interval=1s --ship-interval="$SHIP_INTERVAL" \
        --aggregator="https://127.0.0.1:$AGGREGATOR_PORT" --ship-token-file="$5" \
        --aggregator-ca-file="$AGG_CA/ca.crt" >"$1" 2>&1 </dev/null &
    echo $!
}

# --- test pods ------------------------------------------------------------------------------

# busy (Burstable): burner at 0.5 core + an idle sidecar; steady (Guaranteed): 0.2 core;
# idle (BestEffort): nothing.
create_pods() {
    K create namespace "$NS" >/dev/null
    K apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: busy, namespace: $NS, labels: {app: busy, suite: e2e}}
spec:
  containers:
  - {name: burner, image: kmetrics-e2e/burner, resources: {requests: {cpu: 100m}}}
  - {name: sidecar, image: kmetrics-e2e/idle}
---
apiVersion: v1
kind: Pod
metadata: {name: steady, namespace: $NS, labels: {app: steady, suite: e2e}}
spec:
  containers:
  - name: worker
    image: kmetrics-e2e/burner
    resources:
      requests: {cpu: 500m, memory: 64Mi}
      limits: {cpu: 500m, memory: 64Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: idle, namespace: $NS, labels: {app: idle, suite: e2e}}
spec:
  containers: [{name: app, image: kmetrics-e2e/idle}]
EOF
    kl_pod_start "$NS" busy "burner=0.5" &&
        kl_pod_start "$NS" steady "worker=0.2" &&
        kl_pod_start "$NS" idle ""
}

# What the figures must look like. A busy host gives a burner less than its duty cycle, so
# the reference is what each burner burned by its own clock (CLOCK_PROCESS_CPUTIME_ID, in
# its log) over the last metric window; served figures must be within TOL_PCT % of it (at
# least TOL_MIN: 400m-600m for a burner that got its 500m). Idle containers must stay under
# IDLE_HI. Millicores.
TOL_PCT=20 TOL_MIN=50 IDLE_HI=50 TOL=100
WINDOW_S=${METRIC_RESOLUTION%s}

# burned NS POD [CONTAINER]: millicores the pod's (or one container's) burners burned over
# the last WINDOW_S seconds, by their own account (0 for idle containers).
burned() {
    local st=$KL_STATE/pods/$1/$2 f v sum=0
    for f in "$st"/c.${3:-*}.burner.log; do
        [[ -s $f ]] || continue
        v=$(tail -c 64000 "$f" | od -An -v -t d8 -w16 | awk -v w="$WINDOW_S" '
            NF == 2 { t[++n] = $1; c[n] = $2 }
            END { if (n < 2) { print 0; exit }
                  for (i = 1; i < n && t[n] - t[i] > w * 1e9; i++) ;
                  if (i == n) i = 1
                  printf "%d\n", (c[n] - c[i]) / (t[n] - t[i]) * 1000 + 0.5 }')
        sum=$((sum + v))
    done
    echo "$sum"
}

# near ROWS KEY EXPECTED: in_range with EXPECTED +- max(TOL_MIN, TOL_PCT% of EXPECTED).
near() {
    local tol=$(($3 * TOL_PCT / 100)) lo
    ((tol < TOL_MIN)) && tol=$TOL_MIN
    lo=$(($3 - tol))
    ((lo < 0)) && lo=0
    in_range "$1" "$2" "$lo" $(($3 + tol))
}

# val ROWS KEY: KEY's millicores in ROWS, or "?".
val() {
    awk -v k="$2" '$1 == k { print $2; f = 1; exit } END { if (!f) print "?" }' <<<"$1"
}

# The reference figures, refreshed before each query.
refresh_expected() {
    E_BUSY=$(burned "$NS" busy burner)
    E_STEADY=$(burned "$NS" steady worker)
}

# --- checks: availability, raw API ----------------------------------------------------------

apiservice_available() {
    [[ $(K get apiservice "$1" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}') == True ]]
}

check_apiservices() {
    local v
    for v in v1beta1 v1; do
        if wait_for 60 apiservice_available "$v.metrics.k8s.io"; then
            pass "APIService $v.metrics.k8s.io Available"
        else
            fail "APIService $v.metrics.k8s.io Available" "not Available within 60 s" \
                "$(K get apiservice "$v.metrics.k8s.io" -o jsonpath='{.status.conditions}' 2>&1)"
        fi
    done
    rm -rf "$KUBECACHEDIR" # discovery cached before the group existed
}

all_pods_served() {
    local j
    j=$(K get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$NS/pods") || return 1
    [[ $(jq '[.items[].metadata.name] | sort == ["busy", "idle", "steady"]' <<<"$j") == true ]]
}

check_served() {
    local t0=$SECONDS
    if wait_for 60 all_pods_served; then
        pass "metrics of the 3 test pods served through the kube-apiserver ($((SECONDS - t0)) s after the pods started)"
    else
        fail "metrics of the 3 test pods served" "not within 60 s" \
            "$(K get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$NS/pods" 2>&1)"
    fi
    # One ship interval more, so that every pod's rate covers more than its first samples.
    sleep "${SHIP_INTERVAL%s}"
}

check_raw() {
    local j why v
    for v in v1beta1 v1; do
        j=$(K get --raw "/apis/metrics.k8s.io/$v/namespaces/$NS/pods/busy" 2>&1) || j=""
        why=$(jq -r --arg v "metrics.k8s.io/$v" '
            if .kind != "PodMetrics" then "kind \(.kind)"
            elif .apiVersion != $v then "apiVersion \(.apiVersion)"
            elif ([.containers[].name] | sort) != ["burner", "sidecar"]
              then "containers \([.containers[].name])"
            elif (.window | test("^[0-9.]+(s|ms)$|m")) | not then "window \(.window)"
            else empty end' <<<"$j" 2>&1) || why="not JSON"
        if [[ -z $why ]]; then
            pass "GET $v podmetrics $NS/busy: containers burner+sidecar (no sandbox), window $(jq -r .window <<<"$j")"
        else
            fail "GET $v podmetrics $NS/busy" "$why" "$j"
        fi
        j=$(K get --raw "/apis/metrics.k8s.io/$v/nodes" 2>&1) || j=""
        if jq -e --arg n "$NODE" --arg v "metrics.k8s.io/$v" \
            '.kind == "NodeMetricsList" and .apiVersion == $v and any(.items[]; .metadata.name == $n)' \
            <<<"$j" >/dev/null 2>&1; then
            pass "LIST $v nodemetrics: $NODE listed"
        else
            fail "LIST $v nodemetrics" "$NODE not listed" "$j"
        fi
    done
    j=$(K get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$NS/pods/no-such-pod" 2>&1) && j=""
    if grep -q 'NotFound\|not found' <<<"$j"; then
        pass "GET an unknown pod's metrics: NotFound through the kube-apiserver"
    else
        fail "GET an unknown pod's metrics" "expected NotFound" "$j"
    fi
}

# custom.metrics.k8s.io through the kube-apiserver: both APIServices Available, discovery
# never empty, the test pods' signals as a MetricValueList in JSON (kubectl get --raw) and
# protobuf (as the HPA asks), NotFound for an unknown metric, the HPA's ServiceAccount
# allowed and a user without rights refused.
check_custom_metrics() {
    local v j why code cm=/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS
    for v in v1beta2 v1beta1; do
        if wait_for 60 apiservice_available "$v.custom.metrics.k8s.io"; then
            pass "APIService $v.custom.metrics.k8s.io Available"
        else
            fail "APIService $v.custom.metrics.k8s.io Available" "not Available within 60 s" \
                "$(K get apiservice "$v.custom.metrics.k8s.io" -o jsonpath='{.status.conditions}' 2>&1)"
        fi
    done
    rm -rf "$KUBECACHEDIR"
    j=$(K get --raw /apis/custom.metrics.k8s.io/v1beta2 2>&1) || j=""
    if jq -e '.kind == "APIResourceList" and (.resources | length > 0) and
        any(.resources[]; .name == "pods/runqueue_waits_per_second" and .kind == "MetricValueList")' \
        <<<"$j" >/dev/null 2>&1; then
        pass "custom.metrics.k8s.io/v1beta2 discovery: $(jq '.resources | length' <<<"$j") resources, pods/<metric> among them"
    else
        fail "custom.metrics.k8s.io/v1beta2 discovery" "no pods/<metric> resources" "$j"
    fi
    # Every signal window is one ship interval: wait for two reads.
    sleep "${SHIP_INTERVAL%s}"
    j=$(K get --raw "$cm/pods/%2A/runqueue_waits_per_second?labelSelector=suite%3De2e" 2>&1) || j=""
    why=$(jq -r '
        if .kind != "MetricValueList" then "kind \(.kind)"
        elif .apiVersion != "custom.metrics.k8s.io/v1beta2" then "apiVersion \(.apiVersion)"
        elif ([.items[].describedObject.name] | sort) != ["busy", "idle", "steady"]
          then "pods \([.items[].describedObject.name])"
        elif any(.items[]; .describedObject.kind != "Pod" or .metric.name != "runqueue_waits_per_second"
                 or (.windowSeconds | type) != "number")
          then "item fields"
        else empty end' <<<"$j" 2>&1) || why="not JSON"
    if [[ -z $why ]]; then
        pass "GET pods/*/runqueue_waits_per_second: busy, idle, steady ($(jq -r '[.items[] | "\(.describedObject.name)=\(.value)"] | join(" ")' <<<"$j") per second over $(jq -r '.items[0].windowSeconds' <<<"$j") s)"
    else
        fail "GET pods/*/runqueue_waits_per_second" "$why" "$j"
    fi
    j=$(K get --raw "$cm/pods/%2A/runqueue_waits_per_second?labelSelector=app%3Dbusy" 2>&1) || j=""
    if [[ $(jq -c '[.items[].describedObject.name]' <<<"$j" 2>/dev/null) == '["busy"]' ]]; then
        pass "labelSelector app=busy: only busy"
    else
        fail "labelSelector app=busy" "not only busy" "$j"
    fi
    code=$(curl -sS --max-time 10 -o "$E2E_DIR/cm.pb" -w '%{http_code}' --cacert "$E2E_PKI/ca.crt" \
        --cert "$E2E_PKI/admin.crt" --key "$E2E_PKI/admin.key" \
        -H 'Accept: application/vnd.kubernetes.protobuf, */*' \
        "$APISERVER$cm/pods/%2A/runqueue_latency_p99_seconds" 2>/dev/null) || true
    j=$(tail -c +5 "$E2E_DIR/cm.pb" | protoc --decode_raw 2>&1) || j="(protoc failed) $j"
    if [[ $code == 200 && $(head -c 4 "$E2E_DIR/cm.pb" | od -An -c | tr -d ' ') == 'k8s\0' ]] &&
        grep -q '"MetricValueList"' <<<"$j" && grep -q '"runqueue_latency_p99_seconds"' <<<"$j" &&
        grep -q '"busy"' <<<"$j"; then
        pass "protobuf MetricValueList through the kube-apiserver (the HPA's Accept)"
    else
        fail "protobuf MetricValueList through the kube-apiserver" "HTTP $code" "$j"
    fi
    j=$(K get --raw "$cm/pods/%2A/no_such_metric" 2>&1) && j=""
    if grep -q 'NotFound\|not found\|could not find' <<<"$j"; then
        pass "unknown custom metric: NotFound"
    else
        fail "unknown custom metric" "expected NotFound" "$j"
    fi
    j=$(K --as=system:serviceaccount:kube-system:horizontal-pod-autoscaler get --raw \
        "$cm/pods/%2A/runqueue_waits_per_second?labelSelector=app%3Dsteady" 2>&1) || j="(failed) $j"
    if [[ $(jq -c '[.items[].describedObject.name]' <<<"$j" 2>/dev/null) == '["steady"]' ]]; then
        pass "as the HPA's ServiceAccount: allowed (kube-apiserver, then the aggregator's own check in $AGG_MODE mode)"
    else
        fail "as the HPA's ServiceAccount" "not allowed" "$j"
    fi
    j=$(K --as=nobody get --raw "$cm/pods/%2A/runqueue_waits_per_second" 2>&1) && j="(succeeded) $j"
    if grep -qi forbidden <<<"$j"; then
        pass "as a user without rights: Forbidden"
    else
        fail "custom metrics as a user without rights" "expected Forbidden" "$j"
    fi
}

# The kube-apiserver fetches each APIService's /openapi/v2 (as user system:aggregator, with
# no groups of its own) and merges it into its own: kubectl explain needs it.
openapi_merged() {
    K get --raw /openapi/v2 | jq -e '[.definitions | keys[] |
        select(startswith("io.k8s.metrics.pkg.apis.metrics."))] | length > 0' >/dev/null
}

check_openapi() {
    if wait_for 30 openapi_merged; then
        pass "kube-apiserver merged the aggregator's OpenAPI (metrics.k8s.io definitions in /openapi/v2)"
    else
        fail "kube-apiserver merged the aggregator's OpenAPI" \
            "no io.k8s.metrics.pkg.apis.metrics.* definitions in its /openapi/v2 after 30 s" \
            "$(grep 'OpenAPI spec for "v1beta1.metrics.k8s.io"' "$E2E_DIR/kube-apiserver.log" | tail -2)"
    fi
}

# --- checks: the kubectl matrix -------------------------------------------------------------

# kubectl_checks KUBECTL LABEL: every query, with protobuf (default) and JSON.
kubectl_checks() {
    local kb=$1 label=$2 protos=(default) proto pargs out rows why nodemin
    if timeout 10 "$kb" top pod --help 2>/dev/null | grep -q -- --use-protocol-buffers; then
        protos=(protobuf json)
    fi
    for proto in "${protos[@]}"; do
        pargs=()
        [[ $proto == json ]] && pargs=(--use-protocol-buffers=false)

        refresh_expected
        nodemin=$((E_BUSY + E_STEADY - TOL))
        out=$(timeout 30 "$kb" top node "${pargs[@]}" 2>&1) || true
        rows=$(rows "$out")
        why=$(in_range "$rows" "$NODE" $nodemin $(($(nproc) * 1000 + TOL)))
        verdict "$label top node ($proto): $NODE $(val "$rows" "$NODE")m, at least its pods' $((E_BUSY + E_STEADY))m" "$why" "$out"

        refresh_expected
        out=$(timeout 30 "$kb" top pod -A "${pargs[@]}" 2>&1) || true
        rows=$(rows "$out")
        why=$(near "$rows" busy "$E_BUSY"; near "$rows" steady "$E_STEADY"
            in_range "$rows" idle 0 $IDLE_HI)
        verdict "$label top pod -A ($proto): busy $(val "$rows" busy)m (burner ${E_BUSY}m), steady $(val "$rows" steady)m (${E_STEADY}m), idle $(val "$rows" idle)m" "$why" "$out"

        refresh_expected
        out=$(timeout 30 "$kb" top pod -n "$NS" --containers "${pargs[@]}" 2>&1) || true
        rows=$(rows "$out")
        why=$(near "$rows" busy/burner "$E_BUSY"
            in_range "$rows" busy/sidecar 0 $IDLE_HI
            near "$rows" steady/worker "$E_STEADY"
            in_range "$rows" idle/app 0 $IDLE_HI
            n=$(grep -c . <<<"$rows")
            ((n == 4)) || echo "$n container rows, expected 4 (no sandbox)")
        verdict "$label top pod -n $NS --containers ($proto): 4 containers, busy/burner $(val "$rows" busy/burner)m (${E_BUSY}m), sidecar $(val "$rows" busy/sidecar)m" "$why" "$out"

        refresh_expected
        out=$(timeout 30 "$kb" top pod -n "$NS" -l app=busy "${pargs[@]}" 2>&1) || true
        rows=$(rows "$out")
        why=$(near "$rows" busy "$E_BUSY"
            [[ $(awk '{print $1}' <<<"$rows" | tr '\n' ' ') == "busy " ]] ||
                echo "rows: $(awk '{print $1}' <<<"$rows" | tr '\n' ' ')")
        verdict "$label top pod -l app=busy ($proto): only busy" "$why" "$out"

        out=$(timeout 30 "$kb" top pod -n "$NS" --sort-by=cpu "${pargs[@]}" 2>&1) || true
        rows=$(rows "$out")
        why=$([[ $(awk '{print $1}' <<<"$rows" | tr '\n' ' ') == "busy steady idle " ]] ||
            echo "order: $(awk '{print $1}' <<<"$rows" | tr '\n' ' '), expected busy steady idle")
        verdict "$label top pod --sort-by=cpu ($proto): busy, steady, idle" "$why" "$out"
    done

    refresh_expected
    out=$(timeout 30 "$kb" get podmetrics -A 2>&1) || true
    rows=$(rows "$out")
    why=$(near "$rows" busy "$E_BUSY"; near "$rows" steady "$E_STEADY"
        in_range "$rows" idle 0 $IDLE_HI)
    verdict "$label get podmetrics -A (Table): busy $(val "$rows" busy)m (${E_BUSY}m)" "$why" "$out"

    refresh_expected
    out=$(timeout 30 "$kb" get nodemetrics 2>&1) || true
    rows=$(rows "$out")
    why=$(in_range "$rows" "$NODE" $((E_BUSY + E_STEADY - TOL)) $(($(nproc) * 1000 + TOL)))
    verdict "$label get nodemetrics (Table)" "$why" "$out"
}

verdict() {
    local why
    why=$(tr '\n' ';' <<<"$2" | sed 's/;$//')
    if grep -q 'metrics not available yet' <<<"$3"; then
        why="$why (kubectl found no metrics: the aggregator answered an empty list)"
    fi
    if [[ -z $2 ]]; then pass "$1"; else fail "$1" "$why" "$3"; fi
}

check_kubectls() {
    local kb v
    [[ -n $kubectl_note ]] && info "$kubectl_note"
    refresh_expected
    info "burners by their own clocks over ${WINDOW_S}s: busy/burner ${E_BUSY}m (duty 500m), steady/worker ${E_STEADY}m (duty 200m); served figures must be within ${TOL_PCT}% (at least ${TOL_MIN}m) of theirs"
    if ((E_BUSY < 400)); then
        info "this host is busy: the 500m burner got only ${E_BUSY}m of CPU"
    fi
    for kb in "${KUBECTLS[@]}"; do
        if [[ ! -x $kb ]]; then
            fail "kubectl $kb" "not found"
            continue
        fi
        v=$(timeout 10 "$kb" version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion) || v="?"
        kubectl_checks "$kb" "kubectl $v"
    done
    # v1 through kubectl (clients up to 1.33 pick v1beta1 themselves).
    refresh_expected
    out=$(K get podmetrics.v1.metrics.k8s.io -n "$NS" 2>&1) || true
    rows=$(rows "$out")
    verdict "kubectl get podmetrics.v1.metrics.k8s.io (v1 Table)" \
        "$(near "$rows" busy "$E_BUSY")" "$out"
}

# --- checks: authentication and authorization -------------------------------------------------

# http_code ARGS...: the HTTP status of a request to the aggregator ("000": no answer), body
# in $E2E_DIR/last-body.
http_code() {
    agg_curl -o "$E2E_DIR/last-body" -w '%{http_code}' "$@" 2>/dev/null || true
}

# Through the kube-apiserver: a user without RBAC rights on metrics.k8s.io is refused with a
# Forbidden Status. Independent of the aggregator's mode (the kube-apiserver authorizes the
# request before proxying it), so it always runs.
check_forbidden_via_apiserver() {
    local out code
    out=$(K --as=nobody top pod -A 2>&1) && out="(succeeded) $out"
    if grep -qi forbidden <<<"$out"; then
        pass "kubectl --as=nobody top pod -A: Forbidden"
    else
        fail "kubectl --as=nobody top pod -A" "expected Forbidden" "$out"
    fi
    code=$(curl -sS --max-time 10 -o "$E2E_DIR/last-body" -w '%{http_code}' \
        --cacert "$E2E_PKI/ca.crt" --cert "$AGG_CA/nobody.crt" --key "$AGG_CA/nobody.key" \
        "$APISERVER/apis/metrics.k8s.io/v1beta1/pods" 2>/dev/null) || true
    if [[ $code == 403 ]] && jq -e '.kind == "Status" and .reason == "Forbidden"' \
        "$E2E_DIR/last-body" >/dev/null 2>&1; then
        pass "client certificate CN=nobody through the kube-apiserver: 403 Forbidden Status"
    else
        fail "client certificate CN=nobody through the kube-apiserver" "HTTP $code" \
            "$(cat "$E2E_DIR/last-body")"
    fi
}

# expect_code DESCRIPTION ALLOWED-CODES CURL-ARGS...: the aggregator must answer one of them
# (space-separated), with a metav1.Status body when it refuses.
expect_code() {
    local what=$1 allowed=" $2 " code body
    shift 2
    code=$(http_code "$@")
    body=$(head -c 2000 "$E2E_DIR/last-body" 2>/dev/null)
    if [[ $allowed != *" $code "* ]]; then
        fail "$what" "HTTP $code, expected one of$allowed" "$body"
    elif ((code >= 400)) && ! jq -e '.kind == "Status"' <<<"$body" >/dev/null 2>&1; then
        fail "$what" "HTTP $code without a metav1.Status body" "$body"
    else
        pass "$what: HTTP $code"
    fi
}

check_auth() {
    local url=https://127.0.0.1:$AGGREGATOR_PORT api=/apis/metrics.k8s.io/v1beta1/pods
    local t_other t_aud pid log seen

    expect_code "aggregator: anonymous request" "401" "$url$api"
    expect_code "aggregator: client certificate CN=nobody (cluster CA), no RBAC rights" "403" \
        --cert "$AGG_CA/nobody.crt" --key "$AGG_CA/nobody.key" "$url$api"
    # Every authenticated user is in system:authenticated, which system:discovery lets read
    # discovery and OpenAPI, though no header or certificate names that group.
    expect_code "aggregator: client certificate CN=nobody reads discovery (system:authenticated implied)" \
        "200" --cert "$AGG_CA/nobody.crt" --key "$AGG_CA/nobody.key" "$url/apis/metrics.k8s.io/v1beta1"
    expect_code "aggregator: front proxy user system:aggregator, no groups, reads /openapi/v2 (system:authenticated implied)" \
        "200" --cert "$E2E_PKI/front-proxy-client.crt" --key "$E2E_PKI/front-proxy-client.key" \
        -H "X-Remote-User: system:aggregator" "$url/openapi/v2"
    expect_code "aggregator: cluster-admin client certificate" "200" \
        --cert "$E2E_PKI/admin.crt" --key "$E2E_PKI/admin.key" "$url$api"
    expect_code "aggregator: X-Remote-User system:admin from a self-signed 'front-proxy-client' certificate" \
        "401 403" --cert "$AGG_CA/forger.crt" --key "$AGG_CA/forger.key" \
        -H "X-Remote-User: system:admin" -H "X-Remote-Group: system:masters" "$url$api"
    expect_code "aggregator: X-Remote-User system:admin from a cluster-CA (not front-proxy-CA) 'front-proxy-client' certificate" \
        "401 403" --cert "$AGG_CA/front-proxy-cluster-ca.crt" --key "$AGG_CA/front-proxy-cluster-ca.key" \
        -H "X-Remote-User: system:admin" -H "X-Remote-Group: system:masters" "$url$api"
    expect_code "aggregator: X-Remote-User nobody from the real front proxy" "403" \
        --cert "$E2E_PKI/front-proxy-client.crt" --key "$E2E_PKI/front-proxy-client.key" \
        -H "X-Remote-User: nobody" "$url$api"
    expect_code "aggregator: X-Remote-Group system:masters from the real front proxy" "200" \
        --cert "$E2E_PKI/front-proxy-client.crt" --key "$E2E_PKI/front-proxy-client.key" \
        -H "X-Remote-User: kmetrics-e2e-admin" -H "X-Remote-Group: system:masters" "$url$api"

    # Shipments. The body is junk on purpose: refused identities get 401/403 before the body
    # is read; an accepted identity would get 400 (malformed).
    t_other=$(K create token default -n "$NS" --audience=kmetrics --duration=1h)
    t_aud=$(K create token kmetrics-collector -n kube-system --duration=1h \
        --bound-object-kind=Pod --bound-object-name=kmetrics-collector-e2e)
    local ship=(-X POST -H "Content-Type: application/vnd.kmetrics.shipment.v2" --data-binary junk)
    expect_code "shipment with another ServiceAccount's token (audience kmetrics)" "401 403" \
        "${ship[@]}" -H "Authorization: Bearer $t_other" "$url/ship"
    expect_code "shipment with the collector's token for the wrong audience" "401 403" \
        "${ship[@]}" -H "Authorization: Bearer $t_aud" "$url/ship"
    expect_code "shipment with the cluster-admin client certificate and no token" "401 403" \
        "${ship[@]}" --cert "$E2E_PKI/admin.crt" --key "$E2E_PKI/admin.key" "$url/ship"
    expect_code "shipment with the collector's own token (control: accepted, junk body refused)" "400" \
        "${ship[@]}" -H "Authorization: Bearer $(cat "$E2E_DIR/ship-token")" "$url/ship"

    # A collector token bound to a pod on another node must not ship for this node: a second
    # collector claims $NODE with such a token, from a cgroup tree holding pod "intruder".
    collector_pod kmetrics-collector-other kmetrics-e2e-node-2
    K create token kmetrics-collector -n kube-system --audience=kmetrics --duration=1h \
        --bound-object-kind=Pod --bound-object-name=kmetrics-collector-other >"$E2E_DIR/other-token"
    intruder_tree
    log=$E2E_DIR/collector-intruder.log
    pid=$(start_collector "$log" "$NODE" "$CG_TOP/intruder" "$E2E_DIR/intruder-runtime" \
        "$E2E_DIR/other-token")
    pids+=("$pid")
    seen=0
    for _ in $(seq $((3 * ${SHIP_INTERVAL%s} + 4))); do
        K get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$NS/pods/intruder" >/dev/null 2>&1 &&
            seen=1
        sleep 1
    done
    kill "$pid" 2>/dev/null || true
    if ((seen)); then
        fail "collector token bound to a pod on kmetrics-e2e-node-2 ships for $NODE" \
            "its pod 'intruder' was served" "$(tail -5 "$log")"
    elif grep -q 'refuses our credentials (401)\|rejected a shipment (403)' "$log"; then
        pass "collector token bound to a pod on kmetrics-e2e-node-2 cannot ship for $NODE ($(grep -o 'refuses our credentials (401)\|rejected a shipment (403)' "$log" | head -1))"
    else
        fail "collector token bound to a pod on kmetrics-e2e-node-2 cannot ship for $NODE" \
            "no 401/403 in its log" "$(tail -5 "$log")"
    fi
}

# A cgroup tree for the impostor collector: one pod, "intruder", with an idle container.
intruder_tree() {
    local uid=00000000-0000-4000-8000-00000000e2e0 id d
    id=$(kl_hex64)
    d=$CG_TOP/intruder/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice/cri-containerd-$id.scope
    KL_RUNTIME_DIR=$E2E_DIR/intruder-runtime kl_bundle "$id" "$id" "$uid" "$NS" intruder app \
        container "kubepods-besteffort-pod${uid//-/_}.slice" kmetrics-e2e/idle
    mkdir -p "$d"
    kl_proc_start "$d" 0 /dev/null >/dev/null
}

# --- checks: the HPA ------------------------------------------------------------------------

hpa_state() {
    local d h
    d=$(K get deploy php-apache -n "$HPA_NS" -o json 2>/dev/null) || return 1
    h=$(kl_api GET "/apis/autoscaling/v2beta2/namespaces/$HPA_NS/horizontalpodautoscalers/php-apache" 2>/dev/null) ||
        return 1
    printf 'replicas=%s ready=%s hpa: cpu=%s%% desired=%s' \
        "$(jq -r .spec.replicas <<<"$d")" "$(jq -r '.status.readyReplicas // 0' <<<"$d")" \
        "$(jq -r '.status.currentMetrics[0].resource.current.averageUtilization //
                   .status.currentCPUUtilizationPercentage // "?"' <<<"$h")" \
        "$(jq -r '.status.desiredReplicas // "?"' <<<"$h")"
}

# hpa_watch SECONDS TEST: polls every 2 s, printing the timeline; true once TEST (a jq
# expression on the Deployment) holds.
hpa_watch() {
    local limit=$1 test=$2 t0=$SECONDS s
    while ((SECONDS - t0 < limit)); do
        s=$(hpa_state) || s="(not readable)"
        if [[ $s != "$hpa_last" ]]; then
            info "  t+$((SECONDS - hpa_t0))s $s"
            hpa_last=$s
        fi
        K get deploy php-apache -n "$HPA_NS" -o json 2>/dev/null | jq -e "$test" >/dev/null && return 0
        sleep 2
    done
    return 1
}

one_hpa_pod_left() {
    local n
    n=$(find "$KL_STATE/pods/$HPA_NS" -mindepth 1 -maxdepth 1 -type d | wc -l)
    ((n == 1)) || return 1
    n=$(find "$KL_CGROUP_BASE/kubepods.slice" -name 'kubepods-*-pod*.slice' | wc -l)
    ((n == 1)) || return 1
    [[ $(K get pods -n "$HPA_NS" -o name | wc -l) == 1 ]]
}

check_hpa() {
    local t_up
    info "HPA (php-apache walkthrough): Deployment with cpu request 100m, autoscaling/v2beta2 target 50%, 1..5; each pod burns $HPA_POD_LOAD core while the load is on"
    # Free the CPU the matrix pods used.
    for p in busy steady idle; do kl_pod_stop "$NS" "$p"; done
    K create namespace "$HPA_NS" >/dev/null
    kl_loop_start "$HPA_NS" app=php-apache "$HPA_POD_LOAD"
    K apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache, namespace: $HPA_NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: php-apache}}
  template:
    metadata: {labels: {app: php-apache}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        resources: {requests: {cpu: 100m}, limits: {cpu: 500m}}
---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: php-apache, namespace: $HPA_NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: php-apache}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
EOF
    hpa_t0=$SECONDS
    hpa_last=""
    info "HPA timeline (load on):"
    if hpa_watch 120 '.spec.replicas > 1'; then
        t_up=$((SECONDS - hpa_t0))
        pass "HPA scales up under load (above 1 replica after ${t_up} s)"
        if hpa_watch 60 '.spec.replicas == 5 and .status.readyReplicas == 5'; then
            pass "HPA reaches maxReplicas 5, all ready ($((SECONDS - hpa_t0)) s)"
        else
            fail "HPA reaches maxReplicas 5" "not within 60 s more" "$(K describe hpa php-apache -n "$HPA_NS" 2>&1 | tail -15)"
        fi
    else
        fail "HPA scales up under load" "still 1 replica after 120 s" \
            "$(K describe hpa php-apache -n "$HPA_NS" 2>&1 | tail -15)"
        info "skip - HPA scale-down (it never scaled up)"
        return
    fi
    kl_loop_set_load 0
    info "HPA timeline (load off at t+$((SECONDS - hpa_t0))s):"
    local t_off=$SECONDS
    if hpa_watch 150 '.spec.replicas == 1 and .status.replicas == 1'; then
        pass "HPA scales back to 1 without load ($((SECONDS - t_off)) s after the load stopped)"
    else
        fail "HPA scales back to 1" "not within 150 s" "$(K describe hpa php-apache -n "$HPA_NS" 2>&1 | tail -15)"
    fi
    if wait_for 20 one_hpa_pod_left; then
        pass "kubelet loop: scaled-down pods deleted, their processes and cgroups gone"
    else
        fail "kubelet loop: scaled-down pods torn down" "not within 20 s" \
            "$(ls "$KL_STATE/pods/$HPA_NS"; K get pods -n "$HPA_NS" 2>&1; tail -5 "$KL_STATE/kubelet.log")"
    fi
    kl_loop_stop
}

# --- the suite ------------------------------------------------------------------------------

info "kmetrics e2e: aggregator mode $AGG_MODE, ports etcd $ETCD_PORT apiserver $APISERVER_PORT aggregator $AGGREGATOR_PORT, metric resolution $METRIC_RESOLUTION, ship interval $SHIP_INTERVAL"
start_cluster
pass "control plane up ($(elapsed) s)"
aggregator_pki
mkdir -p "$KL_STATE"
kl_node_create "$(nproc)" "$(awk '/^MemTotal:/ { print $2 "Ki" }' /proc/meminfo)"
pass "node $NODE Ready"
if [[ $AGG_MODE == kubernetes ]]; then
    kubernetes_identities || exit 1
    pass "ServiceAccounts, deploy/ RBAC and bound collector token (kubectl create token) in place"
fi
register_apiservices
start_aggregator
COL_PID=$(start_collector "$E2E_DIR/collector.log" "$NODE" "$KL_CGROUP_BASE" "$KL_RUNTIME_DIR" \
    "$E2E_DIR/ship-token")
pids+=("$COL_PID")
create_pods
pass "test pods bound, in kubepods cgroups with their loads, Running"
check_apiservices
check_served
check_raw
check_openapi
check_custom_metrics
check_kubectls
check_forbidden_via_apiserver
if [[ $E2E_AUTH == 1 ]]; then
    check_auth
else
    info "skip - authentication/authorization checks of the aggregator itself (E2E_AUTH=0: standalone mode)"
fi
info "skip - memory: this host's cgroup v2 has no memory controller (memory.current absent), so pods read 0 memory and memory-based HPA cannot be measured here; the VM tests cover it"
if [[ $E2E_HPA == 1 ]]; then
    check_hpa
else
    info "skip - HPA (E2E_HPA=0)"
fi
