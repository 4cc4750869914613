# agent as a container image: `agent run` on the deploy node.
#
#   docker build -t agent .
#   docker build --build-arg BUILDER_IMAGE=localhost/rust-builder:bookworm -t agent .
#
# Mounts (read-only unless noted):
#   /etc/agent/agent.yaml    the agent configuration (CMD reads it)
#   /etc/agent/id_ed25519    SSH private key for hosts and ssh:// repos (ssh.identityFile)
#   /etc/agent/known_hosts   pinned SSH host keys (ssh.knownHosts)
#   /etc/agent/kubeconfig    Kubernetes credentials (kubeconfig)
#   /var/lib/agent           state: status file, lock, Git cache (read-write, owned by uid 10001)
# Port: the status/metrics listener (`listen:`; use 0.0.0.0:9440 inside a container).
#
# Without a registry (as on the project's build machines): make the builder from a
# debootstrap root (build-essential, pkg-config, libssl-dev, git) plus a Rust toolchain
# under /usr/local/rust/bin on PATH, import it and a minbase runtime root with podman, and
#   podman build --runtime /usr/sbin/runc --network host \
#     --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
#     -v "$HOME/.cargo/registry:/usr/local/cargo/registry" --build-arg CARGO_NET_OFFLINE=true \
#     --build-arg BUILDER_IMAGE=localhost/rust-builder:bookworm \
#     --build-arg RUNTIME_IMAGE=localhost/debian:bookworm-slim -t localhost/agent:test .

# The builder is an argument so that it can be replaced by a locally made image where no
# registry is reachable; it needs a Rust toolchain, a C compiler, pkg-config and libssl-dev.
ARG BUILDER_IMAGE=docker.io/library/rust:1-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
# Official Rust images have the C toolchain; add what the git2/openssl build needs if missing.
RUN if ! pkg-config --exists openssl 2>/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY . .
# CARGO_NET_OFFLINE=true builds from a mounted, pre-filled cargo registry.
ARG CARGO_NET_OFFLINE=false
ENV CARGO_NET_OFFLINE=${CARGO_NET_OFFLINE}
RUN cargo build --release --locked -p agent --bin agent \
    && install -D -m 0755 target/release/agent /out/agent

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssh-client git ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 agent \
    && useradd --system --uid 10001 --gid agent --home-dir /var/lib/agent --shell /usr/sbin/nologin agent \
    && install -d -o agent -g agent -m 0750 /var/lib/agent \
    && install -d -m 0755 /etc/agent
COPY --from=build /out/agent /usr/local/bin/agent
USER agent
WORKDIR /var/lib/agent
ENV XDG_CACHE_HOME=/var/lib/agent/cache
VOLUME ["/var/lib/agent"]
EXPOSE 9440
ENTRYPOINT ["agent"]
CMD ["run", "-v", "--config", "/etc/agent/agent.yaml"]
