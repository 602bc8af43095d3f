package harness

import (
	"context"
	"fmt"
	"os/exec"
)

// BuildMailgate builds mailgate's binary into out with the go tool. It
// must run inside the module (any directory of the repository).
func BuildMailgate(ctx context.Context, out string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go tool on PATH to build mailgate with: %w", err)
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", out, "github.com/mailgate/mailgate/cmd/mailgate")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/mailgate: %w\n%s", err, b)
	}
	return nil
}
