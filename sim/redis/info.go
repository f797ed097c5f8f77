package redis

import (
	"fmt"
	"strings"
)

// info renders INFO [section ...] for the sections Sentinel and clients read, with Redis
// 7.0's field names and order.
func (n *node) info(sections []string) string {
	want := map[string]bool{}
	all := len(sections) == 0
	for _, s := range sections {
		switch s = strings.ToLower(s); s {
		case "all", "everything", "default":
			all = true
		default:
			want[s] = true
		}
	}
	var parts []string
	if all || want["server"] {
		parts = append(parts, n.infoServer())
	}
	if all || want["clients"] {
		parts = append(parts, fmt.Sprintf("# Clients\r\nconnected_clients:%d\r\n", len(n.clients)))
	}
	if all || want["persistence"] {
		parts = append(parts, n.infoPersistence())
	}
	if all || want["stats"] {
		parts = append(parts, n.infoStats())
	}
	if all || want["replication"] {
		parts = append(parts, n.infoReplication())
	}
	if all || want["keyspace"] {
		ks := "# Keyspace\r\n"
		if size := n.data.size(); size > 0 {
			ks += fmt.Sprintf("db0:keys=%d,expires=0,avg_ttl=0\r\n", size)
		}
		parts = append(parts, ks)
	}
	return strings.Join(parts, "\r\n")
}

// infoServer is INFO's Server section, as Debian's 7.0.15 build prints it; the process
// id, paths and clocks are the simulated machine's.
func (n *node) infoServer() string {
	up := int64((n.p.Monotonic() - n.started).Seconds())
	hz := atoiOpt(n.configValue(configIndex["hz"]))
	return fmt.Sprintf("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"+
		"redis_build_id:ae4d7c971a948f0\r\nredis_mode:standalone\r\nos:Linux simulated x86_64\r\narch_bits:64\r\n"+
		"monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\n"+
		"gcc_version:12.2.0\r\nprocess_id:%d\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n"+
		"server_time_usec:%d\r\nuptime_in_seconds:%d\r\nuptime_in_days:%d\r\nhz:%d\r\nconfigured_hz:%d\r\n"+
		"lru_clock:%d\r\nexecutable:/usr/bin/redis-server\r\nconfig_file:/etc/redis/redis.conf\r\n"+
		"io_threads_active:0\r\n",
		n.p.PID(), n.runID, n.srv.port, n.p.WallMs()*1000, up, up/86400, hz, hz, (n.p.WallMs()/1000)&(1<<24-1))
}

func (n *node) infoReplication() string {
	var b strings.Builder
	b.WriteString("# Replication\r\n")
	if n.masterHost == "" {
		b.WriteString("role:master\r\n")
	} else {
		b.WriteString("role:slave\r\n")
		status := "down"
		if n.link == linkConnected {
			status = "up"
		}
		lastIO := int64(-1)
		if n.link == linkConnected {
			lastIO = n.unixtime() - n.lastIO
		}
		syncing := 0
		if n.link == linkSync {
			syncing = 1
		}
		// The offsets of the master client, or of the cached one; 1 without either (a
		// replica that never synced, or one whose full sync is under way).
		replOffset := int64(1)
		if n.link == linkConnected || (n.cached && n.link != linkSync) {
			replOffset = n.offset
		}
		fmt.Fprintf(&b, "master_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\nmaster_last_io_seconds_ago:%d\r\n"+
			"master_sync_in_progress:%d\r\nslave_read_repl_offset:%d\r\nslave_repl_offset:%d\r\n",
			n.masterHost, n.masterPort, status, lastIO, syncing, replOffset, replOffset)
		if n.link == linkSync {
			total, read := n.transferBytes()
			perc := 0.0
			if total != 0 {
				perc = float64(read) / float64(total) * 100
			}
			fmt.Fprintf(&b, "master_sync_total_bytes:%d\r\nmaster_sync_read_bytes:%d\r\nmaster_sync_left_bytes:%d\r\n"+
				"master_sync_perc:%.2f\r\nmaster_sync_last_io_seconds_ago:%d\r\n",
				total, read, total-read, perc, n.unixtime()-n.lastIO)
		}
		if n.link != linkConnected {
			down := int64(-1)
			if n.linkDownSince != 0 {
				down = n.unixtime() - n.linkDownSince
			}
			fmt.Fprintf(&b, "master_link_down_since_seconds:%d\r\n", down)
		}
		readOnly := 0
		if n.srv.options["replica-read-only"] == "yes" {
			readOnly = 1
		}
		announced := 1
		if n.srv.options["replica-announced"] == "no" {
			announced = 0
		}
		fmt.Fprintf(&b, "slave_priority:%s\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
			n.srv.options["replica-priority"], readOnly, announced)
	}
	fmt.Fprintf(&b, "connected_slaves:%d\r\n", len(n.replicas))
	if atoiOpt(n.srv.options["min-replicas-to-write"]) > 0 && atoiOpt(n.srv.options["min-replicas-max-lag"]) > 0 {
		fmt.Fprintf(&b, "min_slaves_good_slaves:%d\r\n", n.goodReplicas) // the count writes go by
	}
	for i, r := range n.replicas {
		lag := int64(0)
		if r.replica.online() {
			lag = n.lag(r.replica)
		}
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n",
			i, r.replica.ip, r.replica.port, r.replica.state, r.replica.ack, lag)
	}
	first := int64(0)
	if n.backlog != nil {
		first = n.backlog.first
	}
	fmt.Fprintf(&b, "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"+
		"master_repl_offset:%d\r\nsecond_repl_offset:%d\r\nrepl_backlog_active:%d\r\nrepl_backlog_size:%s\r\n"+
		"repl_backlog_first_byte_offset:%d\r\nrepl_backlog_histlen:%d\r\n",
		n.replID, n.replID2, n.offset, n.secondOffset, boolInt(n.backlog != nil), n.srv.options["repl-backlog-size"],
		first, n.histlen())
	return b.String()
}

// infoStats is the Stats section's replication counters; the simulation keeps no others.
func (n *node) infoStats() string {
	return fmt.Sprintf("# Stats\r\nsync_full:%d\r\nsync_partial_ok:%d\r\nsync_partial_err:%d\r\n",
		n.stats.syncFull, n.stats.syncPartialOK, n.stats.syncPartialErr)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
