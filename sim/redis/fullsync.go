package redis

import (
	"fmt"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// A full sync, as 7.0.15 runs it. The master answers PSYNC with +FULLRESYNC when a
// background save for replication starts (startBgsaveForReplication): at once, or with
// repl-diskless-sync (the default) once the first waiting replica has waited
// repl-diskless-sync-delay seconds, checked by replicationCron. With a diskless sync a
// child streams the RDB of the dataset as of the fork to the replicas; otherwise it writes
// the RDB file (which the master keeps) and the master then sends the file. Both take the
// dataset's RDB size at Speeds.Transfer (plus, on disk, its writing at Speeds.Save). The
// replica shows master_sync_in_progress:1 from +FULLRESYNC on, and once the RDB is in it
// loads it, answering -LOADING meanwhile. The stream since the fork reaches the replica
// after its first ACK.

// transferProgress is what a replica knows of an RDB on its way: its size (0 for a
// diskless sync, which ends with a mark instead), and when and how fast it comes.
type transferProgress struct {
	size, bytes int64
	start       time.Duration
	rate        int64
	arrived     bool // all of it: the replica is loading it
}

// transferBytes are the replica's repl_transfer_size and repl_transfer_read: -1 and 0
// until the RDB begins.
func (n *node) transferBytes() (total, read int64) {
	t := n.transfer
	if t == nil {
		return -1, 0
	}
	read = t.bytes
	if !t.arrived {
		read = min(t.bytes, int64(float64(n.p.Monotonic()-t.start)/float64(time.Second)*float64(t.rate)))
	}
	return t.size, read
}

// syncPayloadStart is the first bytes of the RDB ($<size> or $EOF:<mark>): the replica
// learns that the transfer has begun.
type syncPayloadStart struct {
	size, bytes int64
	rate        int64
}

// rioBuffer is PROTO_IOBUF_LEN: a child's rio to a pipe flushes past it.
const rioBuffer = 16 * 1024

// keepalive is the newline a master sends every second to replicas waiting for their
// RDB, so that they do not time out.
type keepalive struct{}

// startFullSync is the end of syncCommand: join a save to disk already under way if
// another replica waits for it (taking its stream so far), or wait for the next one, or
// start one unless the diskless delay says to wait for more replicas.
func (n *node) startFullSync(cl *client) {
	if ch := n.child; ch != nil && ch.kind == childRDB {
		if ch.sockets {
			return // a diskless sync is under way: wait for the next
		}
		for _, r := range n.replicas {
			if rs := r.replica; r != cl && !rs.waitStart && rs.state == "wait_bgsave" {
				cl.replica.held = append([][]string{}, rs.held...)
				n.setupFullResync(cl, rs.psyncOffset)
				return
			}
		}
		return // the save under way is not for replication: wait for the next
	}
	if n.srv.options["repl-diskless-sync"] == "yes" && atoiOpt(n.srv.options["repl-diskless-sync-delay"]) > 0 {
		return // replicationCron starts it
	}
	if n.child == nil {
		n.startBgsaveForReplication()
	}
}

// setupFullResync is replicationSetupSlaveForFullResync: +FULLRESYNC with the offset the
// replica's stream starts after, and a SELECT at the head of the stream to come.
func (n *node) setupFullResync(cl *client, offset int64) {
	rs := cl.replica
	rs.waitStart, rs.psyncOffset = false, offset
	if rs.held == nil {
		rs.held = [][]string{}
	}
	n.selDB = -1
	cl.reply(resp.Simple(fmt.Sprintf("FULLRESYNC %s %d", n.replID, offset)))
}

// startBgsaveForReplication forks the save every waiting replica shares.
func (n *node) startBgsaveForReplication() {
	var waiting []*client
	for _, r := range n.replicas {
		if r.replica.waitStart {
			n.setupFullResync(r, n.offset)
			waiting = append(waiting, r)
		}
	}
	snap := n.data.clone()
	if n.srv.options["repl-diskless-sync"] == "yes" {
		ch := n.fork(childRDB, n.srv.speeds.transfer(snap), func() {
			for _, r := range waiting {
				r.reply(snap.snapshot())
			}
		})
		ch.sockets = true
		// The child writes $EOF:<mark> and the RDB through a buffer it flushes past 16 KB:
		// the replica sees the first bytes then, or at the end.
		bytes := snap.rdbBytes()
		first := ch.duration
		if bytes > rioBuffer {
			first = time.Duration(float64(ch.duration) * rioBuffer / float64(bytes))
		}
		n.p.After(first, func() {
			for _, r := range waiting {
				r.send(syncPayloadStart{size: 0, bytes: bytes, rate: max(1, int64(float64(bytes)/ch.duration.Seconds()))})
			}
		})
		return
	}
	n.bgsave()
}

// bgsaveDone is updateSlavesWaitingBgsave: after a diskless sync the replicas are online
// (streaming once they acknowledge); after a save to disk the master sends them the file.
func (n *node) bgsaveDone(ch *child) {
	for _, r := range n.replicas {
		rs := r.replica
		if rs.waitStart || rs.state != "wait_bgsave" {
			continue
		}
		if ch.sockets {
			n.putOnline(r)
			continue
		}
		rs.state = "send_bulk"
		file := n.srv.rdb
		r.send(syncPayloadStart{size: file.rdbBytes(), bytes: file.rdbBytes(), rate: n.srv.speeds.Transfer})
		n.p.After(n.srv.speeds.transfer(file), func() {
			if !r.closed && rs.state == "send_bulk" {
				r.reply(file.snapshot())
				n.putOnline(r)
			}
		})
	}
}

// putOnline is replicaPutOnline: the replica counts as online, its ACK clock starts,
// and it counts among the good replicas at once.
func (n *node) putOnline(r *client) {
	r.replica.state = "online"
	r.replica.ackTime = n.unixtime()
	n.refreshGoodReplicas()
}

// startStreaming sends a replica the stream held since its sync's fork.
func (n *node) startStreaming(r *client) {
	held := r.replica.held
	r.replica.held = nil
	for _, args := range held {
		r.send(args)
	}
}

// startPendingFork is replicationStartPendingFork: a save for the replicas waiting to
// start one, once no child runs, and with a diskless sync once one of them has waited
// repl-diskless-sync-delay seconds or repl-diskless-sync-max-replicas are waiting.
func (n *node) startPendingFork() {
	if n.child != nil {
		return
	}
	waiting, maxIdle := 0, int64(0)
	for _, r := range n.replicas {
		if r.replica.waitStart {
			waiting++
			maxIdle = max(maxIdle, n.unixtime()-r.replica.since)
		}
	}
	o := n.srv.options
	most := atoiOpt(o["repl-diskless-sync-max-replicas"])
	if waiting > 0 && (o["repl-diskless-sync"] != "yes" || (most > 0 && waiting >= most) ||
		maxIdle >= int64(atoiOpt(o["repl-diskless-sync-delay"]))) {
		n.startBgsaveForReplication()
	}
}

// keepWaitingReplicasAlive is replicationCron's newline to replicas waiting for an RDB
// that no child streams to them yet.
func (n *node) keepWaitingReplicasAlive() {
	for _, r := range n.replicas {
		if rs := r.replica; rs.waitStart || (rs.state == "wait_bgsave" && !(n.child != nil && n.child.sockets)) {
			r.send(keepalive{})
		}
	}
}

// payloadBegins is the replica's side of syncPayloadStart.
func (n *node) payloadBegins(m syncPayloadStart) {
	if n.link == linkSync {
		n.transfer = &transferProgress{size: m.size, bytes: m.bytes, start: n.p.Monotonic(), rate: m.rate}
	}
}

// loadSyncPayload is the end of readSyncBulkPayload: the replica drops its own replicas
// and backlog (a new history), flushes its data, keeps the RDB on disk unless it loads it
// diskless, and loads it, answering -LOADING until it is done. Then the link is up and it
// acknowledges, which has the master start the stream.
func (n *node) loadSyncPayload(v resp.Value) {
	if n.transfer != nil {
		n.transfer.arrived = true
	}
	n.disconnectReplicas()
	n.backlog = nil
	fromDisk := n.loadsFromDisk(n.data.size() == 0)
	if n.aofState != aofOff {
		n.setAppendonly(false, false) // stopAppendOnly: the AOF keeps the dataset it had
	}
	n.data = newDataset()
	for _, cmd := range v.Array {
		args, _ := cmd.Strings()
		n.data.apply(nil, asciiLower(args[0]), args)
	}
	if !fromDisk {
		n.dirty++ // a diskless load saved nothing
	}
	id, off := n.pendingReplID, n.pendingOffset
	if fromDisk {
		n.srv.rdb, n.srv.rdbReplID, n.srv.rdbOffset = n.data.clone(), id, off
	}
	n.loadedKeys = int64(n.data.size())
	n.startLoading(n.data)
	c := n.masterConn
	n.p.After(n.loadingUntil-n.p.Monotonic(), func() {
		n.replID, n.offset = id, off
		n.replID2, n.secondOffset = nullReplID, -1
		n.createBacklog()
		if c != n.masterConn || n.link != linkSync {
			n.cached = true // the link died during the load: continue from what was loaded
		} else {
			n.linkUp()
		}
		n.restartAOFAfterSync()
	})
}

// restartAOFAfterSync is restartAOFAfterSYNC: with appendonly yes, the AOF stopped for
// the load starts again as CONFIG SET appendonly yes starts it, with a rewrite. Until
// that rewrite is done the files on disk are those from before the sync, so a replica
// killed meanwhile comes back with the dataset it had before it.
func (n *node) restartAOFAfterSync() {
	if n.srv.options["appendonly"] == "yes" && n.aofState == aofOff {
		n.setAppendonly(true, false)
	}
}

// The link's messages other than commands and replies are traced by their content.

func (m syncPayloadStart) TraceHash(h uint64) uint64 {
	for _, x := range []int64{m.size, m.bytes, m.rate} {
		h = (h ^ uint64(x)) * 1099511628211
	}
	return h
}

func (m syncPayloadStart) String() string {
	if m.size == 0 {
		return fmt.Sprintf("$EOF:<mark> (%d bytes)", m.bytes)
	}
	return fmt.Sprintf("$%d", m.size)
}

func (keepalive) TraceHash(h uint64) uint64 { return (h ^ '\n') * 1099511628211 }
func (keepalive) String() string            { return `"\n"` }
