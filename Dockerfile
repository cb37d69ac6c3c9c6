# syntax=docker/dockerfile:1
# Build: docker build -t ecswatch .
# The result is a static binary on distroless: no shell, non-root (65532).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/ecswatch ./cmd/ecswatch

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ecswatch /ecswatch
USER 65532:65532
# 9787: ecswatch's metrics port (9779 is prometheus-community/ecs_exporter's).
EXPOSE 9787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/ecswatch", "healthcheck"]
ENTRYPOINT ["/ecswatch"]
CMD ["run"]
