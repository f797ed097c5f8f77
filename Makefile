# The verbs people expect. `make test` is the README's test command and what CI runs.
GO ?= go

.PHONY: test lint demo bench results nightly deps

deps:
	@scripts/install-deps

test: deps
	$(GO) test ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The tutorial walkthrough in the simulator: the sentinels' log and a one-line verdict.
demo:
	$(GO) run ./cmd/sentinelsim run

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./sim/kernel/ ./sim/
	$(GO) test -run '^$$' -bench . -benchtime 5x ./scenarios/
	$(GO) run ./cmd/sentinelsim bench

# results/ from scratch: sweeps in the simulator, tables, plots, the findings report.
results:
	$(GO) run ./cmd/sentinelsim results --out results

nightly:
	@echo "make nightly: not built yet (issue 8: containers and long real scenarios)" >&2; exit 1
