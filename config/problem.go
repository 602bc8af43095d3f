package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration, located in its file.
type Problem struct {
	// File is the file name as given to Load or Parse; "" for a Config
	// built in code.
	File string
	// Line is the 1-based line of the key at fault, or of its table when
	// the key is absent from the file; 0 when not known.
	Line int
	// Col is the column of a TOML syntax error; 0 otherwise.
	Col int
	// Key is the dotted key at fault without array indexes, for example
	// "server.tls-mode"; "" for a syntax error.
	Key string
	// Message says what is wrong and what is wanted; it names the key
	// itself.
	Message string
	// Err is the underlying error, such as a toml.ParseError; may be nil.
	Err error
}

// Error writes "file:line: message" ("file:line:col: message" for a
// syntax error), leaving out the parts that are unknown.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	b.WriteString(p.Message)
	return b.String()
}

// Unwrap returns the underlying error.
func (p *Problem) Unwrap() error { return p.Err }

// Error is every problem found in a configuration, in file order. Its
// Error text is one problem per line, like errors.Join's, and Unwrap
// returns them, so errors.As finds each *Problem.
type Error struct {
	// Problems are the problems found, at least one.
	Problems []*Problem
}

// Error writes one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as errors.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// source is where a Config's values came from: the file's name and the
// line of each key. The lines are scanned when a problem first asks for
// one: a file without problems, as every inetd session reads, never needs
// them.
type source struct {
	name  string
	lines func() *keyLines
}

// lineOf returns the line of p, or of the nearest table around it that
// the file mentions; 0 if none.
func (s *source) lineOf(p keyPath) int {
	if s == nil {
		return 0
	}
	for ; len(p) > 0; p = p.parent() {
		if n, ok := s.lines().exact[p.String()]; ok {
			return n
		}
	}
	return 0
}

// problems collects Problems against one source.
type problems struct {
	src    *source
	list   []*Problem
	pruned bool // checkSchema removed values from the document
}

// add records a problem with the value at p; the message is prefixed
// with the key's name.
func (ps *problems) add(p keyPath, format string, args ...any) {
	ps.addMessage(p, p.display()+": "+fmt.Sprintf(format, args...), nil)
}

// addErr records err as a problem with the value at p.
func (ps *problems) addErr(p keyPath, err error) {
	ps.addMessage(p, p.display()+": "+err.Error(), err)
}

// addMessage records a problem with the value at p, the message as is.
func (ps *problems) addMessage(p keyPath, msg string, err error) {
	ps.list = append(ps.list, &Problem{
		File:    ps.fileName(),
		Line:    ps.src.lineOf(p),
		Key:     p.display(),
		Message: msg,
		Err:     err,
	})
}

func (ps *problems) fileName() string {
	if ps.src == nil {
		return ""
	}
	return ps.src.name
}

// err returns the problems, sorted by line (those without one last), as
// an *Error, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	order := func(p *Problem) int {
		if p.Line == 0 {
			return math.MaxInt
		}
		return p.Line
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return order(ps.list[i]) < order(ps.list[j]) })
	return &Error{Problems: ps.list}
}

// Problemf returns a Problem with the value at key, located in the file
// the configuration came from, for checks made outside this package (the
// gateway's, of certificates and of features not built yet). key is
// dotted, with the index of an array element in brackets:
// "server[1].tls-mode", "tls.certificate-file", "auth.mechanisms[0]".
// The message is prefixed with the key's name, as Validate's are.
func (c *Config) Problemf(key, format string, args ...any) *Problem {
	ps := &problems{src: c.src}
	ps.add(parseKeyPath(key), format, args...)
	return ps.list[0]
}

// Problems returns an *Error holding list, sorted by line, or nil when
// list is empty.
func Problems(list ...*Problem) error {
	ps := &problems{list: list}
	return ps.err()
}

// parseKeyPath reads a key written as keyPath.String writes it, for keys
// that need no quoting (all of mailgate's).
func parseKeyPath(key string) keyPath {
	var p keyPath
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			p = p.key(name)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				p = p.index(n)
			}
			_, rest, _ = strings.Cut(after, "[")
		}
	}
	return p
}
