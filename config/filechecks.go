package config

import (
	"fmt"
	"strings"
)

// fileCheckNames are the safety checks of [tls-file-checks], as mailutils
// names them.
func fileCheckNames() []string {
	return []string{"gwrfil", "awrfil", "grdfil", "ardfil", "linkwrdir", "gwrdir", "awrdir"}
}

// FileChecks resolves a [tls-file-checks] list into the checks it enables,
// in a fixed order. Items apply left to right: "none" clears the set, "all"
// fills it, "name" or "+name" adds a check, "-name" removes one. The
// checks are: gwrfil and awrfil forbid a group- or world-writable file;
// grdfil and ardfil a group- or world-readable one; linkwrdir a symbolic
// link in a group- or world-writable directory; gwrdir and awrdir a file
// in a group- or world-writable directory.
func FileChecks(list []string) ([]string, error) {
	on := map[string]bool{}
	for _, item := range list {
		switch item {
		case "none":
			clear(on)
			continue
		case "all":
			for _, n := range fileCheckNames() {
				on[n] = true
			}
			continue
		}
		name, enable := item, true
		if rest, ok := strings.CutPrefix(item, "-"); ok {
			name, enable = rest, false
		} else if rest, ok := strings.CutPrefix(item, "+"); ok {
			name = rest
		}
		if !contains(fileCheckNames(), name) {
			return nil, fmt.Errorf("unknown check %q; want \"none\", \"all\" or %s, each optionally after + or -",
				item, orList(quoteAll(fileCheckNames())))
		}
		on[name] = enable
	}
	var enabled []string
	for _, n := range fileCheckNames() {
		if on[n] {
			enabled = append(enabled, n)
		}
	}
	return enabled, nil
}
