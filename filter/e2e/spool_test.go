package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// mountTmpfs mounts a tmpfs of the given size ("1m") on a new directory
// and unmounts it when the test ends; it skips when mounting is not
// permitted (not root, or no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	mtatest.RequireRoot(t, "mounting a tmpfs for the full-spool test")
	return mtatest.Tmpfs(t, size)
}

// fill writes a file until the file system says ENOSPC.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return p
		}
	}
}

// TestSpoolFull puts the queue on a 1 MiB tmpfs. Filled up, every message
// gets a 4xx (never 250, never 5xx); a message larger than the free space
// too; once space is freed, mail is accepted and delivered again. A
// read-only spool also answers 4xx.
func TestSpoolFull(t *testing.T) {
	spool := mountTmpfs(t, "1m")
	// Registered after the mount: cleanups run last-first, so the relay
	// stops before the unmount.
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{QueueDir: filepath.Join(spool, "queue"), Downstream: "maildir:" + mail})
	msgs := corpusMessages(t, "full", 40, 10_000)
	// The messages sent to the full spool are twice as big as the first
	// one: the file a delivered message leaves is written over by the next
	// store, so a message that fits in it is accepted, durably, even on a
	// full disk; one that needs more room is not.
	bigger := corpusMessages(t, "fuller", 20, 20_000)
	rcpt := []string{"sales@" + Domain}

	// Sanity: the relay works on this spool.
	if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", rcpt, msgs[0]); err != nil {
		t.Fatalf("empty spool: %v", err)
	}
	waitMaildir(t, mail, 1, 10*time.Second)

	filler := fill(t, spool)
	check := func(phase string, msg []byte) {
		t.Helper()
		err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", rcpt, msg)
		switch {
		case err == nil:
			t.Errorf("%s: got 250", phase)
		case mtatest.IsTemporary(err):
			t.Logf("%s: %v", phase, err)
		default:
			t.Errorf("%s: want a 4xx, got %v", phase, err)
		}
	}
	for i := 1; i <= 10; i++ {
		check("full spool", bigger[i])
	}
	// 3 MB into a spool with no room.
	big := append(append([]byte{}, msgs[11]...), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"), 3<<20/66)...)
	check("full spool, 3 MB message", big)
	if ts.Exited() {
		t.Fatal("relay exited on a full spool")
	}

	// Free the space: accepted again.
	os.Remove(filler)
	for i := 12; i < 15; i++ {
		if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", rcpt, msgs[i]); err != nil {
			t.Errorf("after freeing space: %v", err)
		}
	}
	waitMaildir(t, mail, 4, 20*time.Second)
	// A message bigger than the whole tmpfs: 4xx, and the partial spool
	// file must not be left behind filling the disk.
	check("3 MB message into a 1 MiB spool", big)
	if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", rcpt, msgs[15]); err != nil {
		t.Errorf("after a too-big message: %v (partial spool file left behind?)", err)
	}

	// Read-only spool.
	if out, err := exec.Command("mount", "-o", "remount,ro", spool).CombinedOutput(); err != nil {
		t.Logf("remount read-only failed, skipping that part: %v %s", err, out)
		return
	}
	for i := 16; i < 20; i++ {
		check("read-only spool", bigger[i])
	}
	exec.Command("mount", "-o", "remount,rw", spool).Run()
}
