# syntax=docker/dockerfile:1
# Two images from one Dockerfile, both a static binary on distroless: no
# shell, non-root (65532). Each target builds only its own binary.
#   docker build -t ecswatch .                               full: sidecar, standalone, events, insights, all exporters
#                                                            (and the sidecar build, which it runs in the sidecar role)
#   docker build --target sidecar -t ecswatch:sidecar .      sidecar only: metadata endpoint, Prometheus, Datadog, plain HTTP (smaller, ~13 MiB RSS)
#
# Base images are pinned by digest, with the tag beside it saying what the
# digest is; update both together (Dependabot's or Renovate's docker
# ecosystem keeps them fresh).

FROM golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS source
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
# Without VERSION and REVISION the binary reports the module version and VCS
# revision Go embeds at build time.
ARG VERSION
ARG REVISION

FROM source AS build-sidecar
RUN go build -trimpath -tags sidecar \
      -ldflags "-s -w ${VERSION:+-X github.com/prometheus/common/version.Version=${VERSION}} ${REVISION:+-X github.com/prometheus/common/version.Revision=${REVISION}}" \
      -o /out/ecswatch ./cmd/ecswatch

FROM source AS build-full
RUN go build -trimpath \
      -ldflags "-s -w ${VERSION:+-X github.com/prometheus/common/version.Version=${VERSION}} ${REVISION:+-X github.com/prometheus/common/version.Revision=${REVISION}}" \
      -o /out/ecswatch ./cmd/ecswatch

# runtime is what both images share; each adds its own binary.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639 AS runtime
USER 65532:65532
# 9787: ecswatch's metrics port (9779 is prometheus-community/ecs_exporter's).
EXPOSE 9787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/ecswatch", "healthcheck"]
ENTRYPOINT ["/ecswatch"]
CMD ["run"]

FROM runtime AS sidecar
COPY --from=build-sidecar /out/ecswatch /ecswatch

FROM runtime AS full
COPY --from=build-full /out/ecswatch /ecswatch
# In the sidecar role (no standalone, insights, events or OTLP) the full
# build hands over to this one, so one image serves both roles at the
# sidecar's footprint.
COPY --from=build-sidecar /out/ecswatch /ecswatch-sidecar
