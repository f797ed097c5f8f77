package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// interruptible is a backend whose worlds hold things outside this process (processes,
// containers, an nftables table, a temporary directory): on SIGINT or SIGTERM it closes
// the world it has open, which removes them all, and ends the program with status
// 128+signal. Runs and shrinks use one world at a time.
type interruptible struct {
	scenarios.Backend
	// mu is held while a world is being built, so that a signal then waits for it to be
	// built and closes it, and from the signal on for good: the program ends.
	mu   sync.Mutex
	open world.World
	sigs chan os.Signal
}

// closeOnSignal wraps a backend; the simulator's needs nothing, and is returned as it is.
// Call the returned function when the work is done: if a signal came, it waits for the
// cleanup to end the program.
func closeOnSignal(b scenarios.Backend, errw io.Writer) (scenarios.Backend, func()) {
	if b.Name() == "sim" {
		return b, func() {}
	}
	ib := &interruptible{Backend: b, sigs: make(chan os.Signal, 1)}
	signal.Notify(ib.sigs, os.Interrupt, syscall.SIGTERM)
	go ib.onSignal(errw)
	return ib, func() {
		ib.mu.Lock() // blocks for good if a signal is being handled
		signal.Stop(ib.sigs)
		close(ib.sigs)
		ib.mu.Unlock()
	}
}

func (b *interruptible) onSignal(errw io.Writer) {
	sig, ok := <-b.sigs
	if !ok {
		return
	}
	b.mu.Lock() // never unlocked: the program ends here
	fmt.Fprintf(errw, "\n%v: closing the %s world (processes, nftables table, temporary files)\n", sig, b.Name())
	if b.open != nil {
		if err := b.open.Close(); err != nil {
			fmt.Fprintln(errw, "Error:", err)
		}
	}
	os.Exit(128 + int(sig.(syscall.Signal)))
}

func (b *interruptible) New(t world.Topology, seed uint64) (world.World, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, err := b.Backend.New(t, seed)
	if err == nil {
		b.open = w // the one before it, if any, was closed by its run
	}
	return w, err
}

// ReplayFlags are the wrapped backend's.
func (b *interruptible) ReplayFlags() string {
	if f, ok := b.Backend.(scenarios.ReplayFlagger); ok {
		return f.ReplayFlags()
	}
	return ""
}
