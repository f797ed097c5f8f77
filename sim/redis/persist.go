package redis

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Persistence: the RDB file (save points, BGSAVE, SAVE, SHUTDOWN, FLUSHALL), the
// append-only file (its fsync policy, turning it on and off), and loading either at
// start. The files themselves are fields of Server, which outlives incarnations.

type childKind uint8

const (
	childRDB childKind = iota + 1 // a background save, to the RDB file or to replicas' sockets
	childAOF                      // an AOF rewrite
)

// child is a forked process at work, from the dataset as of the fork. Like Redis's
// child it reports its progress to its parent through a pipe: after its first key, then
// at every 1024th key once a second has passed since the last report. A report that finds
// the parent gone ends it (the pipe is broken), so a child outlives a kill of its parent,
// and its file still lands on disk, only if it has no report left to make. A power loss of
// the host ends it too. The parent learns that it exited at its next cron
// (checkChildrenDone).
type child struct {
	kind      childKind
	startUnix int64
	dirty     int64 // the parent's change counter at the fork
	keys      int64 // the keys it saves
	duration  time.Duration
	sockets   bool // a diskless full sync: the RDB goes to replicas, not to the file
	done      bool
	killed    bool // it exited without finishing its work
}

// unixtime is Redis's server.unixtime: the wall clock in seconds.
func (n *node) unixtime() int64 { return n.p.WallMs() / 1000 }

// changes is Redis's server.dirty: the changes since the RDB file was last saved.
func (n *node) changes() int64 { return n.dirty - n.savedDirty }

// fork starts a child that goes through the dataset's keys in d, plus rdb-key-save-delay
// microseconds per key, and at the end does work.
func (n *node) fork(kind childKind, d time.Duration, work func()) *child {
	keys := n.data.size()
	d += time.Duration(keys*max(atoiOpt(n.srv.options["rdb-key-save-delay"]), 0)) * time.Microsecond
	ch := &child{kind: kind, startUnix: n.unixtime(), dirty: n.dirty, keys: int64(keys), duration: d}
	n.child = ch
	p, inc := n.p, n.p.Incarnation()
	srv, k, losses := n.srv, n.p.Kernel(), n.srv.powerLosses
	start := k.Now()
	for _, at := range childReports(d, keys) {
		k.At(start+at, func() {
			if p.Incarnation() != inc || !p.Alive() {
				ch.killed = true
			}
		})
	}
	k.At(start+d, func() {
		if ch.killed || srv.powerLosses != losses {
			return
		}
		work()
		ch.done = true
	})
	return ch
}

// childReports are the moments, after the fork, at which a child going through keys keys
// in d reports its progress (rdbSaveRio).
func childReports(d time.Duration, keys int) []time.Duration {
	if keys == 0 {
		return nil
	}
	perKey := d / time.Duration(keys)
	out := []time.Duration{perKey}
	for i := 1024; i < keys; i += 1024 {
		if at := time.Duration(i+1) * perKey; at-out[len(out)-1] >= time.Second {
			out = append(out, at)
		}
	}
	return out
}

// saveInfo is rdbPopulateSaveInfo: the replication id and offset an RDB file records, so
// that a restart can continue the history: a master's with a backlog, a replica's with
// a master or a cached one; none otherwise ("").
func (n *node) saveInfo() (string, int64) {
	if (n.masterHost == "" && n.backlog != nil) || (n.masterHost != "" && (n.link == linkConnected || n.cached)) {
		return n.replID, n.offset
	}
	return "", 0
}

// writeRDB returns the work of writing the dataset, as it is now, to the RDB file.
func (n *node) writeRDB() func() {
	snap := n.data.clone()
	id, off := n.saveInfo()
	srv := n.srv
	return func() { srv.rdb, srv.rdbReplID, srv.rdbOffset = snap, id, off }
}

// bgsave is rdbSaveBackground: a child saves the dataset as of now to the RDB file.
func (n *node) bgsave() *child {
	n.stats.rdbSaves++
	n.lastBgsaveTry = n.unixtime()
	return n.fork(childRDB, n.srv.speeds.save(n.data), n.writeRDB())
}

// saveNow is rdbSave in the server's own thread (SAVE, SHUTDOWN, FLUSHALL): the file is
// written and the change counter reset.
func (n *node) saveNow() {
	n.writeRDB()()
	n.savedDirty = n.dirty
	n.lastSave = n.unixtime()
	n.lastBgsaveOK = true
}

