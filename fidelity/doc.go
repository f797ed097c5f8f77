// Package fidelity measures the simulated redis-server (sim/redis) against the real
// redis-server 7.0 it models. Its tests start real servers on 127.0.0.N loopback
// addresses, run the same commands on them and on simulated nodes with the same
// addresses and options, and want the same replies, the same INFO replication fields and
// the same datasets, apart from the few fields that differ by nature, listed in README.md.
//
// The package holds the helpers the tests share: starting and stopping a real server
// (StartReal), a raw RESP2 connection to it (RealConn), a simulated world with nodes and
// a client (Sim, SimConn), and the canonical form of replies whose order Redis leaves
// unspecified (Canonical, Session).
package fidelity
