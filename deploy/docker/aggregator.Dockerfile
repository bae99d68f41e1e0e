# kmetrics-aggregator on Debian 12, in an image with only the binary and its libraries.
#   docker build -f deploy/docker/aggregator.Dockerfile -t kmetrics-aggregator .
FROM debian:bookworm AS build
WORKDIR /src
# The package list lives in one place, scripts/deps.sh (it also brings test tools; they stay
# in this stage).
COPY scripts/deps.sh scripts/
RUN ./scripts/deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make build/static/kmetrics-aggregator
# It cannot be fully static: Debian ships libh2o-evloop only as a shared library, and h2o
# loads OpenSSL and zlib itself (see the Makefile's static target). So the final image gets
# the binary plus exactly the shared libraries ldd lists and the loader, at their paths.
# scripts/build-images.sh assembles that root filesystem; its offline OCI image (no Docker)
# is built from the same step, so both hold the same files.
RUN ./scripts/build-images.sh --rootfs aggregator build /rootfs

# No CA store: it trusts the API server through its ServiceAccount's ca.crt.
FROM scratch
COPY --from=build /rootfs/ /
USER 65534:65534
ENTRYPOINT ["/kmetrics-aggregator"]
