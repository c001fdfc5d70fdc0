# mailconf — build, test, lint.
# The README's two commands: `make demo` (the main job, offline) and `make test`.

GO       ?= go
BIN      := bin/mailconf
PKGS     := ./...
DEMO_DIR := .demo

.PHONY: build test lint vet fmt-check staticcheck bench bench-fleet demo fuzz clean relay-cert interop

# demo is the main job on the embedded default, offline: plan and apply the
# quickstart against zone files in a scratch copy, plan again to show that
# nothing is left to do, and verify in the lab: propagation, the published
# records, and a probe from each domain through the relay to a receiver.
demo: build
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR) && cp -R examples/quickstart/. $(DEMO_DIR)/
	@echo "== mailconf plan -c $(DEMO_DIR)"
	$(BIN) plan -c $(DEMO_DIR)
	@echo "== mailconf apply -c $(DEMO_DIR) --auto-approve"
	$(BIN) apply -c $(DEMO_DIR) --auto-approve
	@echo "== mailconf plan -c $(DEMO_DIR) --detailed-exitcode   (0: nothing left to do)"
	$(BIN) plan -c $(DEMO_DIR) --detailed-exitcode
	@echo "== mailconf verify -c $(DEMO_DIR) --lab   (in-process DNS, relay and receiver, offline)"
	$(BIN) verify -c $(DEMO_DIR) --lab
	@echo "The zone files mailconf wrote are in $(DEMO_DIR)/zones/."
	@echo "To keep the lab running for dig, swaks and a mail client: $(BIN) lab -c $(DEMO_DIR)"

build:
	$(GO) build -o $(BIN) ./cmd/mailconf

# test runs the linters and the whole test suite.
test: lint
	$(GO) test -count=1 $(PKGS)

lint: fmt-check vet staticcheck

# interop applies the quickstart through the rfc2136 provider to BIND, Knot
# and PowerDNS, each started by the test in a network namespace (as root,
# with the packages .ci/run installs); the files behind the tag are linted
# here, as vet and staticcheck above do not see them.
interop: build
	$(GO) vet -tags interop ./interop/
	$(GO) tool staticcheck -tags interop ./interop/
	MAILCONF_BIN=$(CURDIR)/$(BIN) $(GO) test -tags interop -count=1 -v ./interop/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# bench-fleet generates a fleet of N client domains (default 1000) in sync
# with its configuration into a scratch directory, runs the built binary on
# it (validate, plan, plan with 10% drifted, apply, lint, verify against
# in-process DNS servers on loopback) and prints median wall time and peak
# RSS of 3 runs per step: `make bench-fleet N=10000`.
bench-fleet: build
	$(GO) run ./internal/fleetgen/cmd/fleetbench -n $(or $(N),1000) -bin $(BIN)

# fuzz runs every fuzz target briefly; FUZZTIME=5m for a longer run.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# relay-cert makes the self-signed test certificate examples/relay uses
# (never committed: .gitignore keeps examples/relay/certs/ out).
relay-cert:
	mkdir -p examples/relay/certs
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	  -subj "/CN=relay.example.com" -addext "subjectAltName=DNS:relay.example.com,IP:127.0.0.1" \
	  -keyout examples/relay/certs/relay.key -out examples/relay/certs/relay.crt
	chmod 600 examples/relay/certs/relay.key

clean:
	rm -rf bin $(DEMO_DIR)
