package mh

import (
	"os"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
	"github.com/mailgate/mailgate/storage/internal/muprop"
)

// propsFile is where GNU imap4d keeps a folder's UID counters.
const propsFile = muprop.File

// tmpPrefix starts the names of mailgate's temporary files in a folder;
// the leading dot hides them from MH programs.
const tmpPrefix = ".mailgate-tmp"

// props is the content of .mu-prop, with mailgate's recent-from.
type props = muprop.Props

// readProps reads .mu-prop from the folder at dir.
func readProps(dir string) (props, error) { return muprop.Read(dir) }

// writeAtomic replaces dir/name with data durably (see
// fsutil.WriteAtomic); callers hold the directory's exclusive lock.
func writeAtomic(dir, name string, data []byte, perm os.FileMode) error {
	return fsutil.WriteAtomic(dir, name, data, perm)
}
