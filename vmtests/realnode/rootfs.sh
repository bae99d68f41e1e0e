#!/usr/bin/env bash
# The real node's root file system: Debian bookworm (minbase) with systemd, containerd, runc
# and the CNI plugins from Debian's packages, the kubelet 1.20.2 of tests/e2e/cluster.sh's
# cache, the running 6.1 kernel's modules the node needs, and vmtests/realnode/guest/. One
# image serves both cgroup drivers: booted with /sbin/init it is a systemd node, with
# /realnode/init (busybox init) a plain one. Cached: rebuilt only when its inputs change.
#
#   vmtests/realnode/rootfs.sh OUT.img KVER
#
# Needs root (mmdebstrap's chroot), mmdebstrap, e2fsprogs, and the Debian archive the host's
# apt uses (its sources file is passed on; no mirror is named here).
set -euo pipefail
out=${1:?usage: rootfs.sh OUT.img KVER}
kver=${2:?KVER}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
log() { echo "realnode rootfs: $*" >&2; }

packages=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iproute2,kmod,busybox-static,procps
"$repo/tests/e2e/cluster.sh" binaries "$repo/build/e2e" >/dev/null
kubelet=${KMETRICS_K8S_BIN_DIR:-$repo/build/k8s}/kubelet
sources=
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [[ -s $f ]] && { sources=$f; break; }
done
[[ -n $sources ]] || { log "no apt sources on this host"; exit 1; }

key=$( { echo "$packages $kver"; sha256sum "$kubelet" | cut -d' ' -f1;
         (cd "$here" && tar -c --sort=name --mtime=@0 --owner=0 --group=0 rootfs.sh guest) | sha256sum; } |
       sha256sum | cut -d' ' -f1)
if [[ -f $out && $(cat "$out.key" 2>/dev/null) == "$key" ]]; then
    exit 0
fi
root=$out.d
rm -rf "$root" "$out" "$out.key"
log "building (Debian bookworm, $kver)"
mmdebstrap --quiet --variant=minbase --include="$packages" bookworm "$root" "$sources"

install -m 0755 "$kubelet" "$root/usr/local/bin/kubelet"
# Only the kernel's modules the node uses (file systems, networking, virtio), not its 400 MB.
mods=/lib/modules/$kver
mkdir -p "$root$mods/kernel/drivers"
cp -a "$mods"/modules.order "$mods"/modules.builtin* "$root$mods/"
for d in fs net lib crypto arch block drivers/net drivers/virtio drivers/block drivers/char; do
    mkdir -p "$(dirname "$root$mods/kernel/$d")"
    cp -a "$mods/kernel/$d" "$root$mods/kernel/$d"
done
depmod -b "$root" "$kver"

mkdir -p "$root/realnode" "$root/etc/cni/net.d" "$root/etc/containerd"
install -m 0755 "$here"/guest/boot.sh "$here"/guest/kubelet.sh "$here"/guest/ctl.sh "$root/realnode/"
ln -sf /bin/busybox "$root/realnode/init" # argv[0] "init": busybox init, reading /etc/inittab
install -m 0644 "$here/guest/inittab" "$root/etc/inittab"
install -m 0644 "$here/guest/10-bridge.conflist" "$root/etc/cni/net.d/"
for u in realnode-setup kubelet realnode-ctl; do
    install -m 0644 "$here/guest/$u.service" "$root/etc/systemd/system/"
    ln -sf "/etc/systemd/system/$u.service" "$root/etc/systemd/system/multi-user.target.wants/$u.service"
done
# Nothing in the way of the node's own services: no getty on a console nobody reads.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo realnode >"$root/etc/hostname"

# Room for images, container layers and logs: the disk is a throwaway overlay at run time.
size=$(( $(du -sm "$root" | cut -f1) + 1024 ))
mkfs.ext4 -q -L realnode -d "$root" "$out.tmp" "${size}M"
mv "$out.tmp" "$out"
rm -rf "$root"
echo "$key" >"$out.key"
log "built $(du -h --apparent-size "$out" | cut -f1) ($(du -h "$out" | cut -f1) on disk)"
