#!/usr/bin/env bash
# A real control plane on loopback for the end-to-end tests: etcd, kube-apiserver and
# kube-controller-manager 1.20.2 with generated PKI, the front-proxy (aggregation layer)
# flags and ServiceAccount token signing. No kubelet: tests play it themselves.
#
#   cluster.sh up DIR      start (idempotent: reuses a healthy one), write DIR/env
#   cluster.sh down DIR    stop everything started from DIR
#   cluster.sh binaries DIR   only make sure every binary (kubelet included) is in the cache
# KMETRICS_REAL_NODES=1 is for clusters with real kubelets (vmtests/realnode/): it starts
# kube-scheduler and the controllers that run nodes and DaemonSets too;
# KMETRICS_APISERVER_SANS adds names to the API server's certificate (e.g. the address a VM
# reaches it at).
#   cluster.sh stop-apiserver DIR / start-apiserver DIR   (outage tests)
#   cluster.sh node-certs DIR NODE IP   a real kubelet's certificates, from the cluster CA:
#       DIR/pki/node-NODE.{crt,key} (client: system:node:NODE in system:nodes) and
#       DIR/pki/node-NODE-serving.{crt,key} (its HTTPS server, for IP and NODE)
#
# DIR/env holds KUBECONFIG (cluster-admin), APISERVER (URL) and the PKI paths.
# Binaries: $KMETRICS_K8S_BIN_DIR if set, else a cache in build/k8s unpacked from the
# prebuilt ../shared/k8s/v1.20.2 next to the repository, else built with its build.sh.
set -euo pipefail

cmd=${1:?usage: cluster.sh up|down|stop-apiserver|start-apiserver DIR}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
: "${ETCD_PORT:=23790}" "${APISERVER_PORT:=16443}"

log() { echo "cluster: $*" >&2; }

find_binaries() {
    if [[ -n ${KMETRICS_K8S_BIN_DIR:-} ]]; then
        bin=$KMETRICS_K8S_BIN_DIR
        return
    fi
    bin=$repo/build/k8s
    local shared=$repo/../shared/k8s
    mkdir -p "$bin"
    for b in ${K8S_BINARIES:-kube-apiserver kube-controller-manager kube-scheduler}; do
        [[ -x $bin/$b ]] && continue
        if [[ -f $shared/v1.20.2/$b.xz ]]; then
            log "unpacking $b"
            xz -dc "$shared/v1.20.2/$b.xz" >"$bin/$b.tmp" && chmod +x "$bin/$b.tmp" &&
                mv "$bin/$b.tmp" "$bin/$b"
        elif [[ -x $shared/build.sh ]]; then
            log "no prebuilt $b: building 1.20.2 from source (about 12 minutes)"
            "$shared/build.sh" "$bin" "$b"
        else
            log "no kube-apiserver 1.20.2: set KMETRICS_K8S_BIN_DIR"
            exit 1
        fi
    done
}

# cert NAME CN [O] [SANs] [CA-NAME]: key + certificate signed by CA-NAME (default ca).
cert() {
    local name=$1 cn=$2 org=${3:-} sans=${4:-} ca=${5:-ca} subj ext
    [[ -f $dir/pki/$name.crt ]] && return
    subj="/CN=$cn"
    [[ -n $org ]] && subj="/O=$org$subj"
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/pki/$name.key" 2>/dev/null
    openssl req -new -key "$dir/pki/$name.key" -subj "$subj" -out "$dir/pki/$name.csr" 2>/dev/null
    ext=$dir/pki/$name.ext
    if [[ -n $sans ]]; then
        printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" >"$ext"
    else
        printf 'extendedKeyUsage=clientAuth\n' >"$ext"
    fi
    openssl x509 -req -in "$dir/pki/$name.csr" -CA "$dir/pki/$ca.crt" -CAkey "$dir/pki/$ca.key" \
        -CAcreateserial -days 30 -extfile "$ext" -out "$dir/pki/$name.crt" 2>/dev/null
    rm -f "$dir/pki/$name.csr" "$ext"
}

ca() {
    local name=$1 cn=$2
    [[ -f $dir/pki/$name.crt ]] && return
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/pki/$name.key" 2>/dev/null
    openssl req -x509 -new -key "$dir/pki/$name.key" -subj "/CN=$cn" -days 30 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$dir/pki/$name.crt" 2>/dev/null
}

pki() {
    mkdir -p "$dir/pki"
    ca ca kmetrics-e2e-ca
    ca front-proxy-ca kmetrics-e2e-front-proxy-ca
    cert apiserver kube-apiserver "" \
        "DNS:localhost,IP:127.0.0.1,DNS:kubernetes.default.svc${KMETRICS_APISERVER_SANS:+,$KMETRICS_APISERVER_SANS}"
    cert admin kmetrics-e2e-admin system:masters
    cert controller-manager system:kube-controller-manager
    cert scheduler system:kube-scheduler
    cert front-proxy-client front-proxy-client "" "" front-proxy-ca
    if [[ ! -f $dir/pki/sa.key ]]; then
        openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
        openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
    fi
}

kubeconfig() {
    local path=$1 user=$2
    cat >"$path" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $dir/pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $dir/pki/$user.crt
    client-key: $dir/pki/$user.key
contexts:
- name: e2e
  context: {cluster: e2e, user: $user}
current-context: e2e
EOF
}

