# apkgen: GitOps manifest compiler for WSO2 APK.
GO      ?= go
BIN     ?= bin/apkgen
export GOTOOLCHAIN := local

.PHONY: build test race fuzz bench pgo golden lint fmt

build:
	$(GO) build -o $(BIN) ./cmd/apkgen

# The README's test command.
test:
	$(GO) test ./...

# The race detector over the packages that spread work over goroutines
# (load's CUE workers, verify's kustomize workers, the cache) or drive them.
race:
	$(GO) test -race ./pkg/load/ ./pkg/verify/ ./pkg/apkgen/ ./pkg/write/ ./internal/...

# Each fuzz test for FUZZTIME (their seed corpora run in `make test`; a
# failing input is written under the package's testdata/fuzz). Go would
# otherwise spend up to a minute minimising each new interesting input,
# and FuzzParse finds one every few seconds: -fuzzminimizetime 1x.
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./pkg/load/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./internal/buildcache/
	$(GO) test -run '^$$' -fuzz '^FuzzWriteMatchesYAMLv3$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./pkg/manifest/

# Go benchmarks of the pipeline over generated files of 1, 10, 100 and 1000
# environments, then the whole process (time and peak RSS) on the same files,
# then a no-op build --check of each example (docs/benchmarks-check.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/apkgen/
	$(GO) test -run '^TestProcessBudget$$' -v -count=1 -tags bench ./pkg/apkgen/
	$(GO) test -run '^$$' -bench '^BenchmarkCheckNoop$$' -benchtime 20x ./pkg/cli/

# Refresh cmd/apkgen/default.pgo, the CPU profile `go build` optimises
# apkgen with, from runs of the benchmark workloads (docs/benchmarks.md,
# "Profile-guided optimisation"). Refresh it when the hot code changes.
pgo:
	$(GO) test -run '^TestPGOProfile$$' -count=1 -v -tags bench ./pkg/apkgen/ -args -pgo-out=$(CURDIR)/cmd/apkgen/default.pgo

# Refresh the golden trees after an intended change of the output.
golden:
	$(GO) test ./golden/ ./schema/ -update

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')
