//go:build !unix

package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Without the *at system calls, links and owners are not checked.

func checkHome(home string, _ int) error {
	fi, err := os.Stat(home)
	if err != nil {
		return fmt.Errorf("home %s: %w", home, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("home %s is not a directory", home)
	}
	return nil
}

func createHome(home string, how NewHome, _ func()) error {
	parent := filepath.Dir(home)
	if below := filepath.Clean(how.Below); how.Below != "" && strings.HasPrefix(parent, below+string(filepath.Separator)) {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("creating home %s: %w", home, err)
		}
	}
	err := os.Mkdir(home, 0o700)
	if errors.Is(err, fs.ErrExist) {
		if fi, err := os.Lstat(home); err != nil || !fi.IsDir() {
			return fmt.Errorf("creating home %s: it exists and is not a directory: remove or rename it", home)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	return os.Chmod(home, how.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
}
