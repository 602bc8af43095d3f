package config

import (
	"errors"
	"testing"
)

// Problemf locates a check made outside this package at its key's line,
// array elements included, so that the daemon's checks read as Validate's.
func TestProblemf(t *testing.T) {
	src := "data-dir = \"/d\"\n" +
		"[[server]]\n" +
		"address = \"127.0.0.1:1\"\n" +
		"[[server]]\n" +
		"address = \"127.0.0.1:2\"\n" +
		"tls-mode = \"connection\"\n" + // line 6
		"[auth]\n" +
		"mechanisms = [\"PLAIN\",\n  \"LOGIN\"]\n" // LOGIN on line 9
	c := mustParse(t, src)
	for _, tc := range []struct {
		key, want string
		line      int
	}{
		{"server[1].tls-mode", "server.tls-mode: x", 6},
		{"server[1]", "server: x", 4},
		{"auth.mechanisms[1]", "auth.mechanisms: x", 9},
		{"tls.certificate-file", "tls.certificate-file: x", 0},
	} {
		p := c.Problemf(tc.key, "x")
		if p.Line != tc.line || p.Message != tc.want || p.File != "test.toml" {
			t.Errorf("Problemf(%q) = line %d %q in %q, want line %d %q", tc.key, p.Line, p.Message, p.File, tc.line, tc.want)
		}
	}
	err := Problems(c.Problemf("server[1].tls-mode", "b"), c.Problemf("server[0].address", "a"))
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 2 || e.Problems[0].Line != 3 {
		t.Errorf("Problems: %v, want two sorted by line", err)
	}
	if Problems() != nil {
		t.Error("Problems() is not nil")
	}
}
