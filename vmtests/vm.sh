# shellcheck shell=bash
# vmtests/vm.sh: boot Debian's 6.1 kernel in qemu (TCG) with a busybox initramfs and a host
# directory shared over virtio-9p. Sourced by vmtests/run.sh and vmtests/multinode/.
#
#   vm_prepare WORKDIR                      initramfs (cached) + VM_KERNEL; once
#   vm_start NAME SHARE_DIR GUEST_CMD TIMEOUT_S [HOST_PORT]
#                                           boot in the background; console in WORKDIR/NAME.log
#   vm_wait NAME                            guest command's exit code; 124 timeout, 125 never
#   vm_silent NAME SECONDS                  true if its console stays empty that long
#                                           reported (console log printed on failure)
#   vm_kill NAME                            hard power-off (qemu killed)
#   vm_kill_all                             every VM this shell started (for traps)
#
# The guest: busybox sh as /init mounts proc, sysfs, devtmpfs, cgroup2 (/sys/fs/cgroup, every
# controller), bpffs, tracefs, loads the virtio/9p modules, mounts SHARE_DIR read-write at /mnt,
# runs GUEST_CMD with `sh -c` in /mnt, prints `VMTEST-EXIT <code>` and powers off. It exports
# VM_NAME (also its hostname) and, with HOST_PORT, VM_HOST_ADDR=10.0.2.100 and VM_HOST_PORT:
# eth0 is 10.0.2.15/24 and 10.0.2.100:HOST_PORT reaches 127.0.0.1:HOST_PORT on the host (qemu
# user networking with restrict=on and a guestfwd running socat; nothing else is reachable).
# GUEST_CMD travels base64-encoded on the kernel command line; an empty one runs /mnt/.vm-cmd.
#
# Optional environment for vm_start: VM_DISK_MB=N attaches a sparse N MiB scratch disk as
# /dev/vda (virtio-blk); VM_MEM (default 1G), VM_SMP (default 2); VM_QEMU_ARGS (extra args).
# VM_ROOT_IMAGE=FILE boots a whole root file system instead (vmtests/realnode/): FILE (ext4) is
# /dev/vda, writes go to a throwaway overlay (qemu snapshot=on), and after the network is up
# the initramfs mounts it and hands over to VM_ROOT_INIT (default /sbin/init) with
# switch_root; the 9p share and GUEST_CMD are then that init's to use. VM_HOSTFWD="HOST:GUEST
# ..." forwards 127.0.0.1:HOST on the host to the guest's port GUEST (with HOST_PORT).
# VM_APPEND adds words to the kernel command line.

VM_WORKDIR=${VM_WORKDIR:-}
VM_KERNEL=${VM_KERNEL:-}
VM_KVER=${VM_KVER:-}
VM_NAMES=${VM_NAMES:-}

# Order matters: each module needs the ones before it.
VM_MODULES_BASE="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
                 9pnet 9pnet_virtio netfs fscache 9p virtio_blk"
VM_MODULES_NET="failover net_failover virtio_net"
VM_MODULES_ROOT="crc32c_generic crc16 mbcache jbd2 ext4"

_vm_init_script() {
    cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /mnt /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
arg() { for w in $(cat /proc/cmdline); do case $w in "vmtest.$1="*) echo "${w#*=}";; esac; done; }
for m in $(cat /modules/order.base); do insmod /modules/$m.ko || echo "vm: insmod $m failed"; done
VM_NAME=$(arg name); export VM_NAME
[ -n "$VM_NAME" ] && hostname "$VM_NAME"
ip link set lo up
if [ "$(arg net)" = 1 ]; then
    for m in $(cat /modules/order.net); do insmod /modules/$m.ko || echo "vm: insmod $m failed"; done
    i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    if [ -e /sys/class/net/eth0 ]; then
        ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up
        export VM_HOST_ADDR=10.0.2.100 VM_HOST_PORT=$(arg port)
    else
        echo "vm: no eth0"
    fi
