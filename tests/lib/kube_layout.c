#include "kube_layout.h"

void kl_pod_dir(char *out, size_t n, enum cg_driver drv, enum pod_qos qos, const char *uid)
{
    const char *q = qos == QOS_BURSTABLE ? "burstable" : qos == QOS_BESTEFFORT ? "besteffort" : "";

    if (drv == CG_DRIVER_SYSTEMD) {
        char u[64];
        snprintf(u, sizeof(u), "%s", uid);
        for (char *p = u; *p; p++)
            if (*p == '-') *p = '_';
        if (q[0])
            snprintf(out, n, "kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice", q, q, u);
        else
            snprintf(out, n, "kubepods.slice/kubepods-pod%s.slice", u);
    } else {
        if (q[0])
            snprintf(out, n, "kubepods/%s/pod%s", q, uid);
        else
            snprintf(out, n, "kubepods/pod%s", uid);
    }
}

void kl_container_name(char *out, size_t n, enum cg_driver drv, enum cg_runtime rt, const char *id)
{
    if (drv == CG_DRIVER_SYSTEMD) {
        const char *prefix = rt == RUNTIME_CRIO     ? "crio-"
                             : rt == RUNTIME_DOCKER ? "docker-"
                                                    : "cri-containerd-";
        snprintf(out, n, "%s%s.scope", prefix, id);
    } else {
        snprintf(out, n, "%s%s", rt == RUNTIME_CRIO ? "crio-" : "", id);
    }
}

void kl_container_id(char *out, unsigned seed)
{
    for (int i = 0; i < 8; i++)
        snprintf(out + i * 8, 9, "%08x", seed * 2654435761u + (unsigned)i * 97u);
}

void kl_pod_uid(char *out, unsigned seed)
{
    snprintf(out, POD_UID_MAX + 1, "%08x-%04x-4%03x-8%03x-%012x", seed * 2246822519u, seed & 0xffff,
             seed & 0xfff, (seed >> 4) & 0xfff, seed * 3266489917u);
}

int kl_write_bundle(const char *runtime_dir, enum cg_runtime rt, const char *id,
                    const char *pod_uid, const char *ns, const char *pod, const char *container,
                    int sandbox)
{
    char path[4096], doc[4096];

    if (rt == RUNTIME_CRIO) {
        snprintf(path, sizeof(path), "%s/%s/userdata/config.json", runtime_dir, id);
        snprintf(doc, sizeof(doc),
                 "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"/pause\"]},"
                 "\"annotations\":{\"io.container.manager\":\"cri-o\","
                 "\"io.kubernetes.cri-o.ContainerType\":\"%s\","
                 "\"io.kubernetes.pod.name\":\"%s\",\"io.kubernetes.pod.namespace\":\"%s\","
                 "\"io.kubernetes.pod.uid\":\"%s\",\"io.kubernetes.container.name\":\"%s\"}}",
                 sandbox ? "sandbox" : "container", pod, ns, pod_uid, sandbox ? "POD" : container);
    } else {
        snprintf(path, sizeof(path), "%s/%s/config.json", runtime_dir, id);
        snprintf(doc, sizeof(doc),
                 "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/bin/app\"]},"
                 "\"annotations\":{\"io.kubernetes.cri.container-type\":\"%s\","
                 "%s%s%s"
                 "\"io.kubernetes.cri.sandbox-name\":\"%s\","
                 "\"io.kubernetes.cri.sandbox-namespace\":\"%s\","
                 "\"io.kubernetes.cri.sandbox-uid\":\"%s\","
                 "\"io.kubernetes.cri.sandbox-id\":\"%s\"},"
                 "\"linux\":{\"cgroupsPath\":\"kubepods.slice:cri-containerd:%s\"}}",
                 sandbox ? "sandbox" : "container",
                 sandbox ? "" : "\"io.kubernetes.cri.container-name\":\"", sandbox ? "" : container,
                 sandbox ? "" : "\",", pod, ns, pod_uid, id, id);
    }
    return tu_write_file(path, doc, (size_t)-1);
}
