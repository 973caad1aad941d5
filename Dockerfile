# syntax=docker/dockerfile:1
# crmsync worker image: static Go binaries (no cgo: the SQLite driver is pure Go) on distroless.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/crmsync-worker ./worker \
 && go build -trimpath -ldflags="-s -w" -o /out/crmsync ./starter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crmsync-worker /out/crmsync /usr/local/bin/
WORKDIR /home/nonroot
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/crmsync-worker"]
