/* Unit tests for userspace/oci_bundle.c: realistic containerd and CRI-O config.json files,
 * bundle lookup in both directory layouts, and hostile documents. Documents are handed to the
 * parser in exact-size heap buffers without a terminating NUL, so AddressSanitizer catches any
 * read past len.
 *
 * The fixtures are written with ' for " (JSON never needs ' here) so they stay readable; an
 * escaped quote inside a JSON string (CRI-O's nested JSON annotations) is written \\'. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "discover/oci_bundle.h"
#include "lib/test_util.h"

#define POD "web-7d4b9c8f6-x2x9k"
#define NS "shop"
#define UID "3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b"
/* the sandbox's and the app container's ids in the fixtures */
#define SB_ID "b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc"
#define CT_ID "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b71"

/* ---- fixtures: what containerd 1.7 and CRI-O 1.28 write (trimmed seccomp/capabilities) ---- */

static const char CONTAINERD_APP[] =
    "{'ociVersion':'1.1.0','process':{'user':{'uid':101,'gid':101,'additionalGids':[101]},"
    "'args':['nginx','-g','daemon off;'],"
    "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "'HOSTNAME=web-7d4b9c8f6-x2x9k','NGINX_VERSION=1.25.3',"
    "'KUBERNETES_SERVICE_HOST=10.96.0.1','KUBERNETES_SERVICE_PORT=443'],'cwd':'/',"
    "'capabilities':{'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER',"
    "'CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'effective':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'permitted':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']},"
    "'apparmorProfile':'cri-containerd.apparmor.d','oomScoreAdj':1000},"
    "'root':{'path':'rootfs'},'mounts':[{'destination':'/proc','type':'proc',"
    "'source':'proc','options':['nosuid','noexec','nodev']},{'destination':'/dev',"
    "'type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755',"
    "'size=65536k']},{'destination':'/dev/pts','type':'devpts','source':'devpts',"
    "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
    "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid',"
    "'noexec','nodev']},{'destination':'/sys','type':'sysfs','source':'sysfs',"
    "'options':['nosuid','noexec','nodev','ro']},{'destination':'/sys/fs/cgroup',"
    "'type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime',"
    "'ro']},{'destination':'/etc/hosts','type':'bind',"
    "'source':'/var/lib/kubelet/pods/3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b/etc-hosts',"
    "'options':['rbind','rprivate','rw']},{'destination':'/dev/termination-log',"
    "'type':'bind',"
    "'source':'/var/lib/kubelet/pods/3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b/containers/nginx/6b"
    "1f2c3d',"
    "'options':['rbind','rprivate','rw']},{'destination':'/etc/hostname','type':'bind',"
    "'source':'/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/b7ad567477c83756aab9a5"
    "42b2be04f77dbae25115d85f22070d74d8cc4779dc/hostname',"
    "'options':['rbind','rprivate','rw']},"
    "{'destination':'/var/run/secrets/kubernetes.io/serviceaccount','type':'bind',"
    "'source':'/var/lib/kubelet/pods/3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b/volumes/kubernetes."
    "io~projected/kube-api-access-7xq2p',"
    "'options':['rbind','rprivate','ro']}],"
    "'annotations':{'io.kubernetes.cri.container-name':'nginx',"
    "'io.kubernetes.cri.container-type':'container',"
    "'io.kubernetes.cri.image-name':'docker.io/library/nginx:1.25.3',"
    "'io.kubernetes.cri.sandbox-id':'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8"
    "cc4779dc',"
    "'io.kubernetes.cri.sandbox-name':'web-7d4b9c8f6-x2x9k',"
    "'io.kubernetes.cri.sandbox-namespace':'shop',"
    "'io.kubernetes.cri.sandbox-uid':'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b'},"
    "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}],"
    "'memory':{'limit':134217728,'swap':134217728},'cpu':{'shares':102,'quota':50000,"
    "'period':100000},'unified':{'memory.oom.group':'1'}},"
    "'cgroupsPath':'kubepods-burstable-pod3f1c2a9e_8b7d_4e6f_9a1b_2c3d4e5f6a7b.slice:cri-cont"
    "ainerd:a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b71',"
    "'namespaces':[{'type':'pid'},{'type':'ipc','path':'/proc/4242/ns/ipc'},{'type':'uts',"
    "'path':'/proc/4242/ns/uts'},{'type':'mount'},{'type':'network',"
    "'path':'/proc/4242/ns/net'},{'type':'cgroup'}],'maskedPaths':['/proc/acpi',"
    "'/proc/kcore','/proc/keys','/proc/latency_stats','/proc/timer_list',"
    "'/proc/timer_stats','/proc/sched_debug','/proc/scsi','/sys/firmware'],"
    "'readonlyPaths':['/proc/asound','/proc/bus','/proc/fs','/proc/irq','/proc/sys',"
    "'/proc/sysrq-trigger']}}";

static const char CONTAINERD_SANDBOX[] =
    "{'ociVersion':'1.1.0','process':{'user':{'uid':65535,'gid':65535,"
    "'additionalGids':[65535]},'args':['/pause'],"
    "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],'cwd':'/',"
    "'capabilities':{'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER',"
    "'CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'effective':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'permitted':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']},"
    "'noNewPrivileges':true,'apparmorProfile':'cri-containerd.apparmor.d',"
    "'oomScoreAdj':-998},'root':{'path':'rootfs','readonly':true},"
    "'hostname':'web-7d4b9c8f6-x2x9k','mounts':[{'destination':'/proc','type':'proc',"
    "'source':'proc','options':['nosuid','noexec','nodev']},{'destination':'/dev',"
    "'type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755',"
    "'size=65536k']},{'destination':'/dev/pts','type':'devpts','source':'devpts',"
    "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
    "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid',"
    "'noexec','nodev']},{'destination':'/sys','type':'sysfs','source':'sysfs',"
    "'options':['nosuid','noexec','nodev','ro']},{'destination':'/dev/shm','type':'bind',"
    "'source':'/run/containerd/io.containerd.grpc.v1.cri/sandboxes/b7ad567477c83756aab9a542b2"
    "be04f77dbae25115d85f22070d74d8cc4779dc/shm',"
    "'options':['rbind','ro','nosuid','nodev','noexec']},{'destination':'/etc/resolv.conf',"
    "'type':'bind',"
    "'source':'/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/b7ad567477c83756aab9a5"
    "42b2be04f77dbae25115d85f22070d74d8cc4779dc/resolv.conf',"
    "'options':['rbind','ro']}],"
    "'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
    "'io.kubernetes.cri.sandbox-cpu-period':'100000',"
    "'io.kubernetes.cri.sandbox-cpu-quota':'50000',"
    "'io.kubernetes.cri.sandbox-cpu-shares':'102',"
    "'io.kubernetes.cri.sandbox-id':'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8"
    "cc4779dc',"
    "'io.kubernetes.cri.sandbox-log-directory':'/var/log/pods/shop_web-7d4b9c8f6-x2x9k_3f1c2a"
    "9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b',"
    "'io.kubernetes.cri.sandbox-memory':'134217728',"
    "'io.kubernetes.cri.sandbox-name':'web-7d4b9c8f6-x2x9k',"
    "'io.kubernetes.cri.sandbox-namespace':'shop',"
    "'io.kubernetes.cri.sandbox-uid':'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b'},"
    "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}],'cpu':{'shares':2}},"
    "'cgroupsPath':'kubepods-burstable-pod3f1c2a9e_8b7d_4e6f_9a1b_2c3d4e5f6a7b.slice:cri-cont"
    "ainerd:b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc',"
    "'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},"
    "{'type':'network','path':'/var/run/netns/cni-5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'}],"
    "'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64',"
    "'SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':[{'names':['accept','accept4','access',"
    "'bind','brk','capget','capset','chdir','clone','close','connect','epoll_wait',"
    "'execve','exit_group','futex','getpid','nanosleep','openat','pause','read',"
    "'rt_sigaction','write'],'action':'SCMP_ACT_ALLOW'}]},'maskedPaths':['/proc/acpi',"
    "'/proc/kcore','/proc/keys','/proc/latency_stats','/proc/timer_list',"
    "'/proc/timer_stats','/proc/sched_debug','/proc/scsi','/sys/firmware'],"
    "'readonlyPaths':['/proc/asound','/proc/bus','/proc/fs','/proc/irq','/proc/sys',"
    "'/proc/sysrq-trigger']}}";

