package mtatest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Tmpfs mounts a tmpfs of size (e.g. "64k", "1m") on a new temporary
// directory and unmounts it when the test ends (retrying while a process
// still holds it, then lazily). Where mounting is not permitted it skips
// the test, or fails it under TRADESIFT_REQUIRE_TOOLS=1.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		msg := "mounting a tmpfs is not permitted here: " + err.Error() + " " + strings.TrimSpace(string(out))
		if os.Getenv(RequireToolsEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		for try := 0; try < 20; try++ {
			if exec.Command("umount", dir).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		exec.Command("umount", "-l", dir).Run()
	})
	return dir
}

// Repeat is an endless reader of one byte, for big test messages.
type Repeat byte

func (r Repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
