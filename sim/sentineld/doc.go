// Package sentineld runs the sentinel state machine as a simulated process: its
// connections to redis servers and peers are the kernel's, its clock is the process's
// wall clock, its config file lives on the process's simulated disk, and its events go to
// the trace.
package sentineld
