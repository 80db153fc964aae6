package mtatest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// BinEnv names a prebuilt tradesift binary to use instead of building one.
const BinEnv = "TRADESIFT_BIN"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// BuildTradesift builds ./cmd/tradesift once per test binary and returns
// the path of the executable (or $TRADESIFT_BIN when set). Call Cleanup
// from TestMain to remove the build directory.
func BuildTradesift(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinEnv); p != "" {
		return p
	}
	root := RepoRoot(t)
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "mtatest-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "tradesift")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/tradesift")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/tradesift: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Cleanup removes what BuildTradesift left behind; call it at the end of
// TestMain.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Tradesift is a running `tradesift serve`.
type Tradesift struct {
	// Addr is the SMTP listener, [smtp] listen of the config.
	Addr string
	// Dir holds the config file and the log; the daemon runs in it, so
	// relative paths in the config resolve below it.
	Dir string
	// ConfigPath is the config file the daemon was started with.
	ConfigPath string
	// LogPath collects the daemon's stdout and stderr, across restarts.
	LogPath string

	t    testing.TB
	bin  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartTradesift writes configText to a file and runs `tradesift serve
// -config FILE` on it, waiting until [smtp] listen answers with a 220. The
// daemon is stopped when the test ends; its log is shown if the test failed.
func StartTradesift(t testing.TB, configText string) *Tradesift {
	t.Helper()
	bin := BuildTradesift(t)
	var cfg struct {
		SMTP struct {
			Listen string `toml:"listen"`
		} `toml:"smtp"`
	}
	if _, err := toml.Decode(configText, &cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	if cfg.SMTP.Listen == "" {
		t.Fatal("config has no [smtp] listen")
	}
	dir := t.TempDir()
	ts := &Tradesift{
		Addr:       cfg.SMTP.Listen,
		Dir:        dir,
		ConfigPath: filepath.Join(dir, "tradesift.toml"),
		LogPath:    filepath.Join(dir, "tradesift.log"),
		t:          t,
		bin:        bin,
	}
	if err := os.WriteFile(ts.ConfigPath, []byte(configText), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ts.Stop()
		if t.Failed() {
			t.Logf("tradesift log %s:\n%s", ts.LogPath, logTail(ts.LogPath, 60))
		}
	})
	if err := ts.start(); err != nil {
		t.Fatalf("tradesift did not start: %v\n%s", err, logTail(ts.LogPath, 60))
	}
	return ts
}

func (ts *Tradesift) start() error {
	logf, err := os.OpenFile(ts.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== mtatest: start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(ts.bin, "serve", "-config", ts.ConfigPath)
	cmd.Dir = ts.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	ts.mu.Lock()
	ts.cmd, ts.done = cmd, done
	ts.mu.Unlock()
	return waitSMTP(ts.Addr, 30*time.Second, done)
}

// PID is the process id of the running daemon, 0 when stopped.
func (ts *Tradesift) PID() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cmd == nil || ts.cmd.Process == nil {
		return 0
	}
	select {
	case <-ts.done:
		return 0
	default:
		return ts.cmd.Process.Pid
	}
}

// Stop sends SIGTERM and waits up to 30 s for a clean exit, then kills.
func (ts *Tradesift) Stop() { ts.signal(syscall.SIGTERM, 30*time.Second) }

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (ts *Tradesift) Kill() { ts.signal(syscall.SIGKILL, 10*time.Second) }

func (ts *Tradesift) signal(sig syscall.Signal, limit time.Duration) {
	ts.mu.Lock()
	cmd, done := ts.cmd, ts.done
	ts.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(limit):
		ts.t.Logf("tradesift did not exit %v after %v; killing", limit, sig)
		cmd.Process.Kill()
		<-done
	}
	waitGone(ts.Addr, 5*time.Second)
}

// Restart stops the daemon if it runs (SIGTERM) and starts it again with
// the same config and spool.
func (ts *Tradesift) Restart() {
	ts.t.Helper()
	ts.Stop()
	if err := ts.start(); err != nil {
		ts.t.Fatalf("tradesift did not restart: %v\n%s", err, logTail(ts.LogPath, 60))
	}
}

// Exited reports whether the daemon has exited (crashed or stopped).
func (ts *Tradesift) Exited() bool {
	ts.mu.Lock()
	done := ts.done
	ts.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// Log returns the daemon's log so far.
func (ts *Tradesift) Log() string {
	b, _ := os.ReadFile(ts.LogPath)
	return string(b)
}

// PeakRSS is the daemon's peak resident set size in bytes (VmHWM of
// /proc/PID/status), 0 when not running or unreadable.
func (ts *Tradesift) PeakRSS() int64 { return ProcPeakRSS(ts.PID()) }

// CPUTime is the CPU time (user and system) the daemon has used so far,
// 0 if unknown.
func (ts *Tradesift) CPUTime() time.Duration { return ProcCPUTime(ts.PID()) }

// ProcCPUTime returns a process's user plus system CPU time from
// /proc/<pid>/stat, 0 if unknown.
func ProcCPUTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; count from after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// RSS is the daemon's current resident set size in bytes (VmRSS).
func (ts *Tradesift) RSS() int64 { return procStatusKB(ts.PID(), "VmRSS:") * 1024 }

// ProcPeakRSS returns VmHWM of a process in bytes, 0 if unknown.
func ProcPeakRSS(pid int) int64 { return procStatusKB(pid, "VmHWM:") * 1024 }

func procStatusKB(pid int, field string) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line[len(field):])
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