static const char CRIO_APP[] =
    "{'ociVersion':'1.0.2-dev','process':{'user':{'uid':101,'gid':101,"
    "'additionalGids':[101]},'args':['nginx','-g','daemon off;'],"
    "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "'TERM=xterm','HOSTNAME=web-7d4b9c8f6-x2x9k','NGINX_VERSION=1.25.3'],'cwd':'/',"
    "'capabilities':{'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER',"
    "'CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'effective':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'permitted':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']},"
    "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1048576,'soft':1048576},"
    "{'type':'RLIMIT_CORE','hard':18446744073709551615,'soft':18446744073709551615}],"
    "'oomScoreAdj':1000,'selinuxLabel':'system_u:system_r:container_t:s0:c123,c456'},"
    "'root':{'path':'/var/lib/containers/storage/overlay/dac1d7cfa95021764849fd102524e141488c"
    "5e3a90f861dbb5a12d9ac8584f85/merged'},"
    "'hostname':'web-7d4b9c8f6-x2x9k','mounts':[{'destination':'/proc','type':'proc',"
    "'source':'proc','options':['nosuid','noexec','nodev']},{'destination':'/dev',"
    "'type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755',"
    "'size=65536k']},{'destination':'/dev/pts','type':'devpts','source':'devpts',"
    "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
    "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid',"
    "'noexec','nodev']},{'destination':'/sys','type':'sysfs','source':'sysfs',"
    "'options':['nosuid','noexec','nodev','ro']},{'destination':'/sys/fs/cgroup',"
    "'type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime',"
    "'ro']},{'destination':'/etc/hosts','type':'bind',"
    "'source':'/var/lib/kubelet/pods/3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b/etc-hosts',"
    "'options':['rw','rbind','rprivate','bind']}],"
    "'annotations':{'io.container.manager':'cri-o',"
    "'io.kubernetes.container.hash':'6b1f2c3d','io.kubernetes.container.name':'nginx',"
    "'io.kubernetes.container.restartCount':'0',"
    "'io.kubernetes.container.terminationMessagePath':'/dev/termination-log',"
    "'io.kubernetes.container.terminationMessagePolicy':'File',"
    "'io.kubernetes.cri-o.Annotations':'{\\'io.kubernetes.container.hash\\':\\'6b1f2c3d\\',"
    "\\'io.kubernetes.container.restartCount\\':\\'0\\'}',"
    "'io.kubernetes.cri-o.ContainerID':'a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d"
    "655357d8b71',"
    "'io.kubernetes.cri-o.ContainerType':'container',"
    "'io.kubernetes.cri-o.Created':'2024-03-01T10:20:30.123456789Z',"
    "'io.kubernetes.cri-o.Image':'6105d6cc76af400325e94d588ce511be5bfdbb73b437dc51eca43917d7a"
    "43e3d',"
    "'io.kubernetes.cri-o.ImageName':'docker.io/library/nginx:1.25.3',"
    "'io.kubernetes.cri-o.Labels':'{\\'io.kubernetes.container.name\\':\\'nginx\\',"
    "\\'io.kubernetes.pod.name\\':\\'web-7d4b9c8f6-x2x9k\\',"
    "\\'io.kubernetes.pod.namespace\\':\\'shop\\',"
    "\\'io.kubernetes.pod.uid\\':\\'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b\\'}',"
    "'io.kubernetes.cri-o.LogPath':'/var/log/pods/shop_web-7d4b9c8f6-x2x9k_3f1c2a9e-8b7d-4e6f"
    "-9a1b-2c3d4e5f6a7b/nginx/0.log',"
    "'io.kubernetes.cri-o.Metadata':'{\\'name\\':\\'nginx\\'}',"
    "'io.kubernetes.cri-o.MountPoint':'/var/lib/containers/storage/overlay/dac1d7cfa950217648"
    "49fd102524e141488c5e3a90f861dbb5a12d9ac8584f85/merged',"
    "'io.kubernetes.cri-o.Name':'k8s_nginx_web-7d4b9c8f6-x2x9k_shop_3f1c2a9e-8b7d-4e6f-9a1b-2"
    "c3d4e5f6a7b_0',"
    "'io.kubernetes.cri-o.SandboxID':'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d"
    "8cc4779dc',"
    "'io.kubernetes.cri-o.SandboxName':'k8s_web-7d4b9c8f6-x2x9k_shop_3f1c2a9e-8b7d-4e6f-9a1b-"
    "2c3d4e5f6a7b_0',"
    "'io.kubernetes.cri-o.SeccompProfilePath':'RuntimeDefault',"
    "'io.kubernetes.cri-o.Stdin':'false','io.kubernetes.cri-o.TTY':'false',"
    "'io.kubernetes.pod.name':'web-7d4b9c8f6-x2x9k','io.kubernetes.pod.namespace':'shop',"
    "'io.kubernetes.pod.terminationGracePeriod':'30',"
    "'io.kubernetes.pod.uid':'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b',"
    "'kubernetes.io/config.seen':'2024-03-01T10:20:28.000000000Z',"
    "'kubernetes.io/config.source':'api'},'linux':{'resources':{'devices':[{'allow':false,"
    "'access':'rwm'}],'memory':{'limit':134217728},'cpu':{'shares':102,'quota':50000,"
    "'period':100000},'pids':{'limit':1024}},"
    "'cgroupsPath':'kubepods-burstable-pod3f1c2a9e_8b7d_4e6f_9a1b_2c3d4e5f6a7b.slice:crio:a42"
    "d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b71',"
    "'namespaces':[{'type':'pid'},{'type':'network',"
    "'path':'/var/run/netns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'ipc',"
    "'path':'/var/run/ipcns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'uts',"
    "'path':'/var/run/utsns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'mount'}],"
    "'maskedPaths':['/proc/acpi','/proc/kcore','/proc/keys','/proc/latency_stats',"
    "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/proc/scsi',"
    "'/sys/firmware'],'readonlyPaths':['/proc/asound','/proc/bus','/proc/fs','/proc/irq',"
    "'/proc/sys','/proc/sysrq-trigger'],"
    "'mountLabel':'system_u:object_r:container_file_t:s0:c123,c456'}}";

