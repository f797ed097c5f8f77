// Package containers runs the real backend's nodes in Docker containers, through
// testcontainers-go: each redis-server and sentinel in a container of its own, on the
// host's network, so that the cluster's addresses 127.0.0.N and its nftables partitions
// apply as they are; kills and pauses go through the Docker API. Everything else is the
// real backend's (package real): this package is only its Launcher.
package containers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/testcontainers/testcontainers-go/log"

	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/world"
)

// DefaultImage is the image scripts/with-docker builds from this machine's redis-server
// and redis-sentinel. Any image with both on its PATH will do, such as Docker Hub's
// redis:7.0.15 where a registry is reachable (with Pull).
const DefaultImage = "sentinelsim/redis:7.0.15"

// Options are the real backend's, with the image the nodes run in.
type Options struct {
	real.Options
	// Image holds redis-server and redis-sentinel; gosentinel, when asked for, is the
	// host's binary, mounted into the container.
	Image string
	// Pull lets the engine pull an image it does not have; otherwise nothing is pulled
	// and a missing image is an error saying how to build it.
	Pull bool
}

// DefaultOptions run redis-sentinel in the local image.
var DefaultOptions = Options{Options: real.DefaultOptions, Image: DefaultImage}

// Backend builds clusters of containers for scenarios.
type Backend struct{ Options }

// Name is "containers".
func (Backend) Name() string { return "containers" }

// ReplayFlags are the command-line flags that choose these options.
func (b Backend) ReplayFlags() string {
	flags := real.Backend{Options: b.Options.Options}.ReplayFlags()
	if b.Image != "" && b.Image != DefaultImage {
		flags += " --image " + b.Image
	}
	if b.Pull {
		flags += " --pull"
	}
	return strings.TrimSpace(flags)
}

// Refuses is the real backend's answer: the nodes run on the same machine's kernel and
// share its clock and page cache, whatever runs them.
func (b Backend) Refuses(kind string) error {
	return real.Backend{Options: b.Options.Options}.Refuses(kind)
}

// New starts a cluster of containers; seed drives the clients' workload choices. ctx
// bounds the start-up, as real.New's does.
func (b Backend) New(ctx context.Context, t world.Topology, seed uint64) (world.World, error) {
	opts := b.Options
	if opts.Image == "" {
		opts.Image = DefaultImage
	}
	// gosentinel runs from the host's binary: resolve it here, where PATH is the host's.
	if opts.Sentinel != "" && opts.Sentinel != "redis" {
		path, err := exec.LookPath(opts.GoSentinel)
		if err != nil {
			return nil, fmt.Errorf("--sentinel %s needs gosentinel on the host (go build -o bin/ ./cmd/gosentinel): %w", opts.Sentinel, err)
		}
		if opts.GoSentinel, err = filepath.Abs(path); err != nil {
			return nil, err
		}
	}
	l, err := newLauncher(ctx, opts.Image, opts.Pull)
	if err != nil {
		return nil, err
	}
	ro := opts.Options
	ro.Launcher = l
	return real.New(ctx, t, seed, ro)
}

// The reaper (Ryuk) is a container testcontainers-go pulls from Docker Hub to remove
// containers once their test process ends; it cannot be pulled here, and the backend
// removes its own (on Close, and a dead run's at the next start). It stays off unless
// the environment says otherwise. And testcontainers-go's banner and progress lines
// would mix with the run's own output: errors say what went wrong.
func init() {
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	log.SetDefault(log.NewNoopLogger())
}

var _ real.Launcher = (*launcher)(nil)
