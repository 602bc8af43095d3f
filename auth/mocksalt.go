package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MockSaltKeyFile is the name, in the data directory, of the file that
// holds the key of SCRAM's made-up salts (SASLOptions.MockSaltKey).
const MockSaltKeyFile = "scram-mock-salt.key"

// mockSaltKeySize is the size of the key, in bytes.
const mockSaltKeySize = 32

// LoadMockSaltKey returns the key of SCRAM's made-up salts from the file
// at path, making the file (mode 0600, a new random key) when there is
// none. Processes that start at once agree on one key: the file appears
// whole or not at all, and the first one made wins. A file of the wrong
// size is damaged: it is replaced by a new key, and replaced reports so,
// for the log (the made-up salts then change once). Nodes that should
// answer alike share the file, as they share the data directory.
func LoadMockSaltKey(path string) (key []byte, replaced bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil && len(data) == mockSaltKeySize {
		return data, false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("scram mock salt key: %w", err)
	}
	damaged := err == nil
	tmp, err := writeTemp(filepath.Dir(path), ".scram-mock-salt-*", randomKey())
	if err != nil {
		return nil, false, fmt.Errorf("scram mock salt key: %w", err)
	}
	defer os.Remove(tmp)
	if damaged {
		err = os.Rename(tmp, path)
	} else if err = os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		err = nil // another process made it first: use theirs
	}
	if err != nil {
		return nil, false, fmt.Errorf("scram mock salt key: %w", err)
	}
	if data, err = os.ReadFile(path); err != nil {
		return nil, false, fmt.Errorf("scram mock salt key: %w", err)
	}
	if len(data) != mockSaltKeySize {
		return nil, false, fmt.Errorf("scram mock salt key %s: %d bytes, want %d: remove it, and a new key is made", path, len(data), mockSaltKeySize)
	}
	return data, damaged, nil
}