// saveCommand is SAVE: the server is blocked while it writes the file.
func (n *node) saveCommand(cl *client) []resp.Value {
	if n.child != nil && n.child.kind == childRDB {
		return []resp.Value{resp.Err("ERR Background save already in progress")}
	}
	n.stats.rdbSaves++
	n.block(n.srv.speeds.save(n.data), func() {
		n.saveNow()
		cl.reply(resp.OK)
	})
	return nil
}

// bgsaveCommand is BGSAVE [SCHEDULE].
func (n *node) bgsaveCommand(cl *client, args []string) resp.Value {
	schedule := false
	if len(args) > 1 {
		if len(args) != 2 || !strings.EqualFold(args[1], "schedule") {
			return errSyntax
		}
		schedule = true
	}
	switch {
	case n.child != nil && n.child.kind == childRDB:
		return resp.Err("ERR Background save already in progress")
	case n.child != nil || cl.inExec:
		if schedule || cl.inExec {
			n.bgsaveScheduled = true
			return resp.Simple("Background saving scheduled")
		}
		return resp.Err("ERR Another child process is active (AOF?): can't BGSAVE right now. " +
			"Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	}
	n.bgsave()
	return resp.Simple("Background saving started")
}

// bgrewriteaofCommand is BGREWRITEAOF.
func (n *node) bgrewriteaofCommand(cl *client) resp.Value {
	switch {
	case n.child != nil && n.child.kind == childAOF:
		return resp.Err("ERR Background append only file rewriting already in progress")
	case n.child != nil || cl.inExec:
		n.aofRewriteScheduled = true
		return resp.Simple("Background append only file rewriting scheduled")
	}
	n.rewriteAOF()
	return resp.Simple("Background append only file rewriting started")
}

// rewriteAOF is rewriteAppendOnlyFileBackground: a child writes the dataset as of the
// fork as the new base of the AOF. Writes meanwhile go to a new incremental file, which
// the manifest names only once the rewrite is done: until then, a server that turned AOF
// on has no AOF on disk that holds them. Redis counts the rewrite (aof_rewrites) as it
// forks.
func (n *node) rewriteAOF() {
	n.aofRewriteScheduled = false
	n.stats.aofRewrites++
	n.fork(childAOF, n.srv.speeds.save(n.data), func() {})
}

// checkChildren is the share of serverCron that looks after children: the one that
// exited, then what was waiting for it (a scheduled BGSAVE or AOF rewrite, replicas
// waiting for a full sync), or else the save points.
func (n *node) checkChildren() {
	if ch := n.child; ch != nil {
		if ch.done {
			n.childDone()
		}
		return
	}
	if n.aofRewriteScheduled {
		n.rewriteAOF()
		return
	}
	for _, sp := range saveParams(n.srv.options["save"]) {
		if n.changes() >= sp.changes && n.unixtime()-n.lastSave > sp.seconds &&
			(n.unixtime()-n.lastBgsaveTry > bgsaveRetryDelay || n.lastBgsaveOK) {
			n.bgsave()
			return
		}
	}
}

// childDone is checkChildrenDone once the child has exited: what its end means for the
// parent, then what was waiting for it.
func (n *node) childDone() {
	ch := n.child
	n.child = nil
	elapsed := n.unixtime() - ch.startUnix
	switch ch.kind {
	case childRDB:
		if !ch.sockets {
			n.savedDirty = ch.dirty
			n.lastSave = n.unixtime()
		}
		n.lastBgsaveOK = true
		n.rdbLastTime = elapsed
		n.bgsaveDone(ch)
	case childAOF:
		n.aofLastRewriteTime = elapsed
		// The new base holds the dataset as of the fork; the changes since are the
		// start of a new incremental file.
		n.srv.aofBaseKeys, n.aofDirtyBase = ch.keys, ch.dirty
		if n.aofState == aofWaitRewrite {
			n.aofState = aofOn
			n.syncAOF()
		}
	}
	n.startPendingFork()
}

// bgsaveRetryDelay is CONFIG_BGSAVE_RETRY_DELAY: seconds before a save point retries a
// failed background save.
const bgsaveRetryDelay = 5

// scheduledBgsave is the end of serverCron: a BGSAVE that had to wait for another child.
func (n *node) scheduledBgsave() {
	if n.child == nil && n.bgsaveScheduled && (n.unixtime()-n.lastBgsaveTry > bgsaveRetryDelay || n.lastBgsaveOK) {
		n.bgsaveScheduled = false
		n.bgsave()
	}
}

type saveParam struct{ seconds, changes int64 }

// saveParams reads the save option, pairs of seconds and changes (valid: CONFIG SET and
// New checked it).
func saveParams(v string) []saveParam {
	f := strings.Fields(v)
	out := make([]saveParam, 0, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		s, _ := strconv.ParseInt(f[i], 10, 64)
		c, _ := strconv.ParseInt(f[i+1], 10, 64)
		out = append(out, saveParam{s, c})
	}
	return out
}

// flushallSave is what FLUSHALL does with save points configured: it kills a background
// save and saves the empty dataset at once (flushAllDataAndResetRDB).
func (n *node) flushallSave() {
	if n.child != nil && n.child.kind == childRDB {
		n.killChild()
	}
	if n.srv.options["save"] != "" {
		n.saveNow()
	}
}

// killChild is killRDBChild and killAppendOnlyChild: the child exits without finishing,
// and the parent forgets it at once.
func (n *node) killChild() {
	n.child.killed = true
	n.child = nil
}

// block stops the server for d, as a command that runs that long (DEBUG SLEEP, SAVE)
// blocks Redis's only thread: meanwhile nothing of it runs, and connections and data
// wait in the kernel. Then done runs, before anything that came due meanwhile. A kill
// meanwhile ends it all.
func (n *node) block(d time.Duration, done func()) {
	p, k := n.p, n.p.Kernel()
	inc := p.Incarnation()
	p.Pause()
	k.At(k.Now()+d, func() {
		if p.Incarnation() != inc || !p.Paused() {
			return
		}
		p.Resume()
		done()
	})
}

// aofState is Redis's server.aof_state.
type aofState uint8

const (
	aofOff         aofState = iota
	aofOn                   // every write goes to the file
	aofWaitRewrite          // turned on at run time: the first rewrite is under way
)

// fsync is the AOF's fsync policy. appendfsync always syncs every write before its
// reply: a power loss loses nothing (Start keeps the whole file). everysec syncs once
// the wall-clock second has changed since the last fsync (flushAppendOnlyFile runs before
// every event-loop sleep; here at every cron, every 100 ms). no leaves it to the kernel,
// which writes dirty pages back once they are 30 s old (dirty_expire_centisecs), waking
// every 5 s (dirty_writeback_centisecs): what was written up to the last writeback's
// snapshot 30 s before survives.
func (n *node) fsync() {
	if n.aofState != aofOn {
		return
	}
	srv := n.srv
	switch srv.options["appendfsync"] {
	case "everysec":
		if now := n.unixtime(); now > n.lastFsync && n.dirty != n.syncedDirty {
			srv.aofSynced, n.syncedDirty, n.lastFsync = n.data.clone(), n.dirty, now
		}
	case "no":
		if n.serverLoops%50 != 0 {
			return
		}
		now := n.p.Monotonic()
		if n.dirty != n.syncedDirty && (len(n.writeback) == 0 || n.writeback[len(n.writeback)-1].dirty != n.dirty) {
			n.writeback = append(n.writeback, pageCache{at: now, dirty: n.dirty, data: n.data.clone()})
		}
		for len(n.writeback) > 0 && now-n.writeback[0].at >= 30*time.Second {
			srv.aofSynced, n.syncedDirty = n.writeback[0].data, n.writeback[0].dirty
			n.writeback = n.writeback[1:]
		}
	}
}

// pageCache is the AOF as it stood at one writeback wakeup, waiting to be old enough to
// be written back.
type pageCache struct {
	at    time.Duration
	dirty int64
	data  *dataset
}

// syncAOF is an fsync of the whole file (SHUTDOWN, turning AOF off).
func (n *node) syncAOF() {
	if n.aofState == aofOn {
		n.srv.aofSynced, n.syncedDirty = n.data.clone(), n.dirty
		n.writeback = nil
	}
}

// setAppendonly is CONFIG SET appendonly. On (startAppendOnly), the AOF is rewritten in
// the background, at once or once another child is done, and writes go to it when the
// rewrite is: until then a kill leaves the AOF the disk had. Off (stopAppendOnly), it is
// fsynced and closed as it stands.
func (n *node) setAppendonly(on, inExec bool) {
	s := n.srv
	if !on {
		if n.aofState == aofOn {
			n.syncAOF()
			s.aofFile, s.aofChanges = n.data.clone(), n.dirty-n.aofDirtyBase
		}
		n.aofState, n.aofRewriteScheduled = aofOff, false
		if n.child != nil && n.child.kind == childAOF {
			n.killChild()
		}
		return
	}
	n.aofState = aofWaitRewrite
	n.lastFsync = n.unixtime()
	switch {
	case n.child != nil && n.child.kind != childAOF, inExec:
		n.aofRewriteScheduled = true
	default:
		if n.child != nil {
			n.killChild()
		}
		n.rewriteAOF()
	}
}

// closeAOF leaves the append-only file as the incarnation's writes left it when it ends:
// all of them after a kill (they are in the page cache), those fsynced after a power loss.
func (n *node) closeAOF(powerLost bool) {
	s := n.srv
	s.aofFile, s.aofChanges = n.data, n.dirty-n.aofDirtyBase
	if powerLost && s.options["appendfsync"] != "always" {
		s.aofFile, s.aofChanges = s.aofSynced, n.syncedDirty-n.aofDirtyBase
	}
}

// loadFromDisk is loadDataFromDisk at start: the AOF when appendonly is yes (none is an
// empty dataset: Redis does not fall back to the RDB), the RDB file otherwise, whose
// replication info gives a replica a history to continue and a master its previous id.
func (n *node) loadFromDisk(replica bool) {
	s := n.srv
	if s.options["appendonly"] == "yes" {
		// Replaying the incremental file counts its changes again.
		n.aofState = aofOn
		if s.aofFile == nil {
			s.aofFile = newDataset()
		}
		n.data = s.aofFile // the dead incarnation no longer touches it
		n.dirty, n.syncedDirty, n.loadedKeys = s.aofChanges, s.aofChanges, s.aofBaseKeys
		s.aofSynced = n.data.clone()
		return
	}
	if s.rdb == nil {
		return
	}
	n.data = s.rdb.clone()
	n.loadedKeys = int64(n.data.size())
	if s.rdbReplID != "" {
		if replica {
			n.replID, n.offset, n.cached = s.rdbReplID, s.rdbOffset, true
		} else {
			n.replID2, n.secondOffset, n.offset = s.rdbReplID, s.rdbOffset+1, s.rdbOffset
			n.createBacklog()
		}
	}
}

// shutdown is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Unless NOW, a master waits
// up to shutdown-timeout seconds for its replicas to acknowledge its offset, with writes
// paused; the caller gets no reply unless the shutdown fails or is aborted.
func (n *node) shutdown(cl *client, args []string) []resp.Value {
	var f shutdownFlags
	abort := false
	for _, a := range args[1:] {
		switch asciiLower(a) {
		case "nosave":
			f.nosave = true
		case "save":
			f.save = true
		case "now":
			f.now = true
		case "force":
			f.force = true
		case "abort":
			abort = true
		default:
			return []resp.Value{errSyntax}
		}
	}
	if (abort && f != (shutdownFlags{})) || (f.save && f.nosave) {
		return []resp.Value{errSyntax}
	}
	if abort {
		if n.shutting == nil {
			return []resp.Value{resp.Err("ERR No shutdown in progress.")}
		}
		n.cancelShutdown()
		return []resp.Value{resp.OK}
	}
	if n.shutting != nil {
		n.shutting.waiting = append(n.shutting.waiting, cl) // prepareForShutdown refuses; it stays blocked
		return nil
	}
	if n.loading() {
		f.save, f.nosave = false, true
	}
	n.shutting = &shutdownState{flags: f, waiting: []*client{cl}}
	timeout := time.Duration(atoiOpt(n.srv.options["shutdown-timeout"])) * time.Second
	if !f.now && timeout != 0 && !n.replicasCaughtUp() {
		n.shutting.deadline = n.p.Monotonic() + timeout
		n.propagate([]string{"REPLCONF", "GETACK", "*"})
		return nil
	}
	n.finishShutdown()
	return nil
}

type shutdownFlags struct{ nosave, save, now, force bool }

// shutdownState is a shutdown waiting for replicas: its flags, its deadline, the
// clients blocked on it, and the writes paused meanwhile.
type shutdownState struct {
	flags    shutdownFlags
	deadline time.Duration
	waiting  []*client
	paused   []pausedWrite
}

type pausedWrite struct {
	cl   *client
	args []string
}

// replicasCaughtUp is isReadyToShutdown: every replica acknowledged the whole stream.
func (n *node) replicasCaughtUp() bool {
	for _, r := range n.replicas {
		if r.replica.ack != n.offset {
			return false
		}
	}
	return true
}

// shutdownCron is serverCron's check of a shutdown waiting for replicas.
func (n *node) shutdownCron() {
	if s := n.shutting; s != nil && s.deadline != 0 && (n.p.Monotonic() >= s.deadline || n.replicasCaughtUp()) {
		n.finishShutdown()
	}
}

// finishShutdown is the last step: children killed, the AOF synced, the RDB saved when
// asked (SAVE) or when save points are configured (unless NOSAVE), then exit. A server
// still writing the first AOF refuses to exit without FORCE.
func (n *node) finishShutdown() {
	f := n.shutting.flags
	if n.child != nil && n.child.kind == childRDB {
		n.killChild()
	}
	if n.child != nil && n.child.kind == childAOF {
		if n.aofState == aofWaitRewrite && !f.force {
			n.failShutdown()
			return
		}
		n.killChild()
	}
	n.syncAOF()
	if (n.srv.options["save"] != "" && !f.nosave) || f.save {
		n.block(n.srv.speeds.save(n.data), func() {
			n.saveNow()
			n.exit()
		})
		return
	}
	n.exit()
}

// exit ends the process after SHUTDOWN, and tells OnRole it serves no more.
func (n *node) exit() {
	n.p.Exit(0)
	n.roleChanged()
}

func (n *node) failShutdown() {
	for _, c := range n.shutting.waiting {
		c.reply(resp.Err("ERR Errors trying to SHUTDOWN. Check logs."))
	}
	n.cancelShutdown()
}

// cancelShutdown unblocks the paused writes: they run now, in the order they came.
func (n *node) cancelShutdown() {
	s := n.shutting
	n.shutting = nil
	for _, w := range s.paused {
		if !w.cl.closed {
			w.cl.handle(w.args)
		}
	}
}

// loading reports whether the dataset is loading: writes and most commands get -LOADING.
func (n *node) loading() bool { return n.p.Monotonic() < n.loadingUntil }

// infoPersistence is INFO's Persistence section. Copy-on-write sizes are those of a
// machine with no memory pressure, 0; the loading fields count the dataset's RDB bytes.
func (n *node) infoPersistence() string {
	var b strings.Builder
	ch := n.child
	rdbChild, aofChild := ch != nil && ch.kind == childRDB, ch != nil && ch.kind == childAOF
	current := func(running bool) int64 {
		if !running {
			return -1
		}
		return n.unixtime() - ch.startUnix
	}
	status := map[bool]string{true: "ok", false: "err"}
	fmt.Fprintf(&b, "# Persistence\r\nloading:%d\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"+
		"current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"+
		"rdb_changes_since_last_save:%d\r\nrdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%d\r\n"+
		"rdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%d\r\nrdb_current_bgsave_time_sec:%d\r\n"+
		"rdb_saves:%d\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:%d\r\n"+
		"aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\naof_last_rewrite_time_sec:%d\r\n"+
		"aof_current_rewrite_time_sec:%d\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:%d\r\n"+
		"aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n"+
		"module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
		boolInt(n.loading()), n.changes(), boolInt(rdbChild), n.lastSave, status[n.lastBgsaveOK], n.rdbLastTime,
		current(rdbChild), n.stats.rdbSaves, n.loadedKeys, boolInt(n.aofState != aofOff), boolInt(aofChild),
		boolInt(n.aofRewriteScheduled), n.aofLastRewriteTime, current(aofChild), n.stats.aofRewrites)
	if n.srv.options["appendonly"] == "yes" {
		size := n.data.rdbBytes()
		fmt.Fprintf(&b, "aof_current_size:%d\r\naof_base_size:%d\r\naof_pending_rewrite:%d\r\naof_buffer_length:0\r\n"+
			"aof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n", size, size, boolInt(n.aofRewriteScheduled))
	}
	if n.loading() {
		total := n.loadingBytes
		elapsed := time.Duration(0)
		if d := n.loadingUntil - n.loadingStart; d > 0 {
			elapsed = n.p.Monotonic() - n.loadingStart
			total = max(total, 1)
			loaded := int64(float64(total) * float64(elapsed) / float64(d))
			eta := int64(1)
			if secs := int64(elapsed / time.Second); secs > 0 {
				eta = secs * (total - loaded) / (loaded + 1)
			}
			fmt.Fprintf(&b, "loading_start_time:%d\r\nloading_total_bytes:%d\r\nloading_rdb_used_mem:%d\r\n"+
				"loading_loaded_bytes:%d\r\nloading_loaded_perc:%.2f\r\nloading_eta_seconds:%d\r\n",
				n.loadingStartUnix, n.loadingBytes, n.loadingBytes, loaded, float64(loaded)*100/float64(total), eta)
		}
	}
	return b.String()
}
