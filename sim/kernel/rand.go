package kernel

import "math/rand/v2"

// Rand is one seeded random stream. Every component draws from its own stream, derived
// from the root seed and the component's name, so that adding a component (a client, a
// sentinel) does not change the draws of the others.
type Rand struct {
	*rand.Rand
}

// Rand returns a stream derived from the root seed and name ("net", "client/3",
// "sentinel/127.0.0.1:5000#1"). The same name always gives the same stream.
func (k *Kernel) Rand(name string) *Rand {
	return NewRand(k.seed, name)
}

// NewRand returns the stream a kernel with this root seed gives for name.
func NewRand(seed uint64, name string) *Rand {
	h := uint64(fnvOffset)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * fnvPrime
	}
	return &Rand{rand.New(rand.NewPCG(splitmix(seed^h), splitmix(h+seed*fnvPrime)))}
}

// splitmix is SplitMix64's finaliser: it spreads nearby seeds (1, 2, 3...) over the whole
// state space so that consecutive seeds give unrelated runs.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
