package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// checkSchema walks a decoded document beside the Config type and reports
// every key the schema lacks and every value of the wrong TOML type or
// form, each at its own line. toml's own decoder stops at the first type
// error, matches key names case-insensitively and cannot place an error
// inside an array of tables. Each value reported is removed from doc, so
// that what is left decodes cleanly and can still be validated; ps.pruned
// says whether anything was.
func checkSchema(doc map[string]any, ps *problems) {
	checkTable(doc, reflect.TypeFor[Config](), nil, ps)
}

// checkValue checks one value against Go type t and reports whether it
// fits.
func checkValue(v any, t reflect.Type, p keyPath, ps *problems) bool {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		s, ok := v.(string)
		if !ok {
			ps.add(p, "want a duration string such as \"30m\" or \"1s\", not %s", describe(v))
			return false
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			ps.add(p, "%q is not a duration; write a number and a unit, such as \"30m\", \"90s\" or \"1h30m\"", s)
			return false
		}
		if d < 0 {
			ps.add(p, "%q is negative", s)
			return false
		}
		return true
	case reflect.PointerTo(t).Implements(reflect.TypeFor[toml.Unmarshaler]()):
		if err := reflect.New(t).Interface().(toml.Unmarshaler).UnmarshalTOML(v); err != nil {
			ps.addErr(p, err)
			return false
		}
		return true
	case reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()):
		s, ok := v.(string)
		if !ok {
			ps.add(p, "want a string, not %s", describe(v))
			return false
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			ps.addErr(p, err)
			return false
		}
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkTable(v, t, p, ps)
	case reflect.Slice:
		return checkArray(v, t, p, ps)
	case reflect.Map:
		return checkMap(v, t, p, ps)
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.add(p, "want a string, not %s", describe(v))
			return false
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.add(p, "want true or false, not %s", describe(v))
			return false
		}
	case reflect.Int, reflect.Int64:
		if _, ok := v.(int64); !ok {
			ps.add(p, "want an integer, not %s", describe(v))
			return false
		}
	default:
		panic("config: no schema check for " + t.String())
	}
	return true
}

// checkTable checks a table against struct type t, removing the keys that
// are unknown or do not fit.
func checkTable(v any, t reflect.Type, p keyPath, ps *problems) bool {
	table, ok := v.(map[string]any)
	if !ok {
		ps.add(p, "want a table, not %s", describe(v))
		return false
	}
	fields := tomlFields(t)
	for _, k := range sortedKeys(table) {
		kp := p.key(k)
		i, ok := fields[k]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", kp.display())
			if s := suggest(k, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			ps.addMessage(kp, msg, nil)
			delete(table, k)
			ps.pruned = true
			continue
		}
		if !checkValue(table[k], t.Field(i).Type, kp, ps) {
			delete(table, k)
			ps.pruned = true
		}
	}
	return true
}

// checkArray checks an array against slice type t; one element that does
// not fit spoils the array.
func checkArray(v any, t reflect.Type, p keyPath, ps *problems) bool {
	var elems []any
	switch v := v.(type) {
	case []any:
		elems = v
	case []map[string]any:
		for _, m := range v {
			elems = append(elems, m)
		}
	default:
		if t.Elem().Kind() == reflect.Struct {
			ps.add(p, "want tables ([[%s]]), not %s", p.display(), describe(v))
		} else {
			ps.add(p, "want an array, not %s", describe(v))
		}
		return false
	}
	ok := true
	for i, e := range elems {
		if !checkValue(e, t.Elem(), p.index(i), ps) {
			ok = false
		}
	}
	return ok
}

// checkMap checks a table of any keys against map type t, removing the
// values that do not fit.
func checkMap(v any, t reflect.Type, p keyPath, ps *problems) bool {
	table, ok := v.(map[string]any)
	if !ok {
		ps.add(p, "want a table, not %s", describe(v))
		return false
	}
	for _, k := range sortedKeys(table) {
		if !checkValue(table[k], t.Elem(), p.key(k), ps) {
			delete(table, k)
			ps.pruned = true
		}
	}
	return true
}

// tomlFields maps the toml keys of struct type t to their fields' indexes
// (small values: the map is built for every table of every file read).
func tomlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = i
	}
	return fields
}

// sortedKeys returns the keys of m in order, so that problems come out in
// the same order every time.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest returns the known key closest to an unknown one, or "".
func suggest(k string, fields map[string]int) string {
	best, bestDist := "", 3
	for name := range fields {
		if strings.EqualFold(name, k) {
			return name
		}
		if d := editDistance(k, name); d < bestDist || d == bestDist && name < best {
			best, bestDist = name, d
		}
	}
	if bestDist > len(k)/2 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describe names a TOML value's type for a message, with the value when
// it is short.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) <= 40 {
			return fmt.Sprintf("the string %q", v)
		}
	case int64, float64, bool:
		return fmt.Sprintf("%s %v", tomlTypeName(v), v)
	}
	return tomlTypeName(v)
}

// tomlTypeName names a decoded TOML value's type.
func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
