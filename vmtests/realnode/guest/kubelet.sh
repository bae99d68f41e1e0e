#!/bin/sh
# The kubelet, once containerd answers and the images the host staged are imported (without a
# registry, pods use imagePullPolicy IfNotPresent/Never). Its configuration is written here
# because the cgroup driver and the API server's port come from the host (/mnt/node.env).
set -u
. /mnt/node.env
sock=/run/containerd/containerd.sock
i=0
while ! ctr --address "$sock" version >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 120 ] && { echo "realnode: containerd does not answer"; sleep 5; exit 1; }
    sleep 0.5
done
mkdir -p /run/realnode /var/lib/kubelet
if [ ! -e /run/realnode/imported ]; then
    for t in /mnt/images/*.tar; do
        ctr --address "$sock" -n k8s.io images import --all-platforms "$t" >/dev/null ||
            echo "realnode: importing $t failed"
    done
    touch /run/realnode/imported
fi
cat >/run/realnode/kubelet.yaml <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: $DRIVER
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: /mnt/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
makeIPTablesUtilChains: false
failSwapOn: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
tlsCertFile: /mnt/pki/kubelet-serving.crt
tlsPrivateKeyFile: /mnt/pki/kubelet-serving.key
YAML
cat >/run/realnode/kubeconfig <<KC
apiVersion: v1
kind: Config
clusters:
- name: realnode
  cluster:
    server: https://kubernetes.default.svc:$APISERVER_PORT
    certificate-authority: /mnt/pki/ca.crt
users:
- name: kubelet
  user:
    client-certificate: /mnt/pki/kubelet.crt
    client-key: /mnt/pki/kubelet.key
contexts:
- name: realnode
  context: {cluster: realnode, user: kubelet}
current-context: realnode
KC
exec /usr/local/bin/kubelet --config=/run/realnode/kubelet.yaml \
    --kubeconfig=/run/realnode/kubeconfig \
    --container-runtime=remote --container-runtime-endpoint=unix://$sock \
    --node-ip=10.0.2.15 --hostname-override="$NODE_NAME" --v=1 \
    >>/mnt/logs/kubelet.log 2>&1
