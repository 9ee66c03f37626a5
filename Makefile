# Capstan build, test and lint entry points. CI runs `make test` (.ci/run).

# Go from the machine's toolchain even when it is not on the caller's PATH.
export PATH := /usr/local/go/bin:$(PATH)

GO      ?= go
BIN     := bin/capstan
DATADIR ?= /var/lib/capstan
# Packages of the three test tiers; test/e2e builds the binary itself.
PKGS    := ./...

.PHONY: all build test e2e lint run deps clean

all: build

## build: compile the capstan binary into bin/capstan
build:
	$(GO) build -o $(BIN) ./cmd/capstan

## test: unit, integration and end-to-end tests (e2e drives real kubectl)
test:
	$(GO) test -timeout 20m $(PKGS)
	@# The import-boundary tests run `go list`: the test cache cannot see the
	@# sources that answer reads, so they always run afresh.
	$(GO) test -count=1 -run '^TestImportBoundaries$$' $$(grep -rl --include='*_test.go' 'func TestImportBoundaries' . | xargs -n1 dirname | sort -u)

## e2e: only the end-to-end tests, never from the test cache
e2e:
	$(GO) test -count=1 -timeout 20m -v ./test/e2e/

## lint: gofmt must have nothing to say, go vet must pass
lint:
	@unformatted="$$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -print0 | xargs -0 gofmt -l)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## deps: install the Debian packages tests and a node need (root)
deps:
	scripts/install-deps.sh

## run: install dependencies, build, and run a single-node cluster in $(DATADIR)
run: deps build
	$(BIN) server --data-dir $(DATADIR)

clean:
	rm -rf bin
