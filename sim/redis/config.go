package redis

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

var (
	// configIndex finds a config by its name or alias, lowercased: Redis's configs dict.
	configIndex = map[string]*configDef{}
	// configKeys are the keys of configIndex, sorted, for pattern matches.
	configKeys []string
)

func init() {
	for i := range configTable {
		e := &configTable[i]
		configIndex[e.name] = e
		configKeys = append(configKeys, e.name)
		if e.alias != "" {
			configIndex[e.alias] = e
			configKeys = append(configKeys, e.alias)
		}
	}
	sort.Strings(configKeys)
}

// canonicalOption is the name a config option is stored under: aliases ("slave-read-only")
// resolve to the config's name ("replica-read-only"); unknown names stay as they are.
func canonicalOption(name string) string {
	if e := configIndex[asciiLower(name)]; e != nil {
		return e.name
	}
	return asciiLower(name)
}

// configValue is the value CONFIG GET shows.
func (n *node) configValue(e *configDef) string {
	switch e.name {
	case "port":
		return strconv.Itoa(n.srv.port)
	case "replicaof":
		if n.masterHost == "" {
			return ""
		}
		return fmt.Sprintf("%s %d", n.masterHost, n.masterPort)
	}
	if v, ok := n.srv.options[e.name]; ok {
		return v
	}
	return e.def
}

// configGet is CONFIG GET parameter [parameter ...] of 7.0 (config.c configGetCommand):
// a name without glob characters is looked up case-insensitively and answered under the
// spelling it was asked with; a pattern matches every name and alias but hidden ones. A
// config is listed once, under the first key that matched it. Redis builds the reply in
// a dict, so its order is unspecified; here it is the order of the matches.
func (n *node) configGet(params []string) resp.Value {
	var kv []string
	seen := map[string]bool{} // lowercased keys already in the reply
	for _, p := range params {
		if !strings.ContainsAny(cstr(p), "[*?") {
			lk := asciiLower(p)
			if e := configIndex[lk]; e != nil && !seen[lk] {
				seen[lk] = true
				kv = append(kv, p, n.configValue(e))
			}
			continue
		}
		for _, k := range configKeys {
			e := configIndex[k]
			if e.flags&cfgHidden != 0 || seen[k] || !stringMatch(p, k, true) {
				continue
			}
			seen[k] = true
			kv = append(kv, k, n.configValue(e))
		}
	}
	return resp.BulkArray(kv...)
}

// configSet is CONFIG SET parameter value [parameter value ...]. The options the
// simulation reads (defaults) take effect; other configs are stored and shown by CONFIG
// GET but change nothing, and their values are not validated.
func (n *node) configSet(pairs []string) resp.Value {
	if len(pairs)%2 != 0 {
		return resp.Err("ERR syntax error")
	}
	var names []string
	for i := 0; i < len(pairs); i += 2 {
		e := configIndex[asciiLower(pairs[i])]
		if e == nil {
			return resp.Err(errorLine(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", cstr(pairs[i]))))
		}
		if e.flags&cfgImmutable != 0 {
			return resp.Err(errorLine(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", cstr(pairs[i]))))
		}
		for _, x := range names {
			if x == e.name {
				return resp.Err(errorLine(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter", cstr(pairs[i]))))
			}
		}
		names = append(names, e.name)
	}
	for i, name := range names {
		n.srv.options[name] = pairs[2*i+1]
		if name == "requirepass" {
			n.users["default"].setPassword(pairs[2*i+1]) // updateRequirePass
		}
	}
	return resp.OK
}

// configRewrite is CONFIG REWRITE: the config file gets the running config, every option
// CONFIG SET changed, the master the node replicates from, and the ACL's users.
func (n *node) configRewrite() resp.Value {
	file := maps.Clone(n.srv.options)
	file["replicaof"] = n.configValue(configIndex["replicaof"])
	n.srv.file, n.srv.fileUsers = file, n.rewriteUsers()
	return resp.OK
}
