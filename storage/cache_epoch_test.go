package storage_test

import (
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestSetCachedSinceAfterDrop: values derived from files read before the
// mailbox's cached values were dropped (an administrator's resync here;
// another program's reset to a new UIDVALIDITY likewise) are not stored:
// the message that has the UID afterwards may be another. Values read
// after the drop are.
func TestSetCachedSinceAfterDrop(t *testing.T) {
	_, a, root := newAccount(t)
	writeQuietMaildir(t, root, 2)
	v := selectSettled(t, a)
	uid := v.UIDs()[0]
	before := v.CacheEpoch()
	if _, err := a.Resync("INBOX"); err != nil {
		t.Fatal(err)
	}
	after := v.CacheEpoch()
	if after == before {
		t.Fatal("a resync left the cache epoch as it was")
	}
	if v.SetCachedSince(before, storage.CachedValue{UID: uid, Key: "k", Value: []byte("read before")}) {
		t.Error("a value read before the resync was stored")
	}
	if val, ok := v.Cached(uid, "k"); ok {
		t.Errorf("cached %q", val)
	}
	if !v.SetCachedSince(after, storage.CachedValue{UID: uid, Key: "k", Value: []byte("read after")}) {
		t.Error("a value read after the resync was not stored")
	}
	if val, _ := v.CachedBytes(uid, "k"); string(val) != "read after" {
		t.Errorf("cached %q, want the value read after the resync", val)
	}
	if missing := v.UncachedBytes(v.UIDs(), "k", nil); len(missing) != 1 || missing[0] == uid {
		t.Errorf("UncachedBytes = %v, want the other message alone", missing)
	}
}
