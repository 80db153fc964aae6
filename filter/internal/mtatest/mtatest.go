// Package mtatest runs real mail programs for end-to-end tests: the
// tradesift daemon built from ./cmd/tradesift, Postfix's smtp-sink as a
// downstream that records what it receives, and private Postfix instances
// (their own config, queue and data directories, loopback listeners on free
// ports) to compare against or to put in front of tradesift. It also sends
// mail (go-smtp client, swaks) and reads what came out (Maildir, sink dumps).
//
// Everything listens on 127.0.0.1 only and is stopped when the test ends.
// When a tool is missing, tests skip with a one-line reason, unless the
// environment has TRADESIFT_REQUIRE_TOOLS=1 (CI), where they fail.
package mtatest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the real tools the harness drives.
const (
	SMTPSinkPath   = "/usr/sbin/smtp-sink"
	SMTPSourcePath = "/usr/sbin/smtp-source"
	PostfixPath    = "/usr/sbin/postfix"
	PostconfPath   = "/usr/sbin/postconf"
	SwaksPath      = "/usr/bin/swaks"
	// Python3Path is Debian's interpreter, the one python3-dkim is
	// installed for (an earlier python3 on PATH may lack it).
	Python3Path = "/usr/bin/python3"
)

// RequireToolsEnv, set to "1", turns every missing-tool skip into a failure.
const RequireToolsEnv = "TRADESIFT_REQUIRE_TOOLS"

// RequireTool skips the test when path is not an executable file, or fails
// it when TRADESIFT_REQUIRE_TOOLS=1.
func RequireTool(t testing.TB, path string) {
	t.Helper()
	if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return
	}
	missing(t, fmt.Sprintf("%s not installed (apt-get install postfix swaks python3-dkim)", path))
}

// RequireRoot skips the test (or fails it under TRADESIFT_REQUIRE_TOOLS=1)
// when not running as root; why says what needs it.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root: "+why)
	}
}

func missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeAddr is FreePort as "127.0.0.1:port".
func FreeAddr(t testing.TB) string {
	return "127.0.0.1:" + strconv.Itoa(FreePort(t))
}

// RepoRoot is the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedDir is the shared folder beside the repository (../shared: corpus,
// realmail, profile). The test skips when it is absent; it is test data,
// not a tool, so TRADESIFT_REQUIRE_TOOLS does not make this fatal.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("shared folder %s absent", dir)
	}
	return dir
}

// WorldDir makes a fresh directory that unprivileged daemons (Postfix's
// postfix user, smtp-sink running as nobody) can enter, unlike
// t.TempDir's 0700 parents. It is removed when the test ends, unless the
// test failed and TRADESIFT_KEEP_FAILED=1.
func WorldDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mtatest-"+prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("TRADESIFT_KEEP_FAILED") == "1" {
			t.Logf("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// waitSMTP dials addr until it answers with a 220 greeting, the process
// behind it exits (exited is closed), or limit passes.
func waitSMTP(addr string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("process exited before %s answered", addr)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 512)
			n, rerr := c.Read(buf)
			c.Write([]byte("QUIT\r\n"))
			c.Close()
			if rerr == nil && bytes.HasPrefix(buf[:n], []byte("220")) {
				return nil
			}
			last = fmt.Errorf("greeting %q, %v", buf[:n], rerr)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not answering after %v: %v", addr, limit, last)
}

// waitGone waits until nothing accepts connections on addr.
func waitGone(addr string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// lookupIDs returns the uid and gid of a system user.
func lookupIDs(name string) (int, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// logTail returns the last n lines of a file, for failure reports.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// run runs a command and returns its combined output in the error.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// syncBuffer is a bytes.Buffer safe for a process's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
