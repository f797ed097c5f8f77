package real

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A run that crashes (or is killed with SIGKILL) cannot clean up after itself: its
// children die with it (Pdeathsig), but its temporary directory and nftables table stay,
// and so would a child that outlived it somehow. The next run removes them, but only
// what is provably a dead run's: each run names its owner, this process's pid and start
// time, in its directory and in its table's name, and what belongs to a live owner
// (another run going on at the same time) is left alone.

// ownerFile, in a run's directory, holds its owner.
const ownerFile = "owner"

// dirPattern names the runs' temporary directories.
const dirPattern = "sentinelsim-real-*"

// Owner names this process for the things a run leaves on the machine: "pid-starttime",
// the start time in clock ticks after boot, so that a pid used again later does not
// pass for the same process.
func Owner() string { return owner(os.Getpid()) }

func owner(pid int) string {
	start, err := startTime(pid)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d-%d", pid, start)
}

// startTime is field 22 of /proc/pid/stat.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// Abandoned reports whether the owner (as Owner names it) has ended. A malformed name
// is never abandoned: it is not provably ours.
func Abandoned(o string) bool {
	pid, _, ok := strings.Cut(o, "-")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || n <= 0 {
		return false
	}
	return owner(n) != o
}

// removeLeftovers kills the processes and removes the directories of runs whose owner
// has ended, in the temporary directory, and returns what it could not remove.
func removeLeftovers() error {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), dirPattern))
	if err != nil {
		return err
	}
	var errs []error
	for _, dir := range dirs {
		o, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil || !Abandoned(string(o)) {
			continue // being set up, a live run's, or not provably ours
		}
		killLeftovers(dir)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("a crashed run's %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// killLeftovers kills, with its process group, every process whose pid file is in one
// of the run's node directories and whose working directory is still that node's
// directory (so a pid used again since is not taken for ours).
func killLeftovers(run string) {
	pids, _ := filepath.Glob(filepath.Join(run, "*", pidFile))
	for _, f := range pids {
		b, _ := os.ReadFile(f)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && cwd == filepath.Dir(f) {
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
