# NHI Radar. `make demo` runs the main job end to end; `make test` runs every
# test against the real Kafka broker and ClickHouse server, which it starts.
GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# Every binary links internal/buildinfo, so one pair of -X stamps them all.
BUILDINFO := github.com/nhiradar/nhiradar/internal/buildinfo
LDFLAGS  := -s -w -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).Commit=$(COMMIT)
SERVICES := packaging/dev/services.sh

DIST     := dist

.PHONY: all build package test test-unit demo bench services-up services-down services-status vet fmt clean

all: build

# Static binaries: an agent runs on hosts of every distribution, and a
# static build maps 1.5 MB less of shared libraries into each process.
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# .deb and .rpm of the agent (with its plugins, pinned in the default
# configuration) and of the collector with nhictl, built with nfpm as a Go
# library: packaging/nfpm.
package: build
	$(GO) run ./packaging/nfpm -bin $(BIN) -out $(DIST) -version '$(VERSION)'

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting" >&2; exit 1)

fmt:
	gofmt -w .

services-up:
	$(SERVICES) up

services-down:
	$(SERVICES) down

services-status:
	$(SERVICES) status

# Unit and integration tests; the services start first so that parallel test
# packages find them ready.
test: services-up vet
	$(GO) test -count=1 -timeout 20m ./...

# Tests that need no service: integration tests skip under -short
# (devservices.Integration). NHI_SERVICES_OFFLINE=1 makes services.sh refuse
# to start one, and the addresses point at a closed port, so a test that
# still reaches for a service fails instead of finding the shared one.
test-unit:
	NHI_SERVICES_OFFLINE=1 NHI_CLICKHOUSE_ADDR=127.0.0.1:1 NHI_KAFKA_BROKERS=127.0.0.1:1 \
		$(GO) test -count=1 -short ./...

demo: build services-up
	packaging/dev/demo.sh

bench: build services-up
	packaging/dev/bench.sh

clean:
	rm -rf $(BIN) $(DIST)
