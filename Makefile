# crmsync — two commands do everything: `make demo` and `make test`.
SHELL := /bin/bash
GOBIN ?= $(shell go env GOPATH)/bin
TEMPORAL_VERSION := v1.5.1
TEMPORAL ?= $(shell command -v temporal 2>/dev/null || echo $(GOBIN)/temporal)
export TEMPORAL_CLI := $(TEMPORAL)
DEMO_DIR ?= $(CURDIR)/.demo
# The Temporal server itself and its SQL tool, for the production pairing on PostgreSQL.
TEMPORAL_SERVER_VERSION := v1.29.1
export TEMPORAL_SERVER_DIR ?= $(GOBIN)/temporal-server-$(TEMPORAL_SERVER_VERSION)

.PHONY: all build test test-short bench demo lint fuzz temporal-cli temporal-server postgres clean

all: build

build:
	go build -o bin/crmsync ./starter
	go build -o bin/crmsync-worker ./worker
	go build -o bin/sandbox ./sandbox/cmd/sandbox

# The Temporal CLI (dev server + UI) is installed on first use; it takes about 5 minutes on
# two cores. v1.5.1 is the last tag that `go install` accepts.
temporal-cli: $(TEMPORAL)
$(TEMPORAL):
	@echo "Installing the Temporal CLI $(TEMPORAL_VERSION) into $(GOBIN) (about 5 minutes)…"
	GOFLAGS= go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

# The Temporal server (not the dev server) and temporal-sql-tool, which the production-pairing
# test runs on the local PostgreSQL; about 3 minutes on two cores, on first use.
temporal-server:
	@test -x $(TEMPORAL_SERVER_DIR)/server -a -x $(TEMPORAL_SERVER_DIR)/sql || { \
	  echo "Installing the Temporal server $(TEMPORAL_SERVER_VERSION) into $(TEMPORAL_SERVER_DIR) (about 3 minutes)…"; \
	  GOFLAGS= GOBIN=$(TEMPORAL_SERVER_DIR) go install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) \
	    go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION); }

# The store's PostgreSQL tests need the local server (127.0.0.1:5432, trust auth); start it
# when it is installed but stopped.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start && sleep 2) || \
	  echo "warning: no PostgreSQL on 127.0.0.1:5432; the PostgreSQL store tests will fail"

test: temporal-cli temporal-server postgres
	go vet ./...
	go test -count=1 -timeout 40m ./...

test-short:
	go test -count=1 -short ./...

# Imports 50,000 contacts with their companies from the Sellsy simulator to the Mautic simulator
# through a real dev server and worker, and prints the figures.
bench: temporal-cli postgres
	go test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 30m ./bench/
	go test -count=1 -run '^$$' -bench . -benchtime 2s ./store/ ./connectors/mautic/ ./connectors/sellsy/sim/

# Runs each fuzz target for FUZZTIME (their seeds and the inputs they once failed on, kept in
# testdata/fuzz, run with every `make test`).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$pkg/*_test.go | cut -d' ' -f2); do \
	    echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

demo: temporal-cli build
	DEMO_DIR=$(DEMO_DIR) TEMPORAL=$(TEMPORAL) ./scripts/demo.sh

lint:
	gofmt -l . | (! grep .)
	go vet ./...
	GOFLAGS= go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	GOFLAGS= go run go.temporal.io/sdk/contrib/tools/workflowcheck@latest ./workflows/...

clean:
	rm -rf bin $(DEMO_DIR)
