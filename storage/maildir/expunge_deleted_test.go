package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExpungeDeletedKeepsUndeleted: an EXPUNGE (ExpungeDeleted) of a
// message whose file another program renamed since the Scan keeps it
// when the new name no longer carries T (the other program undeleted
// it), and removes it when it still does; Expunge, MOVE's forced removal,
// removes it either way.
func TestExpungeDeletedKeepsUndeleted(t *testing.T) {
	const deleted = "cur/1.M1P1.h,u=1:2,T"
	tests := []struct {
		name     string
		other    string // the name another program gives the file
		force    bool
		wantKept []uint32
	}{
		{"undeleted", "cur/1.M1P1.h,u=1:2,S", false, []uint32{1}},
		{"still deleted", "cur/1.M1P1.h,u=1:2,ST", false, nil},
		{"undeleted, forced", "cur/1.M1P1.h,u=1:2,S", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := mkMaildir(t, map[string]string{
				propsFile: "uidnext: 2\nuid-validity: 9\nversion: 3.15\n",
				deleted:   "Subject: 1\n\nbody\n",
			})
			_, d := newMaildir(t)
			f := mustOpen(t, d, path)
			mustScan(t, f)
			if err := os.Rename(filepath.Join(path, deleted), filepath.Join(path, tt.other)); err != nil {
				t.Fatal(err)
			}
			var kept []uint32
			var err error
			if tt.force {
				err = f.Expunge([]uint32{1})
			} else {
				kept, err = f.ExpungeDeleted([]uint32{1})
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(kept, tt.wantKept) {
				t.Errorf("kept %v, want %v", kept, tt.wantKept)
			}
			_, statErr := os.Stat(filepath.Join(path, tt.other))
			if there := statErr == nil; there != (len(tt.wantKept) > 0) {
				t.Errorf("file there after the expunge: %v, want %v", there, len(tt.wantKept) > 0)
			}
		})
	}
}
