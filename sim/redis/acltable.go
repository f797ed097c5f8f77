package redis

import "strings"

// redisCommands are the full names of every command and subcommand of redis-server
// 7.0.15 (src/commands/*.json): ACL SETUSER accepts rules on any of them, whether the
// simulation implements it or not.
var redisCommands = map[string]bool{}

func init() {
	for _, name := range strings.Fields(commandNames) {
		redisCommands[name] = true
	}
}

const commandNames = "acl acl|cat acl|deluser acl|dryrun acl|genpass acl|getuser acl|help acl|list acl|load acl|log " +
	"acl|save acl|setuser acl|users acl|whoami append asking auth bgrewriteaof bgsave bitcount " +
	"bitfield bitfield_ro bitop bitpos blmove blmpop blpop brpop brpoplpush bzmpop bzpopmax " +
	"bzpopmin client client|caching client|getname client|getredir client|help client|id " +
	"client|info client|kill client|list client|no-evict client|pause client|reply client|setname " +
	"client|tracking client|trackinginfo client|unblock client|unpause cluster cluster|addslots " +
	"cluster|addslotsrange cluster|bumpepoch cluster|count-failure-reports " +
	"cluster|countkeysinslot cluster|delslots cluster|delslotsrange cluster|failover " +
	"cluster|flushslots cluster|forget cluster|getkeysinslot cluster|help cluster|info " +
	"cluster|keyslot cluster|links cluster|meet cluster|myid cluster|nodes cluster|replicas " +
	"cluster|replicate cluster|reset cluster|saveconfig cluster|set-config-epoch cluster|setslot " +
	"cluster|shards cluster|slaves cluster|slots command command|count command|docs " +
	"command|getkeys command|getkeysandflags command|help command|info command|list config " +
	"config|get config|help config|resetstat config|rewrite config|set copy dbsize debug decr " +
	"decrby del discard dump echo eval eval_ro evalsha evalsha_ro exec exists expire expireat " +
	"expiretime failover fcall fcall_ro flushall flushdb function function|delete function|dump " +
	"function|flush function|help function|kill function|list function|load function|restore " +
	"function|stats geoadd geodist geohash geopos georadius georadius_ro georadiusbymember " +
	"georadiusbymember_ro geosearch geosearchstore get getbit getdel getex getrange getset hdel " +
	"hello hexists hget hgetall hincrby hincrbyfloat hkeys hlen hmget hmset hrandfield hscan hset " +
	"hsetnx hstrlen hvals incr incrby incrbyfloat info keys lastsave latency latency|doctor " +
	"latency|graph latency|help latency|histogram latency|history latency|latest latency|reset " +
	"lcs lindex linsert llen lmove lmpop lolwut lpop lpos lpush lpushx lrange lrem lset ltrim " +
	"memory memory|doctor memory|help memory|malloc-stats memory|purge memory|stats memory|usage " +
	"mget migrate module module|help module|list module|load module|loadex module|unload monitor " +
	"move mset msetnx multi object object|encoding object|freq object|help object|idletime " +
	"object|refcount persist pexpire pexpireat pexpiretime pfadd pfcount pfdebug pfmerge " +
	"pfselftest ping psetex psubscribe psync pttl publish pubsub pubsub|channels pubsub|help " +
	"pubsub|numpat pubsub|numsub pubsub|shardchannels pubsub|shardnumsub punsubscribe quit " +
	"randomkey readonly readwrite rename renamenx replconf replicaof reset restore restore-asking " +
	"role rpop rpoplpush rpush rpushx sadd save scan scard script script|debug script|exists " +
	"script|flush script|help script|kill script|load sdiff sdiffstore select sentinel " +
	"sentinel|ckquorum sentinel|config sentinel|debug sentinel|failover sentinel|flushconfig " +
	"sentinel|get-master-addr-by-name sentinel|help sentinel|info-cache " +
	"sentinel|is-master-down-by-addr sentinel|master sentinel|masters sentinel|monitor " +
	"sentinel|myid sentinel|pending-scripts sentinel|remove sentinel|replicas sentinel|reset " +
	"sentinel|sentinels sentinel|set sentinel|simulate-failure sentinel|slaves set setbit setex " +
	"setnx setrange shutdown sinter sintercard sinterstore sismember slaveof slowlog slowlog|get " +
	"slowlog|help slowlog|len slowlog|reset smembers smismember smove sort sort_ro spop spublish " +
	"srandmember srem sscan ssubscribe strlen subscribe substr sunion sunionstore sunsubscribe " +
	"swapdb sync time touch ttl type unlink unsubscribe unwatch wait watch xack xadd xautoclaim " +
	"xclaim xdel xgroup xgroup|create xgroup|createconsumer xgroup|delconsumer xgroup|destroy " +
	"xgroup|help xgroup|setid xinfo xinfo|consumers xinfo|groups xinfo|help xinfo|stream xlen " +
	"xpending xrange xread xreadgroup xrevrange xsetid xtrim zadd zcard zcount zdiff zdiffstore " +
	"zincrby zinter zintercard zinterstore zlexcount zmpop zmscore zpopmax zpopmin zrandmember " +
	"zrange zrangebylex zrangebyscore zrangestore zrank zrem zremrangebylex zremrangebyrank " +
	"zremrangebyscore zrevrange zrevrangebylex zrevrangebyscore zrevrank zscan zscore zunion " +
	"zunionstore"

