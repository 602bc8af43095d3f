package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// Load reads, decodes and validates the configuration file at path; see
// Parse. An error reading the file wraps the os error, so
// errors.Is(err, fs.ErrNotExist) tells a missing file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a configuration file's contents on top of [Default] and
// validates the result. name is the file's name for messages.
//
// Every problem is reported in one *[Error], each [Problem] naming the
// file and line: a TOML syntax error (toml's own message and column), an
// unknown key, a value of the wrong type, and each value that
// [Config.Validate] rejects. A file with no problems yields a Config whose
// data-dir is set (see [DefaultDataDir]), whose SASL mechanisms are upper
// case, and whose personal namespace has a "" prefix.
func Parse(data []byte, name string) (*Config, error) {
	text := string(data)
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return nil, &Error{Problems: []*Problem{syntaxProblem(name, err)}}
	}
	src := &source{name: name, lines: sync.OnceValue(func() *keyLines { return scanKeyLines(text) })}
	ps := &problems{src: src}
	checkSchema(doc, ps)
	if ps.pruned { // decode what is left after the bad values
		var b strings.Builder
		if err := toml.NewEncoder(&b).Encode(doc); err != nil {
			ps.addMessage(nil, "re-encode: "+err.Error(), err)
			return nil, ps.err()
		}
		text = b.String()
	}

	cfg := Default()
	cfg.src = src
	cfg.presize(doc)
	md, err := toml.Decode(text, cfg)
	if err != nil { // checkSchema should have caught it; report it all the same
		ps.addMessage(nil, err.Error(), err)
		return nil, ps.err()
	}
	if !ps.pruned {
		for _, k := range md.Undecoded() {
			p := &Problem{File: name, Line: src.lineOfKey(k), Key: k.String(),
				Message: fmt.Sprintf("unknown key %q", k.String())}
			ps.list = append(ps.list, p)
		}
	}
	cfg.normalize()
	if err := cfg.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			ps.list = append(ps.list, e.Problems...)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxProblem turns toml's syntax error into a Problem that keeps toml's
// message, line and column.
func syntaxProblem(name string, err error) *Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Problem{File: name, Line: pe.Position.Line, Col: pe.Position.Col,
			Message: "toml: " + pe.Message, Err: err}
	}
	return &Problem{File: name, Message: err.Error(), Err: err}
}

// presize gives each array of tables in doc as many elements as the file
// has, each starting from its defaults, so that toml fills them in place:
// a [[server]] table inherits what it leaves out from DefaultServer.
func (c *Config) presize(doc map[string]any) {
	if n, ok := arrayLen(doc["server"]); ok {
		c.Servers = make([]Server, n)
		for i := range c.Servers {
			c.Servers[i] = DefaultServer()
		}
	}
	proxy, _ := doc["proxy-auth"].(map[string]any)
	if n, ok := arrayLen(proxy["node"]); ok {
		c.ProxyAuth.Nodes = make([]ProxyNode, n)
		for i := range c.ProxyAuth.Nodes {
			c.ProxyAuth.Nodes[i] = DefaultProxyNode()
		}
	}
	if n, ok := arrayLen(doc["acl"]); ok {
		c.ACL = make([]ACL, n)
	}
	namespaces, _ := doc["namespace"].(map[string]any)
	for name, ns := range map[string]*Namespace{
		"personal": &c.Namespace.Personal,
		"other":    &c.Namespace.Other,
		"shared":   &c.Namespace.Shared,
	} {
		table, _ := namespaces[name].(map[string]any)
		if n, ok := arrayLen(table["prefix"]); ok {
			ns.Prefixes = make([]Prefix, n)
			for i := range ns.Prefixes {
				ns.Prefixes[i] = DefaultPrefix()
			}
		}
	}
}

// arrayLen returns the length of a decoded TOML array.
func arrayLen(v any) (int, bool) {
	switch v := v.(type) {
	case []map[string]any:
		return len(v), true
	case []any:
		return len(v), true
	}
	return 0, false
}

// normalize fills in what the file may leave empty: the data directory,
// upper-case SASL mechanism names, and imap4d's implicit "" prefix of the
// personal namespace (at the mail directory, $mailhome, rather than at
// imap4d's $home: a system account's home is not a mail directory).
func (c *Config) normalize() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir()
	} else {
		c.DataDir = filepath.Clean(c.DataDir)
	}
	for i, m := range c.Auth.Mechanisms {
		c.Auth.Mechanisms[i] = strings.ToUpper(m)
	}
	for _, p := range c.Namespace.Personal.Prefixes {
		if p.Prefix == "" {
			return
		}
	}
	c.Namespace.Personal.Prefixes = append(c.Namespace.Personal.Prefixes,
		Prefix{Prefix: "", Directory: MailHomeVariable, Delimiter: "/"})
}

// lineOfKey returns the first line of a dotted key in any array element;
// 0 if none.
func (s *source) lineOfKey(k toml.Key) int {
	var p keyPath
	for _, part := range k {
		p = p.key(part)
	}
	return s.lines().loose[p.display()]
}