fi
root=$(arg root)
if [ -n "$root" ]; then
    # A whole root file system: mount it and hand PID 1 over; its init does the rest.
    for m in $(cat /modules/order.root); do insmod /modules/$m.ko || echo "vm: insmod $m failed"; done
    mkdir -p /newroot
    init=$(arg init)
    if mount -t ext4 "$root" /newroot; then
        umount /sys/fs/cgroup /sys/fs/bpf /sys/kernel/tracing /tmp /run
        mount --move /dev /newroot/dev
        umount /proc /sys
        exec switch_root /newroot "$init"
    fi
    echo "vm: cannot mount $root"
    echo "VMTEST-EXIT 126"
    poweroff -f
fi
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 hostshare /mnt; then
    cd /mnt
    cmd=$(arg cmd | base64 -d 2>/dev/null)
    if [ -n "$cmd" ]; then sh -c "$cmd"; rc=$?
    elif [ -f /mnt/.vm-cmd ]; then sh /mnt/.vm-cmd; rc=$?
    else echo "vm: no guest command"; rc=127
    fi
    cd /
else
    echo "vm: cannot mount the 9p share"; rc=126
fi
sync
echo "VMTEST-EXIT $rc"
poweroff -f
EOF
}

vm_prepare() {
    local work=${1:?vm_prepare WORKDIR}
    mkdir -p "$work" || return 1
    VM_WORKDIR=$(cd "$work" && pwd)
    local m k
    VM_KVER=$(find /lib/modules -mindepth 1 -maxdepth 1 -name '6.1.*' -printf '%f\n' 2>/dev/null |
              sort -V | tail -1)
    VM_KERNEL=/boot/vmlinuz-$VM_KVER
    if [ -z "$VM_KVER" ] || [ ! -r "$VM_KERNEL" ]; then
        echo "vm: no Debian 6.1 kernel under /boot (apt-get install linux-image-amd64)" >&2
        return 1
    fi
    local busybox=/bin/busybox
    if ! "$busybox" --help >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
        echo "vm: $busybox is not a static busybox (apt-get install busybox-static)" >&2
        return 1
    fi
    for k in qemu-system-x86_64 cpio gzip; do
        command -v "$k" >/dev/null || { echo "vm: $k missing (scripts/deps.sh)" >&2; return 1; }
    done
    # Cache key: the kernel, busybox and this script's init and module lists.
    local key
    key=$( { echo "$VM_KVER $VM_MODULES_BASE $VM_MODULES_NET $VM_MODULES_ROOT"; _vm_init_script;
             md5sum "$busybox"; } | md5sum | cut -d' ' -f1)
    if [ -f "$VM_WORKDIR/initramfs.cpio.gz" ] && [ "$(cat "$VM_WORKDIR/initramfs.key" 2>/dev/null)" = "$key" ]; then
        export VM_WORKDIR VM_KERNEL VM_KVER
        return 0
    fi
    local root=$VM_WORKDIR/initramfs.d
    rm -rf "$root" && mkdir -p "$root/bin" "$root/modules" || return 1
    cp "$busybox" "$root/bin/busybox" || return 1
    _vm_init_script >"$root/init" && chmod 755 "$root/init"
    local list
    for list in base net root; do
        local mods=$VM_MODULES_BASE
        [ $list = net ] && mods=$VM_MODULES_NET
        [ $list = root ] && mods=$VM_MODULES_ROOT
        : >"$root/modules/order.$list"
        for m in $mods; do
            k=$(find "/lib/modules/$VM_KVER/kernel" -name "$m.ko*" | head -1)
            if [ -z "$k" ]; then
                # Built into this kernel: nothing to load.
                grep -q "/$m.ko" "/lib/modules/$VM_KVER/modules.builtin" 2>/dev/null && continue
                echo "vm: module $m not found for $VM_KVER" >&2
                return 1
            fi
            case $k in
                *.ko.xz) xz -dc "$k" >"$root/modules/$m.ko" ;;
                *.ko.zst) zstd -qdc "$k" >"$root/modules/$m.ko" ;;
                *.ko.gz) gzip -dc "$k" >"$root/modules/$m.ko" ;;
                *) cp "$k" "$root/modules/$m.ko" ;;
            esac || return 1
            echo "$m" >>"$root/modules/order.$list"
        done
    done
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM_WORKDIR/initramfs.cpio.gz.tmp" &&
        mv "$VM_WORKDIR/initramfs.cpio.gz.tmp" "$VM_WORKDIR/initramfs.cpio.gz" || return 1
    rm -rf "$root"
    echo "$key" >"$VM_WORKDIR/initramfs.key"
    export VM_WORKDIR VM_KERNEL VM_KVER
}

