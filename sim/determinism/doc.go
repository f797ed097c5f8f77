// Package determinism holds the determinism law as a test: the packages a simulated run
// executes (sim, netmodel, sentinel) must not read the wall clock, start goroutines, wait
// on several channels, draw from global random sources, or let Go's randomised map order
// leak into behaviour. Any of those would make a seed replay differently.
//
// A line may break a rule only with a written reason, in a comment on that line or the
// line above: //determinism:ok keys are sorted below.
package determinism
