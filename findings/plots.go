package findings

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// point is one x of a curve with its y for each line.
type point struct {
	X float64            `json:"x"`
	Y map[string]float64 `json:"y"`
}

// lossVersusPartition sweeps partition-master-minority (the master's host cut off from
// every replica) with the partition held for each length, with the defaults and with
// min-replicas-to-write, and plots the lost-write rate.
func (g *generator) lossVersusPartition() ([]point, error) {
	base, err := scenarios.Lookup("partition-master-minority")
	if err != nil {
		return nil, err
	}
	lines := []Config{g.plan.Configs[0], Configs[1]}
	var curve []point
	for _, d := range g.plan.PartitionLengths {
		p := point{X: d.Seconds(), Y: map[string]float64{}}
		for _, c := range lines {
			results, err := g.sweep(variant(partitionFor(base, d), c))
			if err != nil {
				return nil, err
			}
			p.Y[c.Name] = 100 * scenarios.Summarize(results)[0].LossRate
		}
		curve = append(curve, p)
	}
	p := newPlot("Acknowledged writes lost, master partitioned alone", "partition length (s)", "writes lost (% of acknowledged)")
	for i, c := range lines {
		xy := make(plotter.XYs, len(curve))
		for j, pt := range curve {
			xy[j] = plotter.XY{X: pt.X, Y: pt.Y[c.Name]}
		}
		if err := addLine(p, c.Name, xy, i); err != nil {
			return nil, err
		}
	}
	if err := g.save(p, "lost-writes-vs-partition"); err != nil {
		return nil, err
	}
	return curve, g.writeJSON("plots/lost-writes-vs-partition.json", curve)
}

// failoverTimes plots the distribution of failover times in tutorial-kill-master.
func (g *generator) failoverTimes() ([]float64, error) {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		return nil, err
	}
	results, err := g.sweep(s)
	if err != nil {
		return nil, err
	}
	var times plotter.Values
	for _, r := range results {
		times = append(times, r.FailoverMs...)
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("tutorial-kill-master: no failover in %d seeds", len(results))
	}
	p := newPlot("Failover time, tutorial-kill-master, simulator", "first +sdown to +switch-master (ms)", "failovers")
	h, err := plotter.NewHist(times, 16)
	if err != nil {
		return nil, err
	}
	p.Add(h)
	slices.Sort(times)
	return times, g.save(p, "failover-time")
}

// speed measures, on this machine, simulated seconds per wall second of tutorial-kill-
// master with more and more sentinels: the one result that is not deterministic.
func (g *generator) speed() error {
	base, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		return err
	}
	var xy plotter.XYs
	for _, n := range g.plan.Sentinels {
		s := WithSentinels(base, n)
		start := time.Now()
		results, err := g.sweep(s)
		if err != nil {
			return err
		}
		simulated := 0.0
		for _, r := range results {
			simulated += r.SimSeconds
		}
		xy = append(xy, plotter.XY{X: float64(n), Y: simulated / time.Since(start).Seconds()})
	}
	p := newPlot("Simulator speed, tutorial-kill-master (5 clients)", "sentinels", "simulated seconds per wall second")
	if err := addLine(p, fmt.Sprintf("%d workers", g.plan.Workers), xy, 0); err != nil {
		return err
	}
	return g.save(p, "speed-vs-sentinels")
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	return p
}

var palette = []color.Color{color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}

func addLine(p *plot.Plot, name string, xy plotter.XYs, i int) error {
	l, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, pts.Color = palette[i%len(palette)], palette[i%len(palette)]
	p.Add(l, pts)
	p.Legend.Add(name, l, pts)
	p.Legend.Top, p.Legend.Left = true, true
	return nil
}

// save writes a plot as SVG and PNG.
func (g *generator) save(p *plot.Plot, name string) error {
	for _, ext := range []string{"svg", "png"} {
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, filepath.Join(g.dir, "plots", name+"."+ext)); err != nil {
			return err
		}
	}
	return nil
}

// WithSentinels is the scenario with n sentinels on its first host, ports 5000 up,
// quorum a majority.
func WithSentinels(s *scenarios.Scenario, n int) *scenarios.Scenario {
	c := WithNodes(s, world.Sentinel, n, func(host string, i int) world.Node {
		return world.Node{Name: fmt.Sprintf("%s/sentinel:%d", host, 5000+i), Port: 5000 + i}
	})
	c.Topology.Quorum = n/2 + 1
	return c
}

// WithClients is the scenario with n clients on its first host.
func WithClients(s *scenarios.Scenario, n int) *scenarios.Scenario {
	return WithNodes(s, world.Client, n, func(host string, i int) world.Node {
		return world.Node{Name: fmt.Sprintf("%s/client:%d", host, i+1)}
	})
}

// WithNodes replaces the scenario's nodes of one kind by n made by node, on its first host.
func WithNodes(s *scenarios.Scenario, kind world.Kind, n int, node func(host string, i int) world.Node) *scenarios.Scenario {
	c := *s
	c.Topology.Nodes = slices.DeleteFunc(slices.Clone(s.Topology.Nodes), func(n world.Node) bool { return n.Kind == kind })
	host := s.Topology.Hosts[0].Name
	for i := range n {
		nd := node(host, i)
		nd.Kind, nd.Host = kind, host
		c.Topology.Nodes = append(c.Topology.Nodes, nd)
	}
	return &c
}
