package sentinel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// aclUser is one of the sentinel's own users, as ACL SETUSER defines them. Sentinel
// serves no keys, so command, key and channel rules are accepted and have nothing to
// restrict here; what matters is whether a user may authenticate, and with what.
type aclUser struct {
	on        bool
	nopass    bool
	passwords []string
}

// newUsers is Redis's initial ACL: the default user, on, with requirepass as its password
// or nopass without one.
func newUsers(requirePass string) map[string]*aclUser {
	def := &aclUser{on: true, nopass: requirePass == ""}
	if requirePass != "" {
		def.passwords = []string{requirePass}
	}
	return map[string]*aclUser{"default": def}
}

// authenticates reports whether user may log in with pass.
func (h *Hub) authenticates(user, pass string) bool {
	u, ok := h.users[user]
	return ok && u.on && (u.nopass || slices.Contains(u.passwords, pass))
}

// defaultAuth reports whether a new connection starts authenticated as default.
func (h *Hub) defaultAuth() bool {
	u := h.users["default"]
	return u.on && u.nopass
}

// acl is ACL SETUSER, DELUSER, WHOAMI, USERS and LIST.
func (c *Session) acl(args []string) resp.Value {
	if len(args) < 2 {
		return arityError("acl")
	}
	h := c.hub
	sub := strings.ToLower(args[1])
	switch {
	case sub == "whoami" && len(args) == 2:
		return resp.Bulk(c.user)
	case sub == "users" && len(args) == 2:
		return resp.BulkArray(h.userNames()...)
	case sub == "list" && len(args) == 2:
		var out []string
		for _, name := range h.userNames() {
			out = append(out, h.users[name].describe(name))
		}
		return resp.BulkArray(out...)
	case sub == "setuser" && len(args) >= 3:
		u, ok := h.users[args[2]]
		if !ok {
			u = &aclUser{}
		}
		next := *u
		next.passwords = slices.Clone(u.passwords)
		for _, rule := range args[3:] {
			if err := next.apply(rule); err != nil {
				return resp.Err(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%s': %v", rule, err))
			}
		}
		h.users[args[2]] = &next
		return resp.OK
	case sub == "deluser" && len(args) >= 3:
		deleted := int64(0)
		for _, name := range args[2:] {
			if name == "default" {
				return resp.Err("ERR The 'default' user cannot be removed")
			}
			if _, ok := h.users[name]; ok {
				delete(h.users, name)
				deleted++
				// Redis disconnects the clients of a deleted user.
				for _, x := range slices.Clone(h.sessions) {
					if x.user == name {
						x.Close()
					}
				}
			}
		}
		return resp.Int(deleted)
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP.", args[1]))
}

func (h *Hub) userNames() []string {
	return slices.Sorted(maps.Keys(h.users))
}

// apply applies one ACL rule.
func (u *aclUser) apply(rule string) error {
	switch {
	case strings.EqualFold(rule, "on"):
		u.on = true
	case strings.EqualFold(rule, "off"):
		u.on = false
	case strings.EqualFold(rule, "nopass"):
		u.nopass, u.passwords = true, nil
	case strings.EqualFold(rule, "resetpass"):
		u.nopass, u.passwords = false, nil
	case strings.EqualFold(rule, "reset"):
		*u = aclUser{}
	case strings.HasPrefix(rule, ">"):
		if !slices.Contains(u.passwords, rule[1:]) {
			u.passwords = append(u.passwords, rule[1:])
		}
		u.nopass = false
	case strings.HasPrefix(rule, "<"):
		u.passwords = slices.DeleteFunc(u.passwords, func(p string) bool { return p == rule[1:] })
	case rule[0] == '+' || rule[0] == '-' || rule[0] == '~' || rule[0] == '%' || rule[0] == '&' ||
		slices.Contains([]string{"allcommands", "nocommands", "allkeys", "resetkeys", "allchannels", "resetchannels"},
			strings.ToLower(rule)):
		// Permissions: nothing in a sentinel for them to restrict.
	default:
		return fmt.Errorf("Syntax error")
	}
	return nil
}

// describe is the user's line in ACL LIST.
func (u *aclUser) describe(name string) string {
	parts := []string{"user", name, map[bool]string{true: "on", false: "off"}[u.on]}
	if u.nopass {
		parts = append(parts, "nopass")
	}
	for _, p := range u.passwords {
		parts = append(parts, "#"+sha256hex(p))
	}
	return strings.Join(append(parts, "~*", "&*", "+@all"), " ")
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
