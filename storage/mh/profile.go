package mh

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// defaultUnseen is nmh's usual unseen sequence.
const defaultUnseen = "unseen"

// profileName is the MH profile in a user's home directory.
const profileName = ".mh_profile"

// profileUnseen returns the unseen sequence for the folder at path: the
// Unseen-Sequence of the nearest .mh_profile in a directory above it
// (the home directory above the MH Path), when that names exactly one
// sequence, and "unseen" otherwise. nmh can name several unseen sequences;
// mailgate follows only a single one.
func profileUnseen(path string) string {
	dir := filepath.Clean(path)
	for range 32 {
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
		data, err := os.ReadFile(filepath.Join(dir, profileName))
		if err != nil {
			continue
		}
		v, ok := profileValue(data, "Unseen-Sequence")
		if f := strings.Fields(v); ok && len(f) == 1 && validSeqName(f[0]) && validKeyword(f[0]) {
			return f[0]
		}
		break
	}
	return defaultUnseen
}

// profileValue returns the value of the profile component name (compared
// without regard to case), with continuation lines joined.
func profileValue(data []byte, name string) (string, bool) {
	var val []byte
	found, in := false, false
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if in {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
			}
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		in = ok && !found && strings.EqualFold(string(bytes.TrimSpace(k)), name)
		if in {
			found, val = true, bytes.TrimSpace(v)
		}
	}
	return string(val), found
}
