package config

import (
	"slices"
	"strings"
)

// contains reports whether list holds s.
func contains(list []string, s string) bool { return slices.Contains(list, s) }

// quoteAll quotes each string.
func quoteAll(list []string) []string {
	return prefixAll(`"`, list, `"`)
}

// prefixAll wraps each string in before and after.
func prefixAll(before string, list []string, after string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = before + s + after
	}
	return out
}

// orList writes "a, b or c".
func orList(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
