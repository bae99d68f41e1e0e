#!/bin/sh
# Standalone kmetrics on this machine, no cluster needed: the aggregator (self-signed TLS,
# tokens and a kubeconfig generated into the run directory) and the collector shipping to it.
# Ctrl-C stops both. Usage: scripts/run-standalone.sh [BUILD_DIR]
set -eu
build=${1:-build}
run=${RUN_DIR:-run}
port=${PORT:-4443}
interval=${SHIP_INTERVAL:-5s}

mkdir -p "$run"
chmod 700 "$run"
for t in ship-token read-token; do
    [ -s "$run/$t" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$run/$t")
done

"$build/kmetrics-aggregator" --bind-address=127.0.0.1 --secure-port="$port" \
    --cert-dir="$run/certs" --ship-token-file="$run/ship-token" \
    --read-token-file="$run/read-token" --write-kubeconfig="$run/kubeconfig" &
agg=$!
col=""
stop() {
    trap - INT TERM EXIT
    [ -n "$col" ] && kill "$col" 2>/dev/null
    kill "$agg" 2>/dev/null
    wait 2>/dev/null
    echo "kmetrics stopped."
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

i=0
until curl -sf --cacert "$run/certs/ca.crt" "https://127.0.0.1:$port/livez" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$agg" 2>/dev/null; then
        echo "the aggregator did not start" >&2
        exit 1
    fi
    sleep 0.1
done

"$build/kmetrics-collector" --aggregator="https://127.0.0.1:$port" \
    --ship-token-file="$run/ship-token" --aggregator-ca-file="$run/certs/ca.crt" \
    --ship-interval="$interval" &
col=$!

cat <<MSG

kmetrics is running: aggregator https://127.0.0.1:$port, collector shipping every $interval.
From another terminal (the first figures appear after one shipment):

    export KUBECONFIG=$(pwd)/$run/kubeconfig
    kubectl top node
    kubectl top pod -A
    kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes
    kubectl get nodemetrics
    kubectl get podmetrics -A
    curl --cacert $run/certs/ca.crt https://127.0.0.1:$port/metrics

Ctrl-C stops both.

MSG
wait "$agg"
