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

lint: deps ## Biome: formatting and lint rules
	$(BIN)/biome check .

format: deps ## Apply Biome's formatting and safe fixes
	$(BIN)/biome check --write .

test-deps: ## Install the Debian packages the tests drive (SIPp, mosquitto, promtool) if missing
	bash scripts/ensure-debian-packages.sh sip-tester mosquitto mosquitto-clients prometheus dnsmasq-base libxml2-utils systemd python3

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
