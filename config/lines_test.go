package config

import (
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestScanKeyLines(t *testing.T) {
	src := `# comment [not a table]
a = 1 # trailing [comment]
"quoted key" = 'lit'
b.c = """
multi "" line
"""
[t]
d = [
  1, # a comment
  [2, 3],
  { e = 4 },
]
f = { g = { h = 5 },
      i = 6 }
[[arr]]
x = '''
'''
[[arr]]
x = 2
[arr.sub]
y = 3
[[arr.list]]
z = 4
[[arr.list]]
z = 5
['lit.key']
k = "esc \" ] # not a comment"
[t2]
"a\u0062" = 1
date = 1979-05-27 07:32:00Z
s = "a\\"
after = 1
`
	want := map[string]int{
		"a":                2,
		`"quoted key"`:     3,
		"b":                4,
		"b.c":              4,
		"t":                7,
		"t.d":              8,
		"t.d[0]":           9,
		"t.d[1]":           10,
		"t.d[1][1]":        10,
		"t.d[2]":           11,
		"t.d[2].e":         11,
		"t.f":              13,
		"t.f.g.h":          13,
		"t.f.i":            14,
		"arr":              15,
		"arr[0]":           15,
		"arr[0].x":         16,
		"arr[1]":           18,
		"arr[1].x":         19,
		"arr[1].sub":       20,
		"arr[1].sub.y":     21,
		"arr[1].list":      22,
		"arr[1].list[0]":   22,
		"arr[1].list[1]":   24,
		"arr[1].list[1].z": 25,
		`"lit.key"`:        26,
		`"lit.key".k`:      27,
		"t2.ab":            29,
		"t2.date":          30,
		"t2.s":             31,
		"t2.after":         32,
	}
	var v any
	if _, err := toml.Decode(src, &v); err != nil {
		t.Fatalf("test document is not TOML: %v", err)
	}
	got := scanKeyLines(src)
	for k, line := range want {
		if got.exact[k] != line {
			t.Errorf("line of %s = %d, want %d", k, got.exact[k], line)
		}
	}
	if got.loose["arr.list.z"] != 23 {
		t.Errorf("loose line of arr.list.z = %d, want 23", got.loose["arr.list.z"])
	}
}

// checkKeysFound checks that the scanner finds a line for every key toml
// reports, within the document.
func checkKeysFound(t *testing.T, src string) {
	t.Helper()
	var v any
	md, err := toml.Decode(src, &v)
	if err != nil {
		return
	}
	lines := scanKeyLines(src)
	n := strings.Count(src, "\n") + 1
	for _, k := range md.Keys() {
		var p keyPath
		for _, part := range k {
			p = p.key(part)
		}
		l := lines.loose[p.display()]
		if l < 1 || l > n {
			t.Errorf("key %s: line %d, want 1..%d\n%s", p.display(), l, n, src)
			continue
		}
		// A bare key is written on its line as it is.
		if last := k[len(k)-1]; last != "" && strings.Trim(last, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == "" {
			if text := strings.Split(src, "\n")[l-1]; !strings.Contains(text, last) {
				t.Errorf("key %s: line %d is %q\n%s", p.display(), l, text, src)
			}
		}
	}
}

func TestScanFindsEveryKey(t *testing.T) {
	for _, f := range []string{"testdata/design.toml", "default.toml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkKeysFound(t, string(data))
	}
}

func TestUnescapeBasic(t *testing.T) {
	tests := map[string]string{
		`plain`:            "plain",
		`a\tb`:             "a\tb",
		`\u0041\U0001F600`: "A\U0001F600",
		`\x41`:             "A",
		`\e`:               "\x1b",
		`\"\\`:             `"\`,
		`\q`:               `\q`,
		`\u00`:             `\u00`,
		`\uZZZZ`:           `\uZZZZ`,
		`end\`:             `end\`,
	}
	for in, want := range tests {
		if got := unescapeBasic(in); got != want {
			t.Errorf("unescapeBasic(%q) = %q, want %q", in, got, want)
		}
	}
}
