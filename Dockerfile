# syntax=docker/dockerfile:1
# Two images from one Dockerfile, both a static binary on distroless: no
# shell, non-root (65532).
#   docker build -t ecswatch .                               full: sidecar, standalone, events, insights, all exporters
#   docker build --target sidecar -t ecswatch:sidecar .      sidecar only: metadata endpoint, Prometheus, Datadog (smaller, ~15 MiB RSS)

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ENV CGO_ENABLED=0
RUN LDFLAGS="-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" && \
    go build -trimpath -ldflags "$LDFLAGS" -o /out/ecswatch ./cmd/ecswatch && \
    go build -trimpath -tags sidecar -ldflags "$LDFLAGS" -o /out/ecswatch-sidecar ./cmd/ecswatch

FROM gcr.io/distroless/static-debian12:nonroot AS sidecar
COPY --from=build /out/ecswatch-sidecar /ecswatch
USER 65532:65532
# 9787: ecswatch's metrics port (9779 is prometheus-community/ecs_exporter's).
EXPOSE 9787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/ecswatch", "healthcheck"]
ENTRYPOINT ["/ecswatch"]
CMD ["run"]

FROM gcr.io/distroless/static-debian12:nonroot AS full
COPY --from=build /out/ecswatch /ecswatch
USER 65532:65532
EXPOSE 9787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/ecswatch", "healthcheck"]
ENTRYPOINT ["/ecswatch"]
CMD ["run"]