running() { [[ -f $dir/$1.pid ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

start() {
    local name=$1
    shift
    running "$name" && return
    setsid "$@" >"$dir/$name.log" 2>&1 </dev/null &
    echo $! >"$dir/$name.pid"
}

stop() {
    local name=$1
    running "$name" || { rm -f "$dir/$name.pid"; return 0; }
    kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
    for _ in $(seq 50); do running "$name" || break; sleep 0.1; done
    running "$name" && kill -9 "$(cat "$dir/$name.pid")" 2>/dev/null
    rm -f "$dir/$name.pid"
}

wait_healthy() {
    for _ in $(seq 120); do
        if curl -sf --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
            --key "$dir/pki/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null; then
            return 0
        fi
        if ! running kube-apiserver; then
            log "kube-apiserver exited:"
            tail -20 "$dir/kube-apiserver.log" >&2
            return 1
        fi
        sleep 0.5
    done
    log "kube-apiserver not ready after 60 s"
    tail -20 "$dir/kube-apiserver.log" >&2
    return 1
}

start_apiserver() {
    start kube-apiserver "$bin/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$APISERVER_PORT" --insecure-port=0 \
        --cert-dir="$dir/pki" \
        --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" \
        --client-ca-file="$dir/pki/ca.crt" \
        --service-account-key-file="$dir/pki/sa.pub" \
        --service-account-signing-key-file="$dir/pki/sa.key" \
        --service-account-issuer=https://kubernetes.default.svc \
        --api-audiences=https://kubernetes.default.svc \
        --authorization-mode=Node,RBAC \
        --requestheader-client-ca-file="$dir/pki/front-proxy-ca.crt" \
        --requestheader-allowed-names=front-proxy-client \
        --requestheader-username-headers=X-Remote-User \
        --requestheader-group-headers=X-Remote-Group \
        --requestheader-extra-headers-prefix=X-Remote-Extra- \
        --proxy-client-cert-file="$dir/pki/front-proxy-client.crt" \
        --proxy-client-key-file="$dir/pki/front-proxy-client.key" \
        --enable-aggregator-routing=false \
        --service-cluster-ip-range=10.96.0.0/16 \
        --allow-privileged=true \
        --profiling=false
}

up() {
    find_binaries
    command -v etcd >/dev/null || { log "etcd missing (Debian etcd-server)"; exit 1; }
    pki
    kubeconfig "$dir/admin.kubeconfig" admin
    kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
    kubeconfig "$dir/scheduler.kubeconfig" scheduler
    start etcd etcd --name e2e --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
        --initial-cluster "e2e=http://127.0.0.1:$((ETCD_PORT + 10))" \
        --unsafe-no-fsync
    start_apiserver
    wait_healthy
    local controllers=deployment,replicaset,horizontalpodautoscaling,serviceaccount,serviceaccount-token,garbagecollector,namespace
    [[ ${KMETRICS_REAL_NODES:-0} = 1 ]] && controllers+=,daemonset,nodelifecycle,podgc,endpoint
    start kube-controller-manager "$bin/kube-controller-manager" \
        --kubeconfig="$dir/controller-manager.kubeconfig" \
        --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
        --controllers="$controllers" \
        --service-account-private-key-file="$dir/pki/sa.key" \
        --root-ca-file="$dir/pki/ca.crt" \
        --horizontal-pod-autoscaler-sync-period=5s \
        --horizontal-pod-autoscaler-downscale-stabilization=15s \
        --horizontal-pod-autoscaler-initial-readiness-delay=5s \
        --horizontal-pod-autoscaler-cpu-initialization-period=10s \
        --use-service-account-credentials=true \
        --leader-elect=false --port=0 --secure-port=0
    if [[ ${KMETRICS_REAL_NODES:-0} = 1 ]]; then
        start kube-scheduler "$bin/kube-scheduler" \
            --kubeconfig="$dir/scheduler.kubeconfig" \
            --authentication-kubeconfig="$dir/scheduler.kubeconfig" \
            --authorization-kubeconfig="$dir/scheduler.kubeconfig" \
            --leader-elect=false --port=0 --secure-port=0
    fi
    cat >"$dir/env" <<EOF
export KUBECONFIG=$dir/admin.kubeconfig
export APISERVER=https://127.0.0.1:$APISERVER_PORT
export E2E_PKI=$dir/pki
export E2E_DIR=$dir
EOF
    log "control plane up: https://127.0.0.1:$APISERVER_PORT (source $dir/env)"
}

case $cmd in
up) up ;;
binaries) K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet" find_binaries ;;
down)
    stop kube-scheduler
    stop kube-controller-manager
    stop kube-apiserver
    stop etcd
    ;;
stop-apiserver) stop kube-apiserver ;;
node-certs)
    node=${3:?node-certs DIR NODE IP} ip=${4:?node-certs DIR NODE IP}
    cert "node-$node" "system:node:$node" system:nodes
    cert "node-$node-serving" "$node" "" "IP:$ip,DNS:$node"
    ;;
start-apiserver)
    find_binaries
    start_apiserver
    wait_healthy
    ;;
*)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
