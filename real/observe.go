package real

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/world"
)

// Observe asks every node for its state: INFO replication of the redis nodes, and of the
// sentinels GET-MASTER-ADDR-BY-NAME, the config epoch and the TILT flag. A node that does
// not answer within a second is reported dead.
func (c *Cluster) Observe() world.Observation {
	ctx := context.Background()
	obs := world.Observation{At: c.Now()}
	for _, n := range c.topo.OfKind(world.Redis) {
		info := c.info(ctx, n, "replication")
		st := world.RedisState{Node: n.Name, Alive: info["role"] != ""}
		if st.Alive {
			st.Role = info["role"]
			if info["master_host"] != "" {
				st.MasterAddr = info["master_host"] + ":" + info["master_port"]
			}
			st.LinkUp = info["master_link_status"] == "up"
			st.Offset, _ = strconv.ParseInt(info["master_repl_offset"], 10, 64)
		}
		obs.Redis = append(obs.Redis, st)
	}
	for _, n := range c.topo.OfKind(world.Sentinel) {
		st := world.SentinelState{Node: n.Name}
		if v, err := c.do(ctx, n, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", c.topo.MasterName); err == nil {
			st.Alive = true
			if addr, ok := v.([]any); ok && len(addr) == 2 {
				st.MasterAddr = fmt.Sprintf("%v:%v", addr[0], addr[1])
			}
			st.Epoch, _ = strconv.ParseUint(c.sentinelMaster(ctx, n)["config-epoch"], 10, 64)
			st.Tilt = c.info(ctx, n, "sentinel")["sentinel_tilt"] == "1"
		}
		obs.Sentinels = append(obs.Sentinels, st)
	}
	return obs
}

// value turns a go-redis reply into a RESP value. go-redis does not say whether a string
// came as a status or a bulk string; it is returned as a bulk string.
func value(v any, err error) (resp.Value, error) {
	var re redis.Error
	switch {
	case err == redis.Nil:
		return resp.Null(), nil
	case err != nil && errors.As(err, &re):
		return resp.Err(re.Error()), nil
	case err != nil:
		return resp.Value{}, err
	}
	switch x := v.(type) {
	case string:
		return resp.Bulk(x), nil
	case int64:
		return resp.Int(x), nil
	case []any:
		out := make([]resp.Value, len(x))
		for i, e := range x {
			if out[i], err = value(e, nil); err != nil {
				return resp.Value{}, err
			}
		}
		return resp.Array(out...), nil
	case nil:
		return resp.Null(), nil
	case error:
		return resp.Err(x.Error()), nil
	}
	return resp.Bulk(fmt.Sprint(v)), nil
}