static const char CRIO_SANDBOX[] =
    "{'ociVersion':'1.0.2-dev','process':{'user':{'uid':65535,'gid':65535},"
    "'args':['/pause'],"
    "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "'TERM=xterm'],'cwd':'/','capabilities':{'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE',"
    "'CAP_FSETID','CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID',"
    "'CAP_SETFCAP','CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL',"
    "'CAP_AUDIT_WRITE'],'effective':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID',"
    "'CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP',"
    "'CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"
    "'permitted':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
    "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
    "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']},"
    "'noNewPrivileges':true,'oomScoreAdj':-998},"
    "'root':{'path':'/var/lib/containers/storage/overlay/6210c0bf05396716df932f0729df69de0533"
    "933e5ad9871fd07b61811c4c28df/merged',"
    "'readonly':true},'hostname':'web-7d4b9c8f6-x2x9k','mounts':[{'destination':'/proc',"
    "'type':'proc','source':'proc','options':['nosuid','noexec','nodev']},"
    "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid',"
    "'strictatime','mode=755','size=65536k']},{'destination':'/dev/pts','type':'devpts',"
    "'source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666',"
    "'mode=0620','gid=5']},{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue',"
    "'options':['nosuid','noexec','nodev']},{'destination':'/sys','type':'sysfs',"
    "'source':'sysfs','options':['nosuid','noexec','nodev','ro']},"
    "{'destination':'/dev/shm','type':'bind',"
    "'source':'/run/containers/storage/overlay-containers/b7ad567477c83756aab9a542b2be04f77db"
    "ae25115d85f22070d74d8cc4779dc/userdata/shm',"
    "'options':['rw','bind']}],'annotations':{'io.container.manager':'cri-o',"
    "'io.kubernetes.container.name':'POD',"
    "'io.kubernetes.cri-o.Annotations':'{\\'kubernetes.io/config.seen\\':\\'2024-03-01T10:20:"
    "28.000000000Z\\',"
    "\\'kubernetes.io/config.source\\':\\'api\\',\\'prometheus.io/scrape\\':\\'true\\'}',"
    "'io.kubernetes.cri-o.CgroupParent':'kubepods-burstable-pod3f1c2a9e_8b7d_4e6f_9a1b_2c3d4e"
    "5f6a7b.slice',"
    "'io.kubernetes.cri-o.ContainerID':'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d7"
    "4d8cc4779dc',"
    "'io.kubernetes.cri-o.ContainerName':'k8s_POD_web-7d4b9c8f6-x2x9k_shop_3f1c2a9e-8b7d-4e6f"
    "-9a1b-2c3d4e5f6a7b_0',"
    "'io.kubernetes.cri-o.ContainerType':'sandbox',"
    "'io.kubernetes.cri-o.HostNetwork':'false',"
    "'io.kubernetes.cri-o.KubeName':'web-7d4b9c8f6-x2x9k',"
    "'io.kubernetes.cri-o.Labels':'{\\'app\\':\\'web\\',"
    "\\'io.kubernetes.container.name\\':\\'POD\\',"
    "\\'io.kubernetes.pod.name\\':\\'web-7d4b9c8f6-x2x9k\\',"
    "\\'io.kubernetes.pod.namespace\\':\\'shop\\',"
    "\\'io.kubernetes.pod.uid\\':\\'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b\\',"
    "\\'pod-template-hash\\':\\'7d4b9c8f6\\'}','io.kubernetes.cri-o.Namespace':'shop',"
    "'io.kubernetes.cri-o.PrivilegedRuntime':'false',"
    "'io.kubernetes.cri-o.SandboxID':'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d"
    "8cc4779dc',"
    "'io.kubernetes.cri-o.ShmPath':'/run/containers/storage/overlay-containers/b7ad567477c837"
    "56aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc/userdata/shm',"
    "'io.kubernetes.pod.name':'web-7d4b9c8f6-x2x9k','io.kubernetes.pod.namespace':'shop',"
    "'io.kubernetes.pod.uid':'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b',"
    "'kubernetes.io/config.seen':'2024-03-01T10:20:28.000000000Z',"
    "'kubernetes.io/config.source':'api','prometheus.io/scrape':'true'},"
    "'linux':{'resources':{'cpu':{'shares':2}},"
    "'cgroupsPath':'kubepods-burstable-pod3f1c2a9e_8b7d_4e6f_9a1b_2c3d4e5f6a7b.slice:crio:b7a"
    "d567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc',"
    "'namespaces':[{'type':'pid'},{'type':'network',"
    "'path':'/var/run/netns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'ipc',"
    "'path':'/var/run/ipcns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'uts',"
    "'path':'/var/run/utsns/5c1e9a7b-0d2f-4e8a-b3c6-91f0a2d4e6b8'},{'type':'mount'}],"
    "'maskedPaths':['/proc/acpi','/proc/kcore','/proc/keys','/proc/latency_stats',"
    "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/proc/scsi',"
    "'/sys/firmware'],'readonlyPaths':['/proc/asound','/proc/bus','/proc/fs','/proc/irq',"
    "'/proc/sys','/proc/sysrq-trigger']}}";

/* ---- helpers ---------------------------------------------------------------------------- */

/* A heap copy of tmpl with every ' turned into ", exactly *len bytes, not NUL-terminated. */
static char *doc_from_template(const char *tmpl, size_t *len)
{
    size_t n = strlen(tmpl);
    char *buf = malloc(n ? n : 1);

    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmpl[i] == '\'' ? '"' : tmpl[i];
    *len = n;
    return buf;
}

/* Parses len bytes from an exact-size copy, with *id pre-filled with garbage. */
static int parse_exact(const char *json, size_t len, struct oci_identity *id)
{
    char *buf = malloc(len ? len : 1);
    int rc;

    assert_non_null(buf);
    memcpy(buf, json, len);
    memset(id, 0xa5, sizeof(*id));
    rc = oci_parse_config(buf, len, id);
    free(buf);
    return rc;
}

static int parse_tmpl(const char *tmpl, struct oci_identity *id)
{
    size_t len;
    char *doc = doc_from_template(tmpl, &len);
    int rc = parse_exact(doc, len, id);

    free(doc);
    return rc;
}

/* tmpl with its first occurrence of from (which must be there) replaced by to. */
static char *variant(const char *tmpl, const char *from, const char *to)
{
    const char *at = strstr(tmpl, from);
    size_t pre, flen = strlen(from), tlen = strlen(to);
    char *out;

    assert_non_null(at);
    pre = (size_t)(at - tmpl);
    out = malloc(strlen(tmpl) - flen + tlen + 1);
    assert_non_null(out);
    memcpy(out, tmpl, pre);
    memcpy(out + pre, to, tlen);
    strcpy(out + pre + tlen, at + flen);
    return out;
}

static int parse_variant(const char *tmpl, const char *from, const char *to,
                         struct oci_identity *id)
{
    char *v = variant(tmpl, from, to);
    int rc = parse_tmpl(v, id);

    free(v);
    return rc;
}

static void expect_identity(const struct oci_identity *id, enum cg_runtime runtime, bool sandbox,
                            const char *pod, const char *ns, const char *uid, const char *ctr)
{
    assert_int_equal(id->runtime, runtime);
    assert_int_equal(id->is_sandbox, sandbox);
    assert_true(id->has_kubernetes);
    assert_string_equal(id->pod_name, pod);
    assert_string_equal(id->pod_namespace, ns);
    assert_string_equal(id->pod_uid, uid);
    assert_string_equal(id->container_name, ctr);
}

/* After an error the identity is all-zero: no garbage and no half-filled fields. */
static void expect_zeroed(const struct oci_identity *id)
{
    static const struct oci_identity zero;

    assert_memory_equal(id, &zero, sizeof(zero));
}

static void expect_parse_error(const char *json, size_t len, int want)
{
    struct oci_identity id;

    assert_int_equal(parse_exact(json, len, &id), want);
    expect_zeroed(&id);
}

#define EXPECT_EINVAL_STR(s) expect_parse_error((s), sizeof(s) - 1, -EINVAL)

static void expect_einval_tmpl(const char *tmpl)
{
    struct oci_identity id;

    assert_int_equal(parse_tmpl(tmpl, &id), -EINVAL);
    expect_zeroed(&id);
}

/* ---- the four realistic documents ---------------------------------------------------------- */

static void test_containerd_app(void **state)
{
    struct oci_identity id;

    (void)state;
    assert_int_equal(parse_tmpl(CONTAINERD_APP, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
}

static void test_containerd_sandbox(void **state)
{
    struct oci_identity id;

    (void)state;
    assert_int_equal(parse_tmpl(CONTAINERD_SANDBOX, &id), 0);
    /* containerd gives a sandbox no container-name annotation */
    expect_identity(&id, RUNTIME_CONTAINERD, true, POD, NS, UID, "");
}

static void test_containerd_without_sandbox_uid(void **state)
{
    struct oci_identity id;

    (void)state;
    /* containerd before 1.6.11 wrote no sandbox-uid */
    assert_int_equal(
        parse_variant(CONTAINERD_APP, ",'io.kubernetes.cri.sandbox-uid':'" UID "'", "", &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, "", "nginx");
    assert_int_equal(
        parse_variant(CONTAINERD_SANDBOX, ",'io.kubernetes.cri.sandbox-uid':'" UID "'", "", &id),
        0);
    expect_identity(&id, RUNTIME_CONTAINERD, true, POD, NS, "", "");
}

static void test_containerd_container_type(void **state)
{
    struct oci_identity id;

    (void)state;
    /* only the exact string "sandbox" marks the sandbox */
    assert_int_equal(parse_variant(CONTAINERD_SANDBOX,
                                   "'io.kubernetes.cri.container-type':'sandbox'",
                                   "'io.kubernetes.cri.container-type':'Sandbox'", &id),
                     0);
    assert_false(id.is_sandbox);
    assert_int_equal(parse_variant(CONTAINERD_SANDBOX,
                                   "'io.kubernetes.cri.container-type':'sandbox'",
                                   "'io.kubernetes.cri.container-type':'sandbox\\u0000'", &id),
                     0);
    assert_false(id.is_sandbox);
    assert_int_equal(parse_variant(CONTAINERD_SANDBOX,
                                   "'io.kubernetes.cri.container-type':'sandbox'",
                                   "'io.kubernetes.cri.container-type':['sandbox']", &id),
                     0);
    assert_false(id.is_sandbox);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "");
    /* no container-type at all: still containerd, not a sandbox */
    assert_int_equal(
        parse_variant(CONTAINERD_APP, "'io.kubernetes.cri.container-type':'container',", "", &id),
        0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
}

static void test_crio_app(void **state)
{
    struct oci_identity id;

    (void)state;
    /* also carries RLIMIT_CORE = 18446744073709551615, past int64 */
    assert_int_equal(parse_tmpl(CRIO_APP, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
}

static void test_crio_sandbox(void **state)
{
    struct oci_identity id;

    (void)state;
    assert_int_equal(parse_tmpl(CRIO_SANDBOX, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "POD");
}

static void test_crio_sandbox_signals(void **state)
{
    struct oci_identity id;

    (void)state;
    /* either signal alone marks the sandbox */
    assert_int_equal(parse_variant(CRIO_SANDBOX, "'io.kubernetes.cri-o.ContainerType':'sandbox'",
                                   "'io.kubernetes.cri-o.ContainerType':'container'", &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "POD");
    assert_int_equal(parse_variant(CRIO_SANDBOX, "'io.kubernetes.container.name':'POD'",
                                   "'io.kubernetes.container.name':'pause'", &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "pause");
    /* an app container named "pod" is not the sandbox */
    assert_int_equal(parse_variant(CRIO_APP, "'io.kubernetes.container.name':'nginx'",
                                   "'io.kubernetes.container.name':'pod'", &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "pod");
}

static void test_crio_detection(void **state)
{
    struct oci_identity id;

    (void)state;
    /* older CRI-O without io.container.manager: the cri-o.* keys are enough */
    assert_int_equal(parse_variant(CRIO_APP, "'io.container.manager':'cri-o',", "", &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
    /* the manager alone is enough */
    assert_int_equal(parse_tmpl("{'annotations':{'io.container.manager':'cri-o',"
                                "'io.kubernetes.pod.name':'p','io.kubernetes.pod.namespace':'n',"
                                "'io.kubernetes.pod.uid':'u','io.kubernetes.container.name':'c'}}",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, false, "p", "n", "u", "c");
    /* another manager (podman) without any Kubernetes runtime keys */
    expect_einval_tmpl("{'annotations':{'io.container.manager':'libpod',"
                       "'io.kubernetes.pod.name':'p'}}");
    expect_einval_tmpl("{'annotations':{'io.container.manager':'cri-o\\u0000',"
                       "'io.kubernetes.pod.name':'p'}}");
    expect_einval_tmpl("{'annotations':{'io.container.manager':7,'io.kubernetes.pod.name':'p'}}");
}

/* CRI-O copies a pod's annotations into its sandbox's spec, so a user can plant containerd's
 * keys there; CRI-O's own keys must win. */
static void test_crio_wins_over_planted_containerd_keys(void **state)
{
    struct oci_identity id;

    (void)state;
    assert_int_equal(
        parse_variant(CRIO_SANDBOX, "'prometheus.io/scrape':'true'",
                      "'prometheus.io/scrape':'true','io.kubernetes.cri.sandbox-name':'victim',"
                      "'io.kubernetes.cri.sandbox-namespace':'kube-system',"
                      "'io.kubernetes.cri.container-type':'container'",
                      &id),
        0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "POD");
}

static void test_minimal_documents(void **state)
{
    struct oci_identity id;

    (void)state;
    /* any io.kubernetes.cri.* key makes it containerd, even with no names */
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-id':'x'}}", &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "", "", "", "");
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri-o.Created':'x'}}", &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, "", "", "", "");
    /* the annotation values need not be strings for detection: keys are enough */
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-id':{}}}", &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "", "", "", "");
    /* whitespace around is fine */
    assert_int_equal(parse_tmpl(" \n\t{ 'annotations' : { 'io.kubernetes.cri.sandbox-name' : "
                                "'a' } }\r\n ",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "a", "", "", "");
}

static void test_not_kubernetes(void **state)
{
    (void)state;
    /* plain runc bundle, no annotations */
    expect_einval_tmpl("{'ociVersion':'1.1.0','process':{'args':['sh']},'root':{'path':'rootfs'}}");
    expect_einval_tmpl("{'annotations':{}}");
    /* a prefix without its dot, prefixes of other projects, kubelet's own keys alone */
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri':'x','io.kubernetes.cri-o':'x'}}");
    expect_einval_tmpl("{'annotations':{'io.kubernetes.pod.name':'p','io.kubernetes.pod.uid':'u',"
                       "'io.kubernetes.container.name':'c','org.opencontainers.image.ref':'x'}}");
    expect_einval_tmpl("{'annotations':{'IO.KUBERNETES.CRI.sandbox-name':'p'}}");
    /* annotations that are not an object */
    expect_einval_tmpl("{'annotations':null}");
    expect_einval_tmpl("{'annotations':'io.kubernetes.cri.sandbox-name'}");
    expect_einval_tmpl("{'annotations':['io.kubernetes.cri.sandbox-name','p']}");
    expect_einval_tmpl("{'annotations':42}");
    expect_einval_tmpl("{'annotations':true}");
    /* annotations only somewhere below the top level */
    expect_einval_tmpl("{'process':{'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}}");
    expect_einval_tmpl("{'Annotations':{'io.kubernetes.cri.sandbox-name':'p'}}");
}

static void test_empty_and_non_object(void **state)
{
    struct oci_identity id;

    (void)state;
    expect_parse_error("", 0, -EINVAL);
    EXPECT_EINVAL_STR(" ");
    EXPECT_EINVAL_STR("\n\n");
    EXPECT_EINVAL_STR("null");
    EXPECT_EINVAL_STR("true");
    EXPECT_EINVAL_STR("42");
    EXPECT_EINVAL_STR("\"annotations\"");
    EXPECT_EINVAL_STR("[]");
    EXPECT_EINVAL_STR("{}");
    EXPECT_EINVAL_STR("[{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\"}}]");
    EXPECT_EINVAL_STR("\xef\xbb\xbf{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\"}}");
    /* single quotes are not JSON (the raw template, unconverted) */
    EXPECT_EINVAL_STR("{'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}");
    /* NULL arguments */
    assert_int_equal(oci_parse_config(NULL, 0, &id), -EINVAL);
    expect_zeroed(&id);
    assert_int_equal(oci_parse_config("{}", 2, NULL), -EINVAL);
}

/* Every prefix of a real document is an error until the closing brace is in, then it parses. */
static void check_all_prefixes(const char *tmpl, enum cg_runtime runtime)
{
    size_t len, end;
    char *doc = doc_from_template(tmpl, &len);
    struct oci_identity id;

    for (end = len; end > 0 && doc[end - 1] != '}'; end--)
        ;
    assert_true(end > 0);
    for (size_t n = 0; n <= len; n++) {
        int rc = parse_exact(doc, n, &id);

        if (n < end) {
            assert_int_equal(rc, -EINVAL);
            expect_zeroed(&id);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(id.runtime, runtime);
        }
    }
    free(doc);
}

static void test_truncated_documents(void **state)
{
    (void)state;
    check_all_prefixes(CONTAINERD_APP, RUNTIME_CONTAINERD);
    check_all_prefixes(CONTAINERD_SANDBOX, RUNTIME_CONTAINERD);
    check_all_prefixes(CRIO_APP, RUNTIME_CRIO);
    check_all_prefixes(CRIO_SANDBOX, RUNTIME_CRIO);
}

static void test_trailing_bytes(void **state)
{
    struct oci_identity id;
    size_t len;
    char *doc = doc_from_template(CONTAINERD_APP, &len);
    char *longer = malloc(len + 2);

    (void)state;
    assert_non_null(longer);
    memcpy(longer, doc, len);
    /* whitespace after the document is fine */
    memcpy(longer + len, " \n", 2);
    assert_int_equal(parse_exact(longer, len + 2, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
    /* anything else is not: garbage, a second document, a NUL byte, a stray brace */
    memcpy(longer + len, "x", 1);
    expect_parse_error(longer, len + 1, -EINVAL);
    memcpy(longer + len, "{}", 2);
    expect_parse_error(longer, len + 2, -EINVAL);
    memcpy(longer + len, "\0", 1);
    expect_parse_error(longer, len + 1, -EINVAL);
    memcpy(longer + len, "}", 1);
    expect_parse_error(longer, len + 1, -EINVAL);
    free(longer);
    free(doc);
}

/* ---- field validation ---------------------------------------------------------------------- */

struct field_case {
    const char *tmpl;
    const char *key; /* the annotation carrying the field, in template quoting */
    const char *good;
    size_t offset; /* of the field in struct oci_identity */
};

static const struct field_case field_cases[] = {
    {CONTAINERD_APP, "'io.kubernetes.cri.sandbox-name':", "'" POD "'",
     offsetof(struct oci_identity, pod_name)},
    {CONTAINERD_APP, "'io.kubernetes.cri.sandbox-namespace':", "'" NS "'",
     offsetof(struct oci_identity, pod_namespace)},
    {CONTAINERD_APP, "'io.kubernetes.cri.sandbox-uid':", "'" UID "'",
     offsetof(struct oci_identity, pod_uid)},
    {CONTAINERD_APP, "'io.kubernetes.cri.container-name':", "'nginx'",
     offsetof(struct oci_identity, container_name)},
    {CRIO_APP, "'io.kubernetes.pod.name':", "'" POD "'", offsetof(struct oci_identity, pod_name)},
    {CRIO_APP, "'io.kubernetes.pod.namespace':", "'" NS "'",
     offsetof(struct oci_identity, pod_namespace)},
    {CRIO_APP, "'io.kubernetes.pod.uid':", "'" UID "'", offsetof(struct oci_identity, pod_uid)},
    {CRIO_APP, "'io.kubernetes.container.name':", "'nginx'",
     offsetof(struct oci_identity, container_name)},
};

/* Parses fc->tmpl with the field's value replaced by value (template quoting); returns the rc
 * and checks that every other field kept its value. */
static int parse_field(const struct field_case *fc, const char *value, struct oci_identity *id)
{
    char from[256], to[8192];
    struct oci_identity ref;
    int rc;

    snprintf(from, sizeof(from), "%s%s", fc->key, fc->good);
    snprintf(to, sizeof(to), "%s%s", fc->key, value);
    assert_int_equal(parse_tmpl(fc->tmpl, &ref), 0);
    rc = parse_variant(fc->tmpl, from, to, id);
    if (rc == 0) {
        static const size_t fields[] = {
            offsetof(struct oci_identity, pod_name),
            offsetof(struct oci_identity, pod_namespace),
            offsetof(struct oci_identity, pod_uid),
            offsetof(struct oci_identity, container_name),
        };

        assert_int_equal(id->runtime, ref.runtime);
        assert_int_equal(id->is_sandbox, ref.is_sandbox);
        assert_true(id->has_kubernetes);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (fields[i] != fc->offset)
                assert_string_equal((const char *)id + fields[i], (const char *)&ref + fields[i]);
        }
    }
    return rc;
}

static const char *field_of(const struct oci_identity *id, const struct field_case *fc)
{
    return (const char *)id + fc->offset;
}

static void expect_field_dropped(const struct field_case *fc, const char *value)
{
    struct oci_identity id;

    assert_int_equal(parse_field(fc, value, &id), 0);
    assert_string_equal(field_of(&id, fc), "");
}

static void expect_field_kept(const struct field_case *fc, const char *value, const char *want)
{
    struct oci_identity id;

    assert_int_equal(parse_field(fc, value, &id), 0);
    assert_string_equal(field_of(&id, fc), want);
}

static void test_field_not_a_string(void **state)
{
    static const char *const values[] = {
        "42",           "-1", "1.5e3", "18446744073709551616", "true", "false", "null", "{}",
        "{'name':'x'}", "[]", "['x']",
    };

    (void)state;
    for (size_t f = 0; f < sizeof(field_cases) / sizeof(field_cases[0]); f++) {
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
            expect_field_dropped(&field_cases[f], values[v]);
        expect_field_dropped(&field_cases[f], "''");
    }
}

static void test_field_length_limits(void **state)
{
    char value[400], want[400];

    (void)state;
    for (size_t f = 0; f < sizeof(field_cases) / sizeof(field_cases[0]); f++) {
        const struct field_case *fc = &field_cases[f];
        size_t limit = fc->offset == offsetof(struct oci_identity, pod_name)  ? K8S_NAME_MAX
                       : fc->offset == offsetof(struct oci_identity, pod_uid) ? POD_UID_MAX
                                                                              : K8S_LABEL_NAME_MAX;

        /* exactly at the limit: kept; one more, and 300: dropped */
        memset(want, 'a', limit);
        want[limit] = '\0';
        snprintf(value, sizeof(value), "'%s'", want);
        expect_field_kept(fc, value, want);
        snprintf(value, sizeof(value), "'%sa'", want);
        expect_field_dropped(fc, value);
        memset(value + 1, 'b', 300);
        value[0] = value[301] = '\'';
        value[302] = '\0';
        expect_field_dropped(fc, value);
    }
    /* the limits are those of the header */
    assert_int_equal(K8S_NAME_MAX, 253);
    assert_int_equal(K8S_LABEL_NAME_MAX, 63);
    assert_int_equal(POD_UID_MAX, 36);
}

static void test_field_characters(void **state)
{
    static const char *const bad[] = {
        "'a/b'",
        "'/'",
        "'../../etc'",
        "'.'",
        "'..'",
        "'a\\/b'",
        "'a\\u002fb'",
        /* a NUL inside, at the end, at the start (jansson keeps it; strlen would stop) */
        "'a\\u0000b'",
        "'a\\u0000'",
        "'\\u0000a'",
        /* C0 controls, DEL, escape sequences, newline log forging */
        "'a\\tb'",
        "'a\\nb'",
        "'a\\rb'",
        "'\\u001b[2Jx'",
        "'a\\u007f'",
        "'a\\u0001'",
        "'ok\\nERROR fake line'",
        /* non-ASCII: é, a C1 control, a bidi override */
        "'caf\\u00e9'",
        "'caf\xc3\xa9'",
        "'a\\u0085b'",
        "'a\\u202eb'",
    };
    static const char *const good[] = {"'a'", "'web-1.b'", "'a.b.c'", "'...'", "'.a'", "'a..'"};

    (void)state;
    for (size_t f = 0; f < sizeof(field_cases) / sizeof(field_cases[0]); f++) {
        for (size_t v = 0; v < sizeof(bad) / sizeof(bad[0]); v++)
            expect_field_dropped(&field_cases[f], bad[v]);
        for (size_t v = 0; v < sizeof(good) / sizeof(good[0]); v++) {
            char want[16];

            snprintf(want, sizeof(want), "%.*s", (int)strlen(good[v]) - 2, good[v] + 1);
            expect_field_kept(&field_cases[f], good[v], want);
        }
    }
}

static void test_nul_in_key(void **state)
{
    (void)state;
    /* jansson refuses a NUL in an object key even with JSON_ALLOW_NUL: whole document fails.
     * Kubernetes annotation keys are qualified names, so real documents never have one. */
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name\\u0000x':'p'}}");
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'p','x\\u0000':'y'}}");
    /* a raw (unescaped) NUL or control byte inside a string is invalid JSON */
    expect_parse_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"a\0b\"}}", 54,
                       -EINVAL);
    expect_parse_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"a\tb\"}}", 54,
                       -EINVAL);
}

static void test_nul_elsewhere_still_parses(void **state)
{
    struct oci_identity id;

    (void)state;
    /* a user's pod annotation with a NUL, copied into the spec, must not cost the names */
    assert_int_equal(parse_variant(CRIO_SANDBOX, "'prometheus.io/scrape':'true'",
                                   "'prometheus.io/scrape':'tr\\u0000ue'", &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "POD");
}

/* ---- structure ----------------------------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, size_t n, const char *mid,
                    const char *unit2, size_t n2, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), ml = strlen(mid), u2l = strlen(unit2),
           tl = strlen(tail);
    size_t total = hl + ul * n + ml + u2l * n2 + tl;
    char *buf = malloc(total ? total : 1), *p = buf;

    assert_non_null(buf);
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < n; i++, p += ul)
        memcpy(p, unit, ul);
    memcpy(p, mid, ml);
    p += ml;
    for (size_t i = 0; i < n2; i++, p += u2l)
        memcpy(p, unit2, u2l);
    memcpy(p, tail, tl);
    *len = total;
    return buf;
}

static void test_deep_nesting(void **state)
{
    struct oci_identity id;
    size_t len;
    char *doc;

    (void)state;
    /* 50k unclosed brackets */
    doc = repeat("", "[", 50000, "", "", 0, "", &len);
    expect_parse_error(doc, len, -EINVAL);
    free(doc);
    /* 50k balanced brackets: still past jansson's depth limit (2048) */
    doc = repeat("", "[", 50000, "", "]", 50000, "", &len);
    expect_parse_error(doc, len, -EINVAL);
    free(doc);
    /* deep objects */
    doc = repeat("", "{\"a\":", 50000, "1", "}", 50000, "", &len);
    expect_parse_error(doc, len, -EINVAL);
    free(doc);
    /* inside an annotation value of an otherwise good document */
    doc = repeat("{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\",\"x\":", "[", 50000,
                 "", "]", 50000, "}}", &len);
    expect_parse_error(doc, len, -EINVAL);
    free(doc);
    /* 1000 deep is within the limit: parses, the deep value is ignored */
    doc = repeat("{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\",\"x\":", "[", 1000, "",
                 "]", 1000, "}}", &len);
    assert_int_equal(parse_exact(doc, len, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "p", "", "", "");
    free(doc);
    /* and as the name field itself: dropped */
    doc = repeat("{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":", "[", 1000, "", "]", 1000,
                 ",\"io.kubernetes.cri.sandbox-namespace\":\"n\"}}", &len);
    assert_int_equal(parse_exact(doc, len, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "", "n", "", "");
    free(doc);
}

static void test_duplicate_keys(void **state)
{
    struct oci_identity id;

    (void)state;
    /* the last value wins, as in Go's encoding/json */
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'first',"
                                "'io.kubernetes.cri.sandbox-name':'second'}}",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "second", "", "", "");
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'first',"
                                "'io.kubernetes.cri.sandbox-name':7}}",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "", "", "", "");
    /* a whole second annotations object replaces the first */
    assert_int_equal(parse_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'first'},"
                                "'annotations':{'io.kubernetes.pod.name':'crio',"
                                "'io.container.manager':'cri-o'}}",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CRIO, false, "crio", "", "", "");
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'first'},"
                       "'annotations':null}");
    /* duplicates elsewhere in a real document do not matter */
    assert_int_equal(parse_variant(CONTAINERD_APP, "'root':{'path':'rootfs'}",
                                   "'root':{'path':'rootfs','path':'x'},'root':{'path':'rootfs'}",
                                   &id),
                     0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* jansson refuses invalid UTF-8 anywhere (Go never writes it): the document fails */
    static const char *const bad[] = {
        "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char to[64];

        snprintf(to, sizeof(to), "'io.kubernetes.cri.sandbox-name':'web%s'", bad[i]);
        char *v = variant(CONTAINERD_APP, "'io.kubernetes.cri.sandbox-name':'" POD "'", to);
        expect_einval_tmpl(v);
        free(v);
        snprintf(to, sizeof(to), "'NGINX_VERSION=1.25.3%s'", bad[i]);
        v = variant(CONTAINERD_APP, "'NGINX_VERSION=1.25.3'", to);
        expect_einval_tmpl(v);
        free(v);
    }
    /* lone surrogates in escapes likewise */
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'a\\ud800'}}");
    expect_einval_tmpl("{'annotations':{'io.kubernetes.cri.sandbox-name':'a\\udc00b'}}");
}

static void test_numbers(void **state)
{
    struct oci_identity id;

    (void)state;
    /* uint64 values past int64 (rlimits) are accepted; numbers are never read */
    assert_int_equal(parse_tmpl("{'process':{'rlimits':[{'type':'RLIMIT_CORE',"
                                "'hard':18446744073709551615,'soft':-9223372036854775809}]},"
                                "'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}",
                                &id),
                     0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, "p", "", "", "");
    /* a number that does not fit a double is a parse error, as for Go */
    expect_einval_tmpl("{'x':1e999,'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}");
    expect_einval_tmpl("{'x':01,'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}");
    expect_einval_tmpl("{'x':NaN,'annotations':{'io.kubernetes.cri.sandbox-name':'p'}}");
}

/* ---- size cap ------------------------------------------------------------------------------ */

/* total bytes: pad whitespace, then the document */
static char *padded_doc(const char *tmpl, size_t total, size_t *len)
{
    size_t dlen;
    char *doc = doc_from_template(tmpl, &dlen);
    char *buf;

    assert_true(total >= dlen);
    buf = malloc(total);
    assert_non_null(buf);
    for (size_t i = 0; i < total - dlen; i++)
        buf[i] = " \n\t\r"[i % 4];
    memcpy(buf + total - dlen, doc, dlen);
    free(doc);
    *len = total;
    return buf;
}

static void test_size_cap(void **state)
{
    struct oci_identity id;
    size_t len;
    char *buf;

    (void)state;
    assert_int_equal(OCI_CONFIG_MAX_BYTES, 4u << 20);
    /* 3 MiB of whitespace, then a real document: within the cap */
    buf = padded_doc(CRIO_APP, (size_t)3 << 20, &len);
    assert_int_equal(parse_exact(buf, len, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
    free(buf);
    /* exactly at the cap */
    buf = padded_doc(CRIO_APP, OCI_CONFIG_MAX_BYTES, &len);
    assert_int_equal(parse_exact(buf, len, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
    free(buf);
    /* one byte more: refused before parsing */
    buf = padded_doc(CRIO_APP, OCI_CONFIG_MAX_BYTES + 1, &len);
    expect_parse_error(buf, len, -E2BIG);
    free(buf);
    /* a length far past the buffer: refused without reading it */
    memset(&id, 0xa5, sizeof(id));
    assert_int_equal(oci_parse_config("{}", SIZE_MAX, &id), -E2BIG);
    expect_zeroed(&id);
    assert_int_equal(oci_parse_config(NULL, SIZE_MAX, &id), -E2BIG);
}

static void test_default_dirs(void **state)
{
    (void)state;
    assert_int_equal(oci_default_runtime_dirs_count, 2);
    assert_string_equal(oci_default_runtime_dirs[0],
                        "/run/containerd/io.containerd.runtime.v2.task/k8s.io");
    assert_string_equal(oci_default_runtime_dirs[1], "/run/containers/storage/overlay-containers");
}

/* ---- oci_load_identity --------------------------------------------------------------------- */

struct tree {
    char root[256];
    char a[300]; /* <root>/a and <root>/b: two runtime directories */
    char b[300];
};

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    assert_int_equal(tu_tmpdir(t->root, sizeof(t->root), "oci"), 0);
    /* mkdtemp makes 0700; the unprivileged child of the permission test must get through */
    assert_int_equal(chmod(t->root, 0755), 0);
    snprintf(t->a, sizeof(t->a), "%s/a", t->root);
    snprintf(t->b, sizeof(t->b), "%s/b", t->root);
    assert_int_equal(tu_mkdirs("%s", t->a), 0);
    assert_int_equal(tu_mkdirs("%s", t->b), 0);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;

    tu_rm_rf(t->root);
    free(t);
    return 0;
}

/* Writes a template document to <dir>/<id>/<rel>. */
static void put_doc(const char *dir, const char *id, const char *rel, const char *tmpl)
{
    char path[1024];
    size_t len;
    char *doc = doc_from_template(tmpl, &len);

    snprintf(path, sizeof(path), "%s/%s/%s", dir, id, rel);
    assert_int_equal(tu_write_file(path, doc, len), 0);
    free(doc);
}

static int load(const struct tree *t, size_t ndirs, const char *id, struct oci_identity *out)
{
    const char *dirs[] = {t->a, t->b};

    memset(out, 0xa5, sizeof(*out));
    return oci_load_identity(dirs, ndirs, id, out);
}

static void test_load_containerd_layout(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;

    put_doc(t->a, CT_ID, "config.json", CONTAINERD_APP);
    put_doc(t->a, SB_ID, "config.json", CONTAINERD_SANDBOX);
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
    assert_int_equal(load(t, 2, SB_ID, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, true, POD, NS, UID, "");
}

static void test_load_crio_layout(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;

    put_doc(t->a, CT_ID, "userdata/config.json", CRIO_APP);
    put_doc(t->a, SB_ID, "userdata/config.json", CRIO_SANDBOX);
    assert_int_equal(load(t, 1, CT_ID, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
    assert_int_equal(load(t, 1, SB_ID, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, true, POD, NS, UID, "POD");
}

static void test_load_second_dir(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;

    /* the first directory has the container's directory but no config.json in it */
    assert_int_equal(tu_mkdirs("%s/%s/userdata", t->a, CT_ID), 0);
    put_doc(t->b, CT_ID, "userdata/config.json", CRIO_APP);
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
    expect_identity(&id, RUNTIME_CRIO, false, POD, NS, UID, "nginx");
    /* with only the first directory: not found */
    assert_int_equal(load(t, 1, CT_ID, &id), -ENOENT);
    expect_zeroed(&id);
}

static void test_load_order(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;

    /* <dir>/<id>/config.json is tried before <dir>/<id>/userdata/config.json */
    put_doc(t->a, CT_ID, "config.json", CONTAINERD_APP);
    put_doc(t->a, CT_ID, "userdata/config.json", CRIO_APP);
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
    assert_int_equal(id.runtime, RUNTIME_CONTAINERD);
    /* the first directory is tried before the second */
    put_doc(t->b, SB_ID, "config.json", CONTAINERD_SANDBOX);
    put_doc(t->a, SB_ID, "userdata/config.json", CRIO_SANDBOX);
    assert_int_equal(load(t, 2, SB_ID, &id), 0);
    assert_int_equal(id.runtime, RUNTIME_CRIO);
    /* the first bundle found decides, even when it is broken */
    put_doc(t->a, SB_ID, "config.json", "{'annotations':");
    assert_int_equal(load(t, 2, SB_ID, &id), -EINVAL);
    expect_zeroed(&id);
}

static void test_load_missing(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    char path[1024];
    const char *dirs[] = {NULL, "", "/nonexistent/kmetrics", t->a};

    assert_int_equal(load(t, 2, CT_ID, &id), -ENOENT);
    expect_zeroed(&id);
    assert_int_equal(load(t, 0, CT_ID, &id), -ENOENT);
    assert_int_equal(oci_load_identity(NULL, 0, CT_ID, &id), -ENOENT);
    /* NULL and "" entries are skipped, as is a directory that does not exist */
    assert_int_equal(oci_load_identity(dirs, 4, CT_ID, &id), -ENOENT);
    put_doc(t->a, CT_ID, "config.json", CONTAINERD_APP);
    assert_int_equal(oci_load_identity(dirs, 4, CT_ID, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
    /* <dir>/<id> is a file, not a directory (ENOTDIR): not there */
    snprintf(path, sizeof(path), "%s/%s", t->b, SB_ID);
    assert_int_equal(tu_write_file(path, "x", 1), 0);
    assert_int_equal(load(t, 2, SB_ID, &id), -ENOENT);
    /* a trailing slash on a directory is fine */
    snprintf(path, sizeof(path), "%s/", t->a);
    dirs[0] = path;
    assert_int_equal(oci_load_identity(dirs, 1, CT_ID, &id), 0);
}

static void test_load_bad_ids(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    static const char *const bad[] = {
        "../../etc",
        "",
        CT_ID "0",
        "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b7",  /* 63 */
        "A42D519714D616E9411DBCEEC4B52808BD6B1EE53E6F6497A281D655357D8B71", /* upper case */
        "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b7G",
        "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b7g",
        /* 64 characters of traversal */
        "../../../../../../../../../../../../../../../../../../../../../e",
        "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b/1",
        "a42d519714d616e9411dbceec4b52808bd6b1ee53e6f6497a281d655357d8b7 ",
    };

    /* a bundle exists under every hex-ish name: the refusal must come before any lookup */
    put_doc(t->a, CT_ID, "config.json", CONTAINERD_APP);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load(t, 2, bad[i], &id), -EINVAL);
        expect_zeroed(&id);
    }
    assert_int_equal(load(t, 2, NULL, &id), -EINVAL);
    assert_int_equal(oci_load_identity(NULL, 1, CT_ID, &id), -EINVAL);
    assert_int_equal(oci_load_identity((const char *const[]){t->a}, 1, CT_ID, NULL), -EINVAL);
    /* and the good one works */
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
}

static void test_load_not_regular(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    char path[1024], target[1024];

    /* a directory named config.json */
    assert_int_equal(tu_mkdirs("%s/%s/config.json", t->a, CT_ID), 0);
    assert_int_equal(load(t, 2, CT_ID, &id), -EINVAL);
    expect_zeroed(&id);
    /* a FIFO: refused, and open() must not block waiting for a writer */
    assert_int_equal(tu_mkdirs("%s/%s/userdata", t->a, SB_ID), 0);
    snprintf(path, sizeof(path), "%s/%s/userdata/config.json", t->a, SB_ID);
    assert_int_equal(mkfifo(path, 0644), 0);
    assert_int_equal(load(t, 2, SB_ID, &id), -EINVAL);
    /* a symlink in config.json's place is not followed, even to a good document */
    put_doc(t->b, CT_ID, "real.json", CONTAINERD_APP);
    snprintf(target, sizeof(target), "%s/%s/real.json", t->b, CT_ID);
    snprintf(path, sizeof(path), "%s/%s/config.json", t->b, CT_ID);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(load(t, 1, CT_ID, &id), -EINVAL); /* the directory in a comes first */
    {
        const char *dirs[] = {t->b};

        assert_int_equal(oci_load_identity(dirs, 1, CT_ID, &id), -ELOOP);
        expect_zeroed(&id);
    }
}

static void make_sized_file(const char *path, off_t size)
{
    int fd;

    assert_int_equal(tu_write_file(path, "", 0), 0);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0); /* sparse: no disk used */
    close(fd);
}

static void test_load_sizes(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    char path[1024];
    size_t len;
    char *buf;

    /* one byte past the cap: refused from fstat, before reading */
    snprintf(path, sizeof(path), "%s/%s/config.json", t->a, CT_ID);
    make_sized_file(path, (off_t)OCI_CONFIG_MAX_BYTES + 1);
    assert_int_equal(load(t, 2, CT_ID, &id), -E2BIG);
    expect_zeroed(&id);
    make_sized_file(path, (off_t)1 << 40);
    assert_int_equal(load(t, 2, CT_ID, &id), -E2BIG);
    /* exactly at the cap, all NUL bytes: read whole, then not JSON */
    make_sized_file(path, (off_t)OCI_CONFIG_MAX_BYTES);
    assert_int_equal(load(t, 2, CT_ID, &id), -EINVAL);
    /* exactly at the cap, whitespace then a document: parses */
    buf = padded_doc(CONTAINERD_APP, OCI_CONFIG_MAX_BYTES, &len);
    assert_int_equal(tu_write_file(path, buf, len), 0);
    free(buf);
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
    expect_identity(&id, RUNTIME_CONTAINERD, false, POD, NS, UID, "nginx");
    /* empty file */
    assert_int_equal(tu_write_file(path, "", 0), 0);
    assert_int_equal(load(t, 2, CT_ID, &id), -EINVAL);
    expect_zeroed(&id);
}

static void test_load_long_path(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    char *dir = malloc(5000);
    const char *dirs[1];

    assert_non_null(dir);
    memset(dir, 'd', 4999);
    dir[0] = '/';
    dir[4999] = '\0';
    dirs[0] = dir;
    assert_int_equal(oci_load_identity(dirs, 1, CT_ID, &id), -ENAMETOOLONG);
    expect_zeroed(&id);
    free(dir);
    (void)t;
}

static void test_load_permission_denied(void **state)
{
    struct tree *t = *state;
    struct oci_identity id;
    char path[1024];
    int status;
    pid_t pid;

    put_doc(t->a, CT_ID, "config.json", CONTAINERD_APP);
    snprintf(path, sizeof(path), "%s/%s/config.json", t->a, CT_ID);
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) {
        /* not root: mode 000 keeps even the owner out */
        assert_int_equal(load(t, 2, CT_ID, &id), -EACCES);
        expect_zeroed(&id);
        return;
    }
    /* root reads it anyway (CAP_DAC_OVERRIDE); nobody does not */
    assert_int_equal(load(t, 2, CT_ID, &id), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static const struct oci_identity zero;
        int rc;

        if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(100);
        rc = load(t, 2, CT_ID, &id);
        if (rc != -EACCES) {
            fprintf(stderr, "child: got %d, want %d\n", rc, -EACCES);
            _exit(1);
        }
        _exit(memcmp(&id, &zero, sizeof(zero)) ? 2 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Many tiny values would make jansson allocate ~70 bytes each: refused before parsing. Commas
 * and brackets inside strings do not count. */
static void test_value_count_cap(void **state)
{
    static const char head[] = "{\"annotations\":{\"io.container.manager\":\"cri-o\","
                               "\"io.kubernetes.pod.name\":\"p\"},\"x\":[";
    size_t n = OCI_CONFIG_MAX_VALUES + 10, len = 0;
    char *buf = malloc(sizeof(head) + n * 3 + 8);
    struct oci_identity id;

    (void)state;
    memcpy(buf, head, sizeof(head) - 1);
    len = sizeof(head) - 1;
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + len, i ? ",{}" : "{}", i ? 3 : 2);
        len += i ? 3 : 2;
    }
    memcpy(buf + len, "]}", 2);
    len += 2;
    expect_parse_error(buf, len, -E2BIG);

    /* The same bytes as one string value: one value, parsed fine. */
    len = sizeof(head) - 1;
    buf[len++] = '"';
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + len, ",[{", 3);
        len += 3;
    }
    memcpy(buf + len, "\"]}", 3);
    len += 3;
    assert_int_equal(oci_parse_config(buf, len, &id), 0);
    assert_string_equal(id.pod_name, "p");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_containerd_app),
        cmocka_unit_test(test_containerd_sandbox),
        cmocka_unit_test(test_containerd_without_sandbox_uid),
        cmocka_unit_test(test_containerd_container_type),
        cmocka_unit_test(test_crio_app),
        cmocka_unit_test(test_crio_sandbox),
        cmocka_unit_test(test_crio_sandbox_signals),
        cmocka_unit_test(test_crio_detection),
        cmocka_unit_test(test_crio_wins_over_planted_containerd_keys),
        cmocka_unit_test(test_minimal_documents),
        cmocka_unit_test(test_not_kubernetes),
        cmocka_unit_test(test_empty_and_non_object),
        cmocka_unit_test(test_truncated_documents),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_field_not_a_string),
        cmocka_unit_test(test_field_length_limits),
        cmocka_unit_test(test_field_characters),
        cmocka_unit_test(test_nul_in_key),
        cmocka_unit_test(test_nul_elsewhere_still_parses),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_default_dirs),
        cmocka_unit_test_setup_teardown(test_load_containerd_layout, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_crio_layout, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_second_dir, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_order, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_ids, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_not_regular, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_sizes, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_long_path, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_load_permission_denied, tree_setup, tree_teardown),
        cmocka_unit_test(test_value_count_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
