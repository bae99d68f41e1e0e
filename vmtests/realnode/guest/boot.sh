#!/bin/sh
# Node setup before containerd starts, for both inits (busybox init's sysinit, or systemd's
# realnode-setup.service): the host's share, the node's name and the API server's address,
# containerd's cgroup driver, the kernel modules containers need. The initramfs already gave
# eth0 its address (10.0.2.15; 10.0.2.100 reaches the host's API server).
set -u
if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then
    # busybox init: mount what systemd would.
    mount -t proc proc /proc 2>/dev/null
    mount -t sysfs sysfs /sys 2>/dev/null
    mount -o remount,rw /
    mkdir -p /dev/pts /dev/shm
    mount -t devpts devpts /dev/pts
    mount -t tmpfs -o mode=1777 tmpfs /dev/shm
    mount -t tmpfs -o mode=755 tmpfs /run
    mount -t tmpfs -o mode=1777 tmpfs /tmp
    mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
    mount -t bpf bpf /sys/fs/bpf
    # The kubelet with the cgroupfs driver wants these controllers for its pods' cgroups.
    echo "+cpu +memory +io +pids +cpuset" >/sys/fs/cgroup/cgroup.subtree_control
    ip link set lo up
fi
mount --make-rshared /
mkdir -p /mnt
mountpoint -q /mnt || mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 hostshare /mnt
. /mnt/node.env
hostname "$NODE_NAME"
echo "$NODE_NAME" >/etc/hostname
cat >/etc/hosts <<HOSTS
127.0.0.1 localhost
10.0.2.15 $NODE_NAME
10.0.2.100 kubernetes.default.svc
HOSTS
for m in overlay bridge veth br_netfilter; do modprobe "$m" || echo "realnode: modprobe $m failed"; done
systemd_cgroup=false
[ "$DRIVER" = systemd ] && systemd_cgroup=true
mkdir -p /etc/containerd /mnt/logs
cat >/etc/containerd/config.toml <<TOML
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/library/kmetrics-pause:1"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = $systemd_cgroup
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
TOML
echo "realnode: $NODE_NAME set up ($DRIVER driver)"
