package proxyauth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// Node is one mailgate node behind the proxy.
type Node struct {
	// Name identifies the node in the owners file and in rendezvous
	// hashing: renaming a node moves its hashed users, changing its
	// addresses does not.
	Name string
	// IMAP and POP3 are where nginx connects a client of this node
	// (Auth-Server and Auth-Port); a zero value means the node does not
	// serve that protocol. nginx takes an IP address here, not a name.
	IMAP, POP3 netip.AddrPort
	// LMTP is where Postfix delivers this node's mail: host:port, or the
	// absolute path of a unix socket.
	LMTP string
	// Users are patterns (path.Match syntax, matched without regard to
	// case) of user names that this node owns.
	Users []string
	// Hash makes the node one of those that rendezvous hashing spreads
	// the remaining users over.
	Hash bool
}

// Transport returns the node's LMTP address as a Postfix transport
// ("lmtp:inet:host:port" or "lmtp:unix:/path").
func (n Node) Transport() string {
	if strings.HasPrefix(n.LMTP, "/") {
		return "lmtp:unix:" + n.LMTP
	}
	return "lmtp:inet:" + n.LMTP
}

// OwnerMap tells which node owns a user. *Owners is one.
type OwnerMap interface {
	Owner(user string) (Node, bool)
}

// Owners tells which node owns a user. The rule, in order:
//
//  1. the owners file's line for the user, when there is one;
//  2. the first node (in configuration order) one of whose Users
//     patterns matches;
//  3. rendezvous (highest random weight) hashing over the nodes with
//     Hash set: each such node scores the user with a hash of its name
//     and the user's, and the highest score wins. Adding a node moves to
//     it the users it now wins, about 1/N of them, and no one else.
//
// User names are compared without regard to ASCII case, since Postfix
// folds the addresses it looks up and a client may type either.
// Owners is safe for concurrent use.
type Owners struct {
	nodes  []Node
	byName map[string]int
	file   *ownersFile // nil without an owners file
	log    *slog.Logger
}

// NewOwners returns the ownership map of nodes, with the owners file at
// file ("" for none), which must parse now and is read again when it
// changes. log hears of a changed file that does not parse (the last
// good one stays in force); nil means slog.Default().
func NewOwners(nodes []Node, file string, log *slog.Logger) (*Owners, error) {
	if log == nil {
		log = slog.Default()
	}
	o := &Owners{nodes: nodes, byName: map[string]int{}, log: log}
	for i, n := range nodes {
		if n.Name == "" {
			return nil, fmt.Errorf("proxy-auth: node %d has no name", i+1)
		}
		if _, dup := o.byName[n.Name]; dup {
			return nil, fmt.Errorf("proxy-auth: two nodes are named %q", n.Name)
		}
		for _, p := range n.Users {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("proxy-auth: node %q: pattern %q: %w", n.Name, p, err)
			}
		}
		o.byName[n.Name] = i
	}
	if file != "" {
		o.file = &ownersFile{path: file, known: o.known}
		if err := o.file.load(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// known reports whether name is a node's name.
func (o *Owners) known(name string) bool {
	_, ok := o.byName[name]
	return ok
}

// Nodes returns the nodes, in configuration order.
func (o *Owners) Nodes() []Node { return o.nodes }

// Owner returns the node that owns user, and false when no rule gives
// one (no pattern matches and no node takes hashed users).
func (o *Owners) Owner(user string) (Node, bool) {
	key := fold(user)
	if o.file != nil {
		if err := o.file.refresh(); err != nil {
			o.log.Error("proxy-auth: the owners file changed but does not parse; the last good one stays in force", "err", err)
		}
		if name, ok := o.file.owner(key); ok {
			return o.nodes[o.byName[name]], true
		}
	}
	for _, n := range o.nodes {
		for _, p := range n.Users {
			if ok, _ := path.Match(fold(p), key); ok {
				return n, true
			}
		}
	}
	var best Node
	var bestScore uint64
	found := false
	for _, n := range o.nodes {
		if !n.Hash {
			continue
		}
		if s := score(n.Name, key); !found || s > bestScore {
			best, bestScore, found = n, s, true
		}
	}
	return best, found
}

// score is node's rendezvous weight for user: the first 8 bytes of a
// SHA-256 of both, so that every auth endpoint and every version agree.
func score(node, user string) uint64 {
	h := sha256.New()
	h.Write([]byte(node))
	h.Write([]byte{0})
	h.Write([]byte(user))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// fold lower-cases ASCII letters, as Postfix folds lookup keys.
func fold(s string) string {
	return strings.ToLower(s)
}

// ownersFile is the owners file, read again when its size or time
// changes, at most once a second.
type ownersFile struct {
	path  string
	known func(node string) bool

	mu      sync.Mutex
	owners  map[string]string // folded user -> node name
	mtime   time.Time
	size    int64
	checked time.Time
}

// load reads the file now.
func (f *ownersFile) load() error {
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("proxy-auth: owners file: %w", err)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("proxy-auth: owners file: %w", err)
	}
	owners, err := ParseOwnersFile(f.path, data, f.known)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.owners, f.mtime, f.size, f.checked = owners, fi.ModTime(), fi.Size(), time.Now()
	f.mu.Unlock()
	return nil
}

// refresh reloads the file when it changed; at most one stat a second.
func (f *ownersFile) refresh() error {
	f.mu.Lock()
	now := time.Now()
	if now.Sub(f.checked) < time.Second {
		f.mu.Unlock()
		return nil
	}
	f.checked = now
	mtime, size := f.mtime, f.size
	f.mu.Unlock()
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("proxy-auth: owners file: %w", err)
	}
	if fi.ModTime().Equal(mtime) && fi.Size() == size {
		return nil
	}
	return f.load()
}

func (f *ownersFile) owner(user string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.owners[user]
	return n, ok
}

// ParseOwnersFile parses an owners file: one "user node" pair a line,
// separated by blanks; blank lines and lines starting with '#' are
// ignored. Every node must be one that known accepts (nil accepts any),
// and no user may be listed twice. Errors name file and line. User names
// are folded to lower case.
func ParseOwnersFile(file string, data []byte, known func(node string) bool) (map[string]string, error) {
	owners := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"user node\", got %d fields", file, i+1, len(fields))
		}
		user, node := fold(fields[0]), fields[1]
		if known != nil && !known(node) {
			return nil, fmt.Errorf("%s:%d: no [[proxy-auth.node]] is named %q", file, i+1, node)
		}
		if prev, dup := owners[user]; dup {
			return nil, fmt.Errorf("%s:%d: user %q is already on node %q", file, i+1, fields[0], prev)
		}
		owners[user] = node
	}
	return owners, nil
}
