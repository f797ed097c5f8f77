package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer starts a redis-server on a free port of 127.0.0.1 (a replica of master
// when it is not ""), killed when the test ends.
func redisServer(t *testing.T, master string) (addr string, proc *os.Process) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("this test needs redis-server on PATH (apt-get install redis-server): %v", err)
	}
	port := freePort(t, "127.0.0.1")
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--repl-diskless-sync-delay", "0", "--dir", t.TempDir()}
	if master != "" {
		host, mport, _ := net.SplitHostPort(master)
		args = append(args, "--replicaof", host, mport)
	}
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(5 * time.Second); ping(addr) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come up on %s", addr)
		}
	}
	return addr, cmd.Process
}

// go-redis v9 with its default protocol, RESP3 (HELLO 3), against gosentinels: a plain
// client gets RESP3 maps, a SentinelClient reads SENTINEL MASTER and REPLICAS, and a
// FailoverClient pointed at three gosentinels (quorum 2, so they must agree and elect a
// leader) finds the master through them and follows it through a failover (the
// +switch-master push it subscribes to, then the new address).
func TestGoRedisRESP3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	master, masterProc := redisServer(t, "")
	replica, _ := redisServer(t, master)
	host, port, _ := net.SplitHostPort(master)
	bin := build(t)
	var sentinels []string
	for range 3 {
		addr, _ := start(t, bin, fmt.Sprintf("sentinel monitor m %s %s 2\n"+
			"sentinel down-after-milliseconds m 1000\nsentinel failover-timeout m 3000\n", host, port))
		sentinels = append(sentinels, addr)
	}
	sentinelAddr := sentinels[0]

	plain := redis.NewClient(&redis.Options{Addr: sentinelAddr})
	defer plain.Close()
	hello, err := plain.Do(ctx, "HELLO").Result()
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := hello.(map[any]any); !ok || m["proto"] != int64(3) {
		t.Fatalf("HELLO after go-redis's handshake: %#v, want a RESP3 map with proto 3", hello)
	}

	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinelAddr})
	defer sc.Close()
	info, err := sc.Master(ctx, "m").Result()
	if err != nil || info["ip"] != host || info["port"] != port || info["flags"] != "master" {
		t.Fatalf("SENTINEL MASTER m over RESP3: %v %v", info, err)
	}
	waitFor(t, 15*time.Second, "the replica known to gosentinel", func() bool {
		rs, err := sc.Replicas(ctx, "m").Result()
		return err == nil && len(rs) == 1 && rs[0]["name"] == replica
	})
	// Each must know the other two before the master dies, or no quorum forms.
	for _, addr := range sentinels {
		peer := redis.NewSentinelClient(&redis.Options{Addr: addr})
		defer peer.Close()
		waitFor(t, 15*time.Second, "gosentinel "+addr+" knowing its two peers", func() bool {
			info, err := peer.Master(ctx, "m").Result()
			return err == nil && info["num-other-sentinels"] == "2"
		})
	}

	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "m", SentinelAddrs: sentinels})
	defer fc.Close()
	if err := fc.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatalf("SET through the FailoverClient: %v", err)
	}
	switched := sc.Subscribe(ctx, "+switch-master")
	defer switched.Close()
	if _, err := switched.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	masterProc.Kill()
	select {
	case msg := <-switched.Channel():
		t.Logf("+switch-master %s", msg.Payload)
	case <-time.After(30 * time.Second):
		t.Fatal("no +switch-master push within 30 s of killing the master")
	}
	waitFor(t, 15*time.Second, "the FailoverClient writing to the new master", func() bool {
		return fc.Set(ctx, "k", "after", 0).Err() == nil
	})
	for _, s := range sentinels {
		peer := redis.NewSentinelClient(&redis.Options{Addr: s})
		defer peer.Close()
		waitFor(t, 10*time.Second, "gosentinel "+s+" giving the replica as the master", func() bool {
			addr, err := peer.GetMasterAddrByName(ctx, "m").Result()
			return err == nil && net.JoinHostPort(addr[0], addr[1]) == replica
		})
	}
	direct := redis.NewClient(&redis.Options{Addr: replica})
	defer direct.Close()
	if v, err := direct.Get(ctx, "k").Result(); v != "after" {
		t.Errorf("the new master has k = %q (%v), want the FailoverClient's write", v, err)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, limit)
		}
	}
}
