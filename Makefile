# The verbs people expect. `make test` is the README's test command and what CI runs.
GO ?= go

.PHONY: test lint demo bench results suite nightly nightly-containers bin deps

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

# The checkers' time on histories of 10,000 and 100,000 operations comes first.
bench:
	$(GO) test -run '^$$' -bench Linearizable -benchtime 5x ./linearize/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./sim/kernel/ ./sim/
	$(GO) test -run '^$$' -bench . -benchtime 5x ./scenarios/
	$(GO) run ./cmd/sentinelsim bench

# Redis's own Sentinel suite against gosentinel and redis-sentinel: results/sentinel-suite.md.
suite:
	./scripts/sentinel-suite.sh

# results/ from scratch: sweeps in the simulator, runs of real processes (as root), tables,
# plots, the findings report.
results:
	$(GO) build -o bin/gosentinel ./cmd/gosentinel
	$(GO) run ./cmd/sentinelsim results --out results --gosentinel bin/gosentinel

# The binaries the nightly runs use: sentinelsim, and gosentinel for the mixed quorums.
bin:
	$(GO) build -o bin/gosentinel ./cmd/gosentinel
	$(GO) build -o bin/sentinelsim ./cmd/sentinelsim

# The nightly job: every test, the longer scenarios against real processes and in
# containers, and a large simulator sweep kept in out/. The partition runs must also
# find what their scenarios list (--require-finds): that the partitions and the one-way
# cut do cut.
nightly: bin
	$(GO) test -count=1 -timeout 60m ./...
	mkdir -p out
	PATH="$(CURDIR)/bin:$$PATH" bin/sentinelsim run --backend real --sentinel redis --scenario jepsen-2013-partition --require-finds
	PATH="$(CURDIR)/bin:$$PATH" bin/sentinelsim run --backend real --sentinel mixed --scenario partition-master-minority --require-finds
	PATH="$(CURDIR)/bin:$$PATH" bin/sentinelsim run --backend real --sentinel go --scenario paused-master
	PATH="$(CURDIR)/bin:$$PATH" bin/sentinelsim run --backend real --sentinel redis --scenario one-way-partition --require-finds
	scripts/with-docker $(MAKE) nightly-containers
	bin/sentinelsim sweep --scenario swarm --seeds 1000 --out out/swarm.jsonl --quiet

# The containers backend, with a Docker engine and its image (scripts/with-docker starts
# a private engine and builds the image when there are none): its tests, which run
# tutorial-kill-master in containers, and a partition in containers.
nightly-containers: bin
	$(GO) test -count=1 -tags containers -timeout 30m ./real/containers
	PATH="$(CURDIR)/bin:$$PATH" bin/sentinelsim run --backend containers --sentinel mixed-redis --scenario partition-master-minority --require-finds
