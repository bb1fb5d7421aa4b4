# Multi-stage build: a static binary on an empty base image.
#   docker build -t freedompay-mock .
#   docker run --rm -p 8080:8080 freedompay-mock
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/freedompay-mock .

FROM scratch
COPY --from=build /out/freedompay-mock /freedompay-mock
USER 65532:65532
EXPOSE 8080
# The binary asks itself: no shell or curl in a scratch image.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/freedompay-mock", "healthcheck"]
ENTRYPOINT ["/freedompay-mock"]
CMD ["serve", "--addr", ":8080"]
