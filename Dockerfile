# Multi-stage build: a static binary on an empty base image.
#   docker build -t freedompay-mock .
#   docker run --rm -p 8080:8080 freedompay-mock
#   docker run --rm -p 8080:8080 -v "$PWD/scenarios:/scenarios:ro" \
#     -e FREEDOMPAY_MOCK_SCENARIO=/scenarios/ci.toml freedompay-mock
#   docker run --rm -p 8080:8080 -v fpm-state:/state -e FREEDOMPAY_MOCK_STATE=/state freedompay-mock
# The image the binary is built in. Offline, .ci/builder-image makes one from
# the local Go toolchain and prints its name to pass here:
#   docker build --build-arg BUILDER="$(.ci/builder-image)" .
ARG BUILDER=golang:1.26
FROM ${BUILDER} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/freedompay-mock . \
 && mkdir -p /out/state

FROM scratch
COPY --from=build /out/freedompay-mock /freedompay-mock
# The repository's scenarios; mount a directory of your own over /scenarios
# and name a file in it with FREEDOMPAY_MOCK_SCENARIO.
COPY --from=build /src/scenarios/*.toml /scenarios/
# /state belongs to the user the sandbox runs as, so a named volume mounted
# there starts writable.
COPY --from=build --chown=65532:65532 /out/state /state
USER 65532:65532
EXPOSE 8080
# Inside the container localhost is the container itself: notifies to a
# post_link on localhost, 127.x.x.x or ::1 (a merchant's app on the host)
# go to the host instead. Start the container with
# --add-host=host.docker.internal:host-gateway on Linux; set this to "" to
# turn it off.
ENV FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal
# The binary asks itself: no shell or curl in a scratch image.
HEALTHCHECK --interval=2s --timeout=3s --start-period=2s --retries=3 CMD ["/freedompay-mock", "healthcheck"]
ENTRYPOINT ["/freedompay-mock"]
CMD ["serve"]