_vm_file() { echo "$VM_WORKDIR/$1.$2"; }

vm_start() {
    local name=${1:?vm_start NAME SHARE_DIR GUEST_CMD TIMEOUT_S [HOST_PORT]} share=${2:?} cmd=${3-}
    local timeout=${4:?} port=${5:-}
    [ -n "$VM_WORKDIR" ] && [ -f "$VM_WORKDIR/initramfs.cpio.gz" ] ||
        { echo "vm: vm_prepare first" >&2; return 1; }
    [ -d "$share" ] || { echo "vm: share $share is not a directory" >&2; return 1; }
    share=$(cd "$share" && pwd)
    rm -f "$(_vm_file "$name" log)" "$(_vm_file "$name" pid)" "$(_vm_file "$name" timedout)" \
          "$(_vm_file "$name" killed)" "$(_vm_file "$name" watchdog)" "$(_vm_file "$name" disk)"
    local append="console=ttyS0 panic=-1 quiet loglevel=4 vmtest.name=$name${VM_APPEND:+ $VM_APPEND}"
    [ -n "$cmd" ] && append="$append vmtest.cmd=$(printf '%s' "$cmd" | base64 -w0)"
    local -a args=(-accel tcg -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}" -nodefaults -display none
                   -no-reboot -serial "file:$(_vm_file "$name" log)"
                   -kernel "$VM_KERNEL" -initrd "$VM_WORKDIR/initramfs.cpio.gz"
                   -fsdev "local,id=fs0,path=$share,security_model=none"
                   -device virtio-9p-pci,fsdev=fs0,mount_tag=hostshare)
    if [ -n "$port" ]; then
        command -v socat >/dev/null || { echo "vm: socat missing (scripts/deps.sh)" >&2; return 1; }
        append="$append vmtest.net=1 vmtest.port=$port"
        local netdev="user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:$port-cmd:socat - TCP:127.0.0.1:$port"
        local fwd
        for fwd in ${VM_HOSTFWD:-}; do
            netdev="$netdev,hostfwd=tcp:127.0.0.1:${fwd%%:*}-10.0.2.15:${fwd#*:}"
        done
        args+=(-netdev "$netdev" -device virtio-net-pci,netdev=n0)
    fi
    if [ -n "${VM_ROOT_IMAGE:-}" ]; then
        append="$append vmtest.root=/dev/vda vmtest.init=${VM_ROOT_INIT:-/sbin/init}"
        args+=(-drive "file=$VM_ROOT_IMAGE,format=raw,if=none,id=r0,snapshot=on,cache=unsafe"
               -device virtio-blk-pci,drive=r0)
    fi
    if [ -n "${VM_DISK_MB:-}" ]; then
        truncate -s "${VM_DISK_MB}M" "$(_vm_file "$name" disk)" || return 1
        args+=(-drive "file=$(_vm_file "$name" disk),format=raw,if=none,id=d0,cache=unsafe"
               -device virtio-blk-pci,drive=d0)
    fi
    # shellcheck disable=SC2206
    [ -n "${VM_QEMU_ARGS:-}" ] && args+=($VM_QEMU_ARGS)
    qemu-system-x86_64 "${args[@]}" -append "$append" </dev/null >"$(_vm_file "$name" qemu)" 2>&1 &
    local qpid=$!
    echo "$qpid" >"$(_vm_file "$name" pid)"
    # Watchdog: kills qemu after TIMEOUT_S; vm_wait/vm_kill stop it with TERM.
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$timeout" & sp=$!
        wait "$sp"
        if kill -0 "$qpid" 2>/dev/null; then
            touch "$(_vm_file "$name" timedout)"
            kill -KILL "$qpid" 2>/dev/null
        fi
    ) </dev/null >/dev/null 2>&1 &
    echo "$!" >"$(_vm_file "$name" watchdog)"
    VM_NAMES="$VM_NAMES $name"
}

