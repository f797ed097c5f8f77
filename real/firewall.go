package real

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// Every run has an nftables table of its own, named by tablePrefix, its owner and a
// number counting the runs of its process: every fault in force is a rule of it; the
// table is rebuilt as a whole on every change and deleted as a whole to heal, so that
// nothing else on the machine is ever touched, another run's table included.
const tablePrefix = "sentinelsim_"

var tables atomic.Int64

// firewall turns network faults into nftables rules on the loopback addresses.
type firewall struct {
	table string
	hosts []string // the topology's addresses, for the faults on links that touch hosts
	mu    sync.Mutex
	// drops are the blocked directions, "from>to"; loss the directions whose packets
	// are dropped with a probability.
	drops map[string]bool
	loss  map[string]float64
}

// newFirewall checks that nft works here, removes the tables of runs that ended
// without removing theirs, and names this run's, for the hosts at these addresses.
func newFirewall(hosts []string) (*firewall, error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil, fmt.Errorf("network faults need nft (apt-get install -y nftables): %w", err)
	}
	if err := removeLeftoverTables(); err != nil {
		return nil, fmt.Errorf("network faults need nftables and root: %w", err)
	}
	f := &firewall{table: fmt.Sprintf("%s%s_%d", tablePrefix, strings.ReplaceAll(Owner(), "-", "_"), tables.Add(1)),
		hosts: hosts, drops: map[string]bool{}, loss: map[string]float64{}}
	if err := f.apply(); err != nil {
		return nil, fmt.Errorf("network faults need nftables and root: %w", err)
	}
	return f, nil
}

// removeLeftoverTables deletes the tables whose owner has ended.
func removeLeftoverTables() error {
	out, err := exec.Command("nft", "list", "tables", "inet").CombinedOutput()
	if err != nil {
		return fmt.Errorf("nft list tables: %v: %s", err, strings.TrimSpace(string(out)))
	}
	var b bytes.Buffer
	for _, line := range strings.Split(string(out), "\n") {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "table inet "+tablePrefix)
		parts := strings.Split(name, "_") // pid, start time, number
		if ok && len(parts) == 3 && Abandoned(parts[0]+"-"+parts[1]) {
			// Declared first, so that the transaction holds if another run deletes it first.
			fmt.Fprintf(&b, "table inet %s%s {}\ndelete table inet %s%s\n", tablePrefix, name, tablePrefix, name)
		}
	}
	return nft(&b)
}

// Network puts a network fault into force.
func (c *Cluster) Network(f netmodel.Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return c.net.fault(f)
}

func (fw *firewall) fault(f netmodel.Fault) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	switch f.Kind {
	case netmodel.Partition:
		for i, g := range f.Groups {
			for j, h := range f.Groups {
				if i != j {
					fw.block(g, h)
				}
			}
		}
	case netmodel.Cut:
		fw.block(f.From, f.To)
	case netmodel.Heal:
		for k := range fw.drops { //determinism:ok deleting
			from, to, _ := strings.Cut(k, ">")
			if len(f.Hosts) == 0 || slices.Contains(f.Hosts, from) || slices.Contains(f.Hosts, to) {
				delete(fw.drops, k)
			}
		}
	case netmodel.Loss:
		// As the simulator's network: every direction between two hosts that touches
		// one of them, all of them when none is named. The observer's links are not
		// between hosts, so its view stays whole.
		for _, k := range fw.links(f.Hosts) {
			fw.loss[k] = f.Rate
		}
	case netmodel.Latency:
		return errLatency
	}
	return fw.apply()
}

// links are the directions "from>to" between two different hosts of which one is among
// hosts, or every direction when hosts is empty.
func (fw *firewall) links(hosts []string) []string {
	var out []string
	for _, a := range fw.hosts {
		for _, b := range fw.hosts {
			if a != b && (len(hosts) == 0 || slices.Contains(hosts, a) || slices.Contains(hosts, b)) {
				out = append(out, a+">"+b)
			}
		}
	}
	return out
}

func (fw *firewall) block(from, to []string) {
	for _, a := range from {
		for _, b := range to {
			fw.drops[a+">"+b] = true
		}
	}
}

// apply replaces the table with one holding the faults in force, in one transaction.
func (fw *firewall) apply() error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "table inet %s {}\ndelete table inet %s\n", fw.table, fw.table)
	var rules []string
	for k := range fw.drops { //determinism:ok sorted below
		from, to, _ := strings.Cut(k, ">")
		rules = append(rules, fmt.Sprintf("ip saddr %s ip daddr %s drop", from, to))
	}
	for k, rate := range fw.loss { //determinism:ok sorted below
		from, to, _ := strings.Cut(k, ">")
		if rate > 0 {
			rules = append(rules, fmt.Sprintf("ip saddr %s ip daddr %s numgen random mod 10000 < %d drop", from, to, int(rate*10000)))
		}
	}
	slices.Sort(rules)
	if len(rules) > 0 {
		// Loopback packets pass the output hook once: dropping there cuts both the
		// SYNs of new connections and the data of established ones.
		fmt.Fprintf(&b, "table inet %s {\n\tchain output {\n\t\ttype filter hook output priority 0; policy accept;\n", fw.table)
		for _, r := range rules {
			fmt.Fprintf(&b, "\t\t%s\n", r)
		}
		b.WriteString("\t}\n}\n")
	}
	return nft(&b)
}

// nft runs one nft script as one transaction.
func nft(script *bytes.Buffer) error {
	if script.Len() == 0 {
		return nil
	}
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = script
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// close deletes the table.
func (fw *firewall) close() error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	clear(fw.drops)
	clear(fw.loss)
	return fw.apply()
}
