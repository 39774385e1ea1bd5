# make test: install what the suite needs (when missing and root), then vet
# and run every test with the race detector.
GO ?= go

.PHONY: test deps vet build fmt bench

test: deps vet
	$(GO) test -race -count=1 ./...

deps:
	bash .ci/install-deps

vet:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/opsdeck ./cmd/opsdeck

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
