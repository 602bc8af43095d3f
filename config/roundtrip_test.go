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

// The special-use tables and quotas survive the encoder too: a session
// process gets its configuration that way.
func TestEncodeRoundTripMailboxExtensions(t *testing.T) {
	c, err := Parse([]byte("[mailbox]\nquota-storage = \"5GiB\"\nquota-messages = 100\n"+
		"[[mailbox.special-use]]\nname = \"Sent\"\nuse = '\\Sent'\ncreate = true\n"), "x.toml")
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
	if !reflect.DeepEqual(back.Mailbox, c.Mailbox) || c.Mailbox.QuotaStorage != 5<<30 || len(c.Mailbox.SpecialUse) != 1 {
		t.Errorf("round trip: %+v, want %+v", back.Mailbox, c.Mailbox)
	}
}