// aclCategories are the ACL categories of the commands the simulation implements, as
// 7.0.15 derives them from each command's flags and declared categories.
var aclCategories = map[string]string{
	"get":              "string read fast",
	"set":              "string write slow",
	"del":              "keyspace write slow",
	"exists":           "keyspace read fast",
	"incr":             "string write fast",
	"incrby":           "string write fast",
	"sadd":             "set write fast",
	"srem":             "set write fast",
	"smembers":         "set read slow",
	"scard":            "set read fast",
	"sismember":        "set read fast",
	"rpush":            "list write fast",
	"lrange":           "list read slow",
	"llen":             "list read fast",
	"dbsize":           "keyspace read fast",
	"flushall":         "keyspace dangerous write slow",
	"ping":             "connection fast",
	"echo":             "connection fast",
	"select":           "connection fast",
	"multi":            "transaction fast",
	"exec":             "transaction slow",
	"discard":          "transaction fast",
	"info":             "dangerous slow",
	"role":             "admin dangerous fast",
	"replicaof":        "admin dangerous slow",
	"slaveof":          "admin dangerous slow",
	"wait":             "connection slow",
	"publish":          "pubsub fast",
	"subscribe":        "pubsub slow",
	"unsubscribe":      "pubsub slow",
	"psubscribe":       "pubsub slow",
	"punsubscribe":     "pubsub slow",
	"debug":            "admin dangerous slow",
	"shutdown":         "admin dangerous slow",
	"auth":             "connection fast",
	"hello":            "connection fast",
	"quit":             "connection fast",
	"psync":            "admin dangerous slow",
	"sync":             "admin dangerous slow",
	"replconf":         "admin dangerous slow",
	"save":             "admin dangerous slow",
	"bgsave":           "admin dangerous slow",
	"bgrewriteaof":     "admin dangerous slow",
	"lastsave":         "admin dangerous fast",
	"client|setname":   "connection slow",
	"client|getname":   "connection slow",
	"client|id":        "connection slow",
	"client|list":      "connection admin dangerous slow",
	"client|kill":      "connection admin dangerous slow",
	"config|get":       "admin dangerous slow",
	"config|set":       "admin dangerous slow",
	"config|rewrite":   "admin dangerous slow",
	"config|resetstat": "admin dangerous slow",
	"script|kill":      "scripting slow",
	"script|flush":     "scripting slow",
	"acl|setuser":      "admin dangerous slow",
	"acl|deluser":      "admin dangerous slow",
	"acl|whoami":       "slow",
	"acl|users":        "admin dangerous slow",
	"acl|list":         "admin dangerous slow",
}

// categoryNames are 7.0.15's ACL categories.
var categoryNames = map[string]bool{"keyspace": true, "read": true, "write": true, "set": true, "sortedset": true,
	"list": true, "hash": true, "string": true, "bitmap": true, "hyperloglog": true, "geo": true, "stream": true,
	"pubsub": true, "admin": true, "fast": true, "slow": true, "blocking": true, "dangerous": true,
	"connection": true, "transaction": true, "scripting": true}
