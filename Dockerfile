# syntax=docker/dockerfile:1
#
# proxy-gateway: a release build in a small non-root runtime image.
#
#   docker build -t proxy-gateway .
#   docker run -p 8080:8080 proxy-gateway          # embedded SQLite, sandbox mode
#
# Stages: `chef` (toolchain + cargo-chef), `planner` (the dependency recipe), `builder`
# (dependencies in their own cached layer, then the gateway), and the runtime image, which holds
# the binary and nothing else (no shell, no curl: the health check is the binary itself).
# The build needs crates.io and nothing else (TLS is rustls with ring; SQLite is bundled).

# Keep at or above `rust-version` in Cargo.toml (tests/it/deploy/files.rs checks it).
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Rebuilt only when Cargo.toml or Cargo.lock change, not on every source change.
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin proxy-gateway \
    && install -D -m 0755 target/release/proxy-gateway /out/proxy-gateway \
    && install -d -m 0750 -o 65532 -g 65532 /out/state

# distroless/cc: glibc and libgcc for a Debian 12 (bookworm) build, no shell, no package
# manager; the :nonroot tag runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /out/proxy-gateway /usr/local/bin/proxy-gateway
# The working directory holds ./data/proxy-gateway.db when no PGW_DATABASE_URL is given.
COPY --from=builder --chown=65532:65532 /out/state /var/lib/proxy-gateway
WORKDIR /var/lib/proxy-gateway
ENV PGW_LISTEN=0.0.0.0:8080 \
    PGW_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
# The gateway drains in-flight requests on SIGTERM for up to PGW_SHUTDOWN_GRACE_SECS (30 s by
# default): give `docker stop` / compose `stop_grace_period` a little more than that.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/proxy-gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/proxy-gateway"]
CMD ["serve"]
