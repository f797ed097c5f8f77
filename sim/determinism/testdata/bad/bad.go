// Package bad breaks every determinism rule once, so the lint's own test can check that
// each is caught.
package bad

import (
	"math/rand"
	randv2 "math/rand/v2"
	"time"
)

func Violations(m map[string]int, ch, ch2 chan int) int {
	n := time.Now()                // wall clock
	time.Sleep(time.Millisecond)   // wall clock
	<-time.After(time.Millisecond) // wall clock
	go func() {}()                 // goroutine
	select {                       // select
	case <-ch:
	case <-ch2:
	}
	x := rand.Intn(3) + randv2.IntN(3) // global random sources
	for k := range m {                 // map order
		_ = k
	}
	//determinism:ok the sum does not depend on the order
	for _, v := range m {
		x += v
	}
	for range m { //determinism:ok
	}
	r := randv2.New(randv2.NewPCG(1, 2)) // a seeded stream is fine
	_ = n
	return x + r.IntN(2)
}
