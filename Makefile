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

demo:
	@echo "make demo: not built yet (issue 4: the walkthrough in the simulator)" >&2; exit 1

bench:
	@echo "make bench: not built yet (issue 7: sentinelsim bench)" >&2; exit 1

results:
	@echo "make results: not built yet (issue 9)" >&2; exit 1

nightly:
	@echo "make nightly: not built yet (issue 8: containers and long real scenarios)" >&2; exit 1
