package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// A Config written back with toml's encoder reads in again unchanged, so
// that a tool can show the configuration in effect.
func TestEncodeRoundTrip(t *testing.T) {
	c, err := Load("testdata/design.toml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		t.Fatal(err)
	}
	back, err := Parse([]byte(b.String()), "encoded.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	back.src, c.src = nil, nil
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v\n%s", back, c, b.String())
	}
}