_vm_stop_watchdog() {
    local wd
    wd=$(cat "$(_vm_file "$1" watchdog)" 2>/dev/null) || return 0
    kill -TERM "$wd" 2>/dev/null
    wait "$wd" 2>/dev/null
    rm -f "$(_vm_file "$1" watchdog)"
}

_vm_wait_pid() {
    local pid=$1
    # A child of this shell: wait for it; otherwise poll.
    wait "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}

vm_wait() {
    local name=${1:?vm_wait NAME} pid rc log
    log=$(_vm_file "$name" log)
    pid=$(cat "$(_vm_file "$name" pid)" 2>/dev/null) || { echo "vm: $name not started" >&2; return 125; }
    _vm_wait_pid "$pid"
    _vm_stop_watchdog "$name"
    if [ -f "$(_vm_file "$name" timedout)" ]; then
        rc=124
    else
        rc=$(tr -d '\r' <"$log" 2>/dev/null | sed -n 's/^VMTEST-EXIT \([0-9][0-9]*\)$/\1/p' | tail -1)
        [ -n "$rc" ] || rc=125
    fi
    if [ "$rc" != 0 ] && [ ! -f "$(_vm_file "$name" killed)" ]; then
        case $rc in
            124) echo "vm: $name timed out; killed" >&2 ;;
            125) echo "vm: $name ended without reporting an exit code" >&2 ;;
            *) echo "vm: $name: guest command exited $rc" >&2 ;;
        esac
        echo "----- console of VM $name -----" >&2
        tr -d '\r' <"$log" >&2 2>/dev/null
        [ -s "$(_vm_file "$name" qemu)" ] && { echo "----- qemu -----" >&2; cat "$(_vm_file "$name" qemu)" >&2; }
        echo "----- end of VM $name -----" >&2
    fi
    return "$rc"
}

# vm_silent NAME SECONDS: true if the VM's console stays empty for SECONDS while qemu runs
# (the guest prints within seconds of boot; a qemu that never starts the guest, seen once
# under software emulation, would otherwise sit out its whole timeout).
vm_silent() {
    local name=${1:?vm_silent NAME SECONDS} s=${2:?} pid i=0
    pid=$(cat "$(_vm_file "$name" pid)" 2>/dev/null) || return 1
    while [ "$i" -lt "$s" ]; do
        [ -s "$(_vm_file "$name" log)" ] && return 1
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
        i=$((i + 1))
    done
    [ ! -s "$(_vm_file "$name" log)" ]
}

vm_kill() {
    local name=${1:?vm_kill NAME} pid
    pid=$(cat "$(_vm_file "$name" pid)" 2>/dev/null) || return 0
    touch "$(_vm_file "$name" killed)"
    kill -KILL "$pid" 2>/dev/null
    _vm_wait_pid "$pid"
    _vm_stop_watchdog "$name"
}

vm_kill_all() {
    local n
    for n in $VM_NAMES; do
        [ -f "$(_vm_file "$n" watchdog)" ] && vm_kill "$n"
    done
    return 0
}
