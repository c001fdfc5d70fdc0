# mailconf as a container image: a static binary on distroless, run as a
# non-root user.
#
#   docker build -t mailconf .
#   docker run --rm -v "$PWD:/work" -e CLOUDFLARE_API_TOKEN mailconf plan -c /work
#
# The image holds the binary and nothing else: no configuration, no keys.
# Mount the configuration directory and pass secrets as environment
# variables (or mounted files) at run time.

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: a static binary that needs no libc, for the distroless
# static image below; -trimpath keeps the builder's paths out of it.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/mailconf ./cmd/mailconf

# distroless/static has CA certificates (for the providers' HTTPS APIs and
# MTA-STS) and time zone data, and no shell. The nonroot tag runs as
# uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mailconf /usr/local/bin/mailconf
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/mailconf"]
CMD ["--help"]
