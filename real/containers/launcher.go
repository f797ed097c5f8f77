package containers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sentinelsim/sentinelsim/real"
)

// Labels of every container the backend starts: its run's owner (real.Owner), so that
// a later run can remove the containers of one that crashed, and its node.
const (
	ownerLabel = "org.sentinelsim.owner"
	nodeLabel  = "org.sentinelsim.node"
)

// apiTimeout bounds one call to the engine.
const apiTimeout = time.Minute

// launcher starts each program in a container of its own.
type launcher struct {
	provider *testcontainers.DockerProvider
	docker   *testcontainers.DockerClient
	image    string

	mu      sync.Mutex
	started []*box
}

// newLauncher connects to the engine (DOCKER_HOST, or the default socket), removes the
// containers of runs whose owner has ended, and checks that the image is there.
func newLauncher(ctx context.Context, image string, pull bool) (*launcher, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	// The host network is the default: testcontainers-go would otherwise attach every
	// container to a bridge network, creating one where the engine has none.
	provider, err := testcontainers.NewDockerProvider(testcontainers.WithDefaultBridgeNetwork("host"))
	if err != nil {
		return nil, noEngine(err)
	}
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		provider.Close()
		return nil, noEngine(err)
	}
	l := &launcher{provider: provider, docker: docker, image: image}
	if err := l.removeLeftovers(ctx); err != nil {
		l.Close()
		return nil, err
	}
	if _, err := docker.ImageInspect(ctx, image); err != nil && !pull {
		l.Close()
		return nil, fmt.Errorf("the Docker engine has no image %s (%v): scripts/with-docker builds %s from this machine's Redis; or pull one with --pull",
			image, err, DefaultImage)
	}
	return l, nil
}

func noEngine(err error) error {
	return fmt.Errorf("the containers backend needs a Docker engine (%v): run under scripts/with-docker, which starts a private one, or set DOCKER_HOST", err)
}

// removeLeftovers removes the containers of runs whose owner has ended.
func (l *launcher) removeLeftovers(ctx context.Context) error {
	list, err := l.docker.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", ownerLabel)})
	if err != nil {
		return noEngine(err)
	}
	var errs []error
	for _, c := range list.Items {
		if real.Abandoned(c.Labels[ownerLabel]) {
			if _, err := l.docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
				errs = append(errs, fmt.Errorf("a crashed run's container %s (%s): %w", c.ID[:12], c.Labels[nodeLabel], err))
			}
		}
	}
	return errors.Join(errs...)
}

// Launch runs bin on conf in a new container of the image, on the host's network, with
// the node's directory mounted where it is on the host (so that the config file's
// paths hold), and bin too when it is the host's (an absolute path). A restarted node
// gets a new container on the same directory, as a restarted process keeps its files.
func (l *launcher) Launch(node, bin, dir, conf string) (real.Running, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	binds := []string{dir + ":" + dir}
	if filepath.IsAbs(bin) {
		binds = append(binds, bin+":"+bin+":ro")
	}
	req := testcontainers.ContainerRequest{
		Image:      l.image,
		Entrypoint: []string{bin},
		Cmd:        []string{conf},
		Labels:     map[string]string{ownerLabel: real.Owner(), nodeLabel: node},
		ConfigModifier: func(c *container.Config) {
			c.WorkingDir = dir
		},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.Binds = binds
		},
	}
	c, err := l.provider.CreateContainer(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: create a container of %s: %w", node, l.image, err)
	}
	b := &box{docker: l.docker, c: c, id: c.GetContainerID(), done: make(chan struct{})}
	l.mu.Lock()
	l.started = append(l.started, b)
	l.mu.Unlock()
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("%s: start its container: %w", node, err)
	}
	go b.wait()
	return b, nil
}

// Close removes every container the launcher started.
func (l *launcher) Close() error {
	l.mu.Lock()
	started := l.started
	l.started = nil
	l.mu.Unlock()
	var errs []error
	for _, b := range started {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		if err := b.c.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	errs = append(errs, l.docker.Close(), l.provider.Close())
	return errors.Join(errs...)
}

// box is one program in its container.
type box struct {
	docker *testcontainers.DockerClient
	c      testcontainers.Container
	id     string
	done   chan struct{}
	err    error // set before done is closed
}

// wait closes done when the container has stopped, with its exit status as the error.
func (b *box) wait() {
	defer close(b.done)
	w := b.docker.ContainerWait(context.Background(), b.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		if r.StatusCode != 0 {
			b.err = fmt.Errorf("exit status %d", r.StatusCode)
		}
	case err := <-w.Error:
		b.err = err
	}
}

// signal sends a signal to the container's program through the engine.
func (b *box) signal(sig string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	_, err := b.docker.ContainerKill(ctx, b.id, client.ContainerKillOptions{Signal: sig})
	return err
}

// Kill is SIGKILL through the engine; it returns once the container has stopped.
func (b *box) Kill() error {
	select {
	case <-b.done:
		return nil
	default:
	}
	if err := b.signal("SIGKILL"); err != nil {
		select {
		case <-b.done: // it stopped meanwhile
			return nil
		default:
			return err
		}
	}
	<-b.done
	return nil
}

// Pause and Resume send SIGSTOP and SIGCONT, as the process backend does, rather than
// freezing the container's cgroup (docker pause): the program sees the same thing, and
// a stopped program can be killed where a frozen container cannot.
func (b *box) Pause() error  { return b.signal("SIGSTOP") }
func (b *box) Resume() error { return b.signal("SIGCONT") }

func (b *box) Done() <-chan struct{} { return b.done }

func (b *box) Err() error {
	select {
	case <-b.done:
		return b.err
	default:
		return nil
	}
}

// Output is the container's last lines of stdout and stderr.
func (b *box) Output() string {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	rc, err := b.docker.ContainerLogs(ctx, b.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "3"})
	if err != nil {
		return fmt.Sprintf("no logs: %v", err)
	}
	defer rc.Close()
	var out bytes.Buffer
	stdcopy.StdCopy(&out, &out, rc)
	return string(bytes.TrimSpace(bytes.ReplaceAll(out.Bytes(), []byte("\n"), []byte(" | "))))
}
