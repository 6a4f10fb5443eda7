# siprec-edge — build, test and demo. `make help` lists the targets.
SHELL := /bin/bash
BIN := node_modules/.bin
BUN := $(BIN)/bun
VERSION := $(shell node -p "require('./package.json').version")

.PHONY: help deps build typecheck lint format test test-deps test-unit demo bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json ## Install npm dependencies (Bun comes with them)

typecheck: deps ## tsc --noEmit over src, test and scripts
	$(BIN)/tsc --noEmit -p .

build: typecheck ## Type-check, then compile the single binary dist/siprec-edge
	$(BUN) build --compile --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
	  --define SIPREC_EDGE_VERSION='"$(VERSION)"' src/main.ts --outfile dist/siprec-edge

# The native architecture packages dist/siprec-edge; another one (ARCH=arm64) is cross-compiled.
ARCH ?= $(shell dpkg --print-architecture)
.PHONY: deb
deb: $(if $(filter $(shell dpkg --print-architecture),$(ARCH)),build,typecheck) ## Build dist/siprec-edge_<version>_<arch>.deb (ARCH=amd64|arm64)
	bash scripts/build-deb.sh --arch $(ARCH)

lint: deps ## Biome: formatting and lint rules
	$(BIN)/biome check .

format: deps ## Apply Biome's formatting and safe fixes
	$(BIN)/biome check --write .

# What the tests drive for real: SIPp, mosquitto, promtool, dnsmasq (RFC 3263), xmllint, systemd-analyze,
# tshark/sox (read our pcaps and WAVs), Chromium (the status page), debootstrap/lintian (the .deb), tcpdump.
TEST_PACKAGES := sip-tester mosquitto mosquitto-clients prometheus dnsmasq-base libxml2-utils systemd python3 \
  tshark sox chromium debootstrap lintian file tcpdump iproute2 binutils openssl

test-deps: ## Install the Debian packages the tests drive (SIPp, mosquitto, Chromium, …) if missing
	bash scripts/ensure-debian-packages.sh $(TEST_PACKAGES)
	bash scripts/make-test-root.sh

test: lint build test-deps ## Lint, type-check, build, then run every test under Bun
	$(BUN) --bun $(BIN)/vitest run

test-unit: deps ## Only the fast tests (no SIPp, no broker)
	$(BUN) --bun $(BIN)/vitest run test/unit test/arch

demo: deps ## Record a simulated SIPREC call end to end and show the result
	bash scripts/demo.sh

bench: build ## Run the benchmarks in scripts/bench
	for b in scripts/bench/*.ts; do $(BUN) $$b; done

clean: ## Remove build output and demo state
	rm -rf dist var
