# kmetrics-collector: linked fully static on Debian 12, shipped alone in an empty image.
#   docker build -f deploy/docker/collector.Dockerfile -t kmetrics-collector .
# The BPF skeleton is built against the build host's kernel BTF (/sys/kernel/btf/vmlinux,
# which docker build sees); CO-RE relocates it on each node's kernel at load time.
FROM debian:bookworm AS build
WORKDIR /src
# The package list lives in one place, scripts/deps.sh (it also brings test tools; they stay
# in this stage).
COPY scripts/deps.sh scripts/
RUN ./scripts/deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make build/static/kmetrics-collector
# The root filesystem is the binary alone; scripts/build-images.sh assembles it (and refuses a
# binary ldd finds dynamic). Its offline OCI image (no Docker) is built from the same step,
# so both hold the same file.
RUN ./scripts/build-images.sh --rootfs collector build /rootfs

# Nothing else is needed: no shell, no CA store (it trusts --aggregator-ca-file only), and
# glibc's static resolver reads the /etc/hosts and /etc/resolv.conf the kubelet mounts.
FROM scratch
COPY --from=build /rootfs/ /
ENTRYPOINT ["/kmetrics-collector"]
