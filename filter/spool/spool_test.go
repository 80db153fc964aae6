package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/safeio"
)

func open(t testing.TB, dir string) *Spool {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testEnv() Envelope {
	return Envelope{From: "a@example.org", Rcpts: []string{"x@example.com", "y@example.com"}, ClientIP: "127.0.0.1", Helo: "client.example.org"}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	body := "Subject: hi\r\n\r\nbody\r\n"
	id, err := s.Store(testEnv(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := s.List()
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("List = %v, want [%s]", ids, id)
	}
	e, err := s.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Envelope.From != "a@example.org" || len(e.State.Rcpts) != 2 || e.State.Rcpts[1].Addr != "y@example.com" || e.Size != int64(len(body)) || e.Envelope.Received.IsZero() {
		t.Fatalf("entry %+v", e)
	}
	checkBody(t, s, id, body)

	if h, err := s.Header(id); h != nil || err != nil {
		t.Fatalf("header before SetHeader: %q %v", h, err)
	}
	if err := s.SetHeader(id, nil); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Header(id); h == nil || len(h) != 0 || err != nil {
		t.Fatalf("empty header block: %q %v", h, err)
	}
	if err := s.SetHeader(id, []byte("X-Buyer-Grade: A\r\n")); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.Header(id); string(h) != "X-Buyer-Grade: A\r\n" {
		t.Fatalf("header %q", h)
	}

	st := e.State
	st.Rcpts[0].Status = Sent
	st.Rcpts[1].Attempts = 3
	st.Rcpts[1].LastError = "451 try later"
	st.Rcpts[1].NextAttempt = time.Now().Add(time.Hour).Round(0)
	if err := s.SaveState(id, st); err != nil {
		t.Fatal(err)
	}
	// A fresh Open sees the same state.
	s.Close()
	s2 := open(t, dir)
	e2, err := s2.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if e2.State.Rcpts[0].Status != Sent || e2.State.Rcpts[1].Attempts != 3 || !e2.State.Rcpts[1].NextAttempt.Equal(st.Rcpts[1].NextAttempt) {
		t.Fatalf("state after reopen %+v", e2.State)
	}
	if err := s2.Remove(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Load(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Remove: %v", err)
	}
	if err := s2.Remove(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
	if left := entryFiles(t, dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if _, err := s2.Load("../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("path in id: %v", err)
	}
}

func TestIDsSortable(t *testing.T) {
	s := open(t, t.TempDir())
	prev := ""
	for range 1000 {
		id := s.newID(time.Now())
		if id <= prev {
			t.Fatalf("%s after %s", id, prev)
		}
		prev = id
	}
}

// What an interrupted Store leaves is removed at Open; complete entries
// stay.
func TestOpenCleansHalfEntries(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	good, err := s.Store(testEnv(), strings.NewReader("complete\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	path := func(id string) string { return filepath.Join(dir, id+msgExt) }
	mangle := func(body string, f func(b []byte) []byte) {
		id, err := s.Store(testEnv(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path(id))
		os.WriteFile(path(id), f(b), 0o600)
	}
	mangle("cut short\r\n", func(b []byte) []byte { return b[:len(b)/2] })
	mangle("cut in the trailer\r\n", func(b []byte) []byte { return b[:len(b)-3] })
	mangle("same size\r\n", func(b []byte) []byte { copy(b, make([]byte, 9)); return b })
	mangle("bad meta\r\n", func(b []byte) []byte { b[len(b)-trailerLen-5] ^= 1; return b })
	mangle("bad magic\r\n", func(b []byte) []byte { b[len(b)-1] = 'x'; return b })
	mangle("empty", func(b []byte) []byte { return nil })
	stateOnly, _ := s.Store(testEnv(), strings.NewReader("x\r\n"))
	s.SaveState(stateOnly, State{Rcpts: []Rcpt{{Addr: "x@example.com", Status: Sent}, {Addr: "y@example.com"}}})
	os.Remove(path(stateOnly))
	os.WriteFile(filepath.Join(dir, ".tmp-x.state-123"), []byte("partial"), 0o600)
	s.Close()

	s2 := open(t, dir)
	ids, _ := s2.List()
	if len(ids) != 1 || ids[0] != good {
		t.Fatalf("after Open: %v, want [%s]", ids, good)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files left: %v", ents)
	}
}

// A spool written by the earlier layout (<id>.body and <id>.meta) is
// converted at Open, state and header block kept; an incomplete old entry
// is dropped.
func TestOpenConvertsEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	const id = "0005f0a1b2c3d40000100ab"
	body := "Subject: old\r\n\r\nfrom the earlier layout\r\n"
	meta := fmt.Sprintf(`{"id":%q,"envelope":{"from":"a@example.org","rcpts":["x@example.com","y@example.com"]},"created":"2026-11-20T10:00:00Z","size":%d,"crc32c":%d}`,
		id, len(body), crc32.Checksum([]byte(body), castagnoli))
	os.WriteFile(filepath.Join(dir, id+oldBodyExt), []byte(body), 0o600)
	os.WriteFile(filepath.Join(dir, id+oldMetaExt), []byte(meta), 0o600)
	os.WriteFile(filepath.Join(dir, id+stateExt), []byte(`{"rcpts":[{"addr":"x@example.com","status":"sent"},{"addr":"y@example.com","attempts":2}]}`), 0o600)
	os.WriteFile(filepath.Join(dir, id+hdrExt), hdrFile([]byte("X-Grade: A\r\n")), 0o600)
	// An earlier conversion cut short left a partial .msg: it is redone.
	os.WriteFile(filepath.Join(dir, id+msgExt), []byte("Subject: o"), 0o600)
	const short = "0005f0a1b2c3d40000200cd"
	os.WriteFile(filepath.Join(dir, short+oldBodyExt), []byte("Sub"), 0o600)
	os.WriteFile(filepath.Join(dir, short+oldMetaExt), []byte(strings.ReplaceAll(meta, id, short)), 0o600)

	s := open(t, dir)
	ids, _ := s.List()
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("List = %v, want [%s]", ids, id)
	}
	e, err := s.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Envelope.From != "a@example.org" || e.State.Rcpts[0].Status != Sent || e.State.Rcpts[1].Attempts != 2 {
		t.Errorf("entry %+v", e)
	}
	if h, _ := s.Header(id); string(h) != "X-Grade: A\r\n" {
		t.Errorf("header block %q", h)
	}
	checkBody(t, s, id, body)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{id + hdrExt, id + msgExt, id + stateExt}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", names, want)
	}
}

// Group commit: concurrent Stores share directory fsyncs, and every one
// that returned is complete.
func TestConcurrentStores(t *testing.T) {
	t.Run("fsync", func(t *testing.T) { testConcurrentStores(t, false) })
	t.Run("syncfs", func(t *testing.T) { testConcurrentStores(t, true) })
}

func testConcurrentStores(t *testing.T, syncfs bool) {
	dir := t.TempDir()
	cfs := &countFS{}
	s, err := OpenWith(dir, Options{FS: cfs, SyncFS: syncfs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 50
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ids[i], errs[i] = s.Store(testEnv(), strings.NewReader(fmt.Sprintf("message %d\r\n", i)))
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	s.Close()
	s2 := open(t, dir)
	for i, id := range ids {
		rc, _, err := s2.OpenBody(id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != fmt.Sprintf("message %d\r\n", i) {
			t.Fatalf("%s: %q", id, b)
		}
	}
	commits := cfs.syncs.Load()
	if syncfs {
		commits-- // the probe at Open
	}
	t.Logf("%d stores, %d commits (syncfs: %v)", n, commits, s.syncfs)
	if commits > n {
		t.Errorf("%d commits for %d stores", commits, n)
	}
}

type countFS struct {
	safeio.OS
	syncs atomic.Int64
}

func (c *countFS) SyncDir(dir string) error {
	c.syncs.Add(1)
	return safeio.SyncDir(dir)
}

func (c *countFS) SyncFS(dir string) error {
	c.syncs.Add(1)
	return safeio.SyncFS(dir)
}

// failFS fails chosen operations, to check Store leaves nothing behind.
type failFS struct {
	safeio.OS
	failSync   bool // set after Open: every commit fails
	failCreate int  // fail the n-th Create (1-based); 0: never
	creates    int
}

func (f *failFS) Create(path string) (safeio.File, error) {
	f.creates++
	if f.creates == f.failCreate {
		return nil, syscall.ENOSPC
	}
	return f.OS.Create(path)
}

func (f *failFS) SyncDir(dir string) error {
	if f.failSync {
		return syscall.EIO
	}
	return safeio.SyncDir(dir)
}

func (f *failFS) SyncFile(path string) error {
	if f.failSync {
		return syscall.EIO
	}
	return safeio.SyncFile(path)
}

func (f *failFS) SyncFS(dir string) error {
	if f.failSync {
		return syscall.EIO
	}
	return safeio.SyncFS(dir)
}

func TestStoreFailuresLeaveNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fs     *failFS
		full   bool
		syncfs bool
	}{
		{"create", &failFS{failCreate: 1}, true, false},
		{"commit", &failFS{failSync: true}, false, false},
		{"syncfs commit", &failFS{failSync: true}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fail := tc.fs.failSync
			tc.fs.failSync = false
			s, err := OpenWith(dir, Options{FS: tc.fs, SyncFS: tc.syncfs})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tc.fs.failSync = fail
			_, err = s.Store(testEnv(), strings.NewReader("x\r\n"))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want *Error", err)
			}
			if IsDiskFull(err) != tc.full {
				t.Errorf("IsDiskFull(%v) = %v", err, !tc.full)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 0 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}

// A real full disk: Store fails with a disk-full error, nothing is left.
func TestStoreDiskFull(t *testing.T) {
	dir := mtatest.Tmpfs(t, "64k")
	s := open(t, dir)
	_, err := s.Store(testEnv(), bytes.NewReader(bytes.Repeat([]byte("x"), 256<<10)))
	if !IsDiskFull(err) {
		t.Fatalf("error %v, want disk full", err)
	}
	t.Logf("error: %v", err)
	ids, _ := s.List()
	ents, _ := os.ReadDir(dir)
	if len(ids) != 0 || len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

// A spool on a read-only file system (chmod does not stop root).
func TestStoreReadOnly(t *testing.T) {
	dir := mtatest.Tmpfs(t, "64k")
	s := open(t, dir)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("remount read-only not permitted: %v %s", err, out)
	}
	_, err := s.Store(testEnv(), strings.NewReader("x\r\n"))
	var se *Error
	if !errors.As(err, &se) || se.Kind != "read-only" {
		t.Fatalf("error %v, want a read-only *Error", err)
	}
}

// A 25 MB message is streamed: storing it allocates far less than its
// size.
func TestStoreStreams(t *testing.T) {
	s := open(t, t.TempDir())
	const size = 25 << 20
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	id, err := s.Store(testEnv(), io.LimitReader(mtatest.Repeat('x'), size))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("stored %d bytes, allocated %d bytes", size, alloc)
	if alloc > 2<<20 {
		t.Errorf("allocated %d bytes for a %d-byte message", alloc, size)
	}
	if e, _ := s.Load(id); e.Size != size {
		t.Errorf("size %d", e.Size)
	}
}

// Crash: a child process stores messages in a loop, removes every other
// one at once (so later stores write over recycled files) and prints the
// id of each other one after Store returned; it is killed with SIGKILL. Every printed id must be
// complete after reopening, and nothing half-written may remain.
func TestCrashDuringStores(t *testing.T) {
	if dir := os.Getenv("TRADESIFT_SPOOL_CRASH_CHILD"); dir != "" {
		crashChild(dir, os.Getenv("TRADESIFT_SPOOL_CRASH_SYNCFS") == "1")
		return
	}
	t.Run("fsync", func(t *testing.T) { testCrashDuringStores(t, "0") })
	t.Run("syncfs", func(t *testing.T) { testCrashDuringStores(t, "1") })
}

func testCrashDuringStores(t *testing.T, syncfs string) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringStores$")
	cmd.Env = append(os.Environ(), "TRADESIFT_SPOOL_CRASH_CHILD="+dir, "TRADESIFT_SPOOL_CRASH_SYNCFS="+syncfs)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var reported []string
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "stored "); ok {
			reported = append(reported, id)
			if len(reported) == 300 {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	cmd.Wait()
	if len(reported) < 300 {
		t.Fatalf("child reported only %d stores", len(reported))
	}
	s := open(t, dir)
	ids, _ := s.List()
	have := map[string]bool{}
	for _, id := range ids {
		have[id] = true
		e, err := s.Load(id)
		if err != nil {
			t.Fatal(err)
		}
		rc, size, err := s.OpenBody(id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if size != e.Size || !bytes.HasPrefix(b, []byte("Subject: crash ")) || !bytes.HasSuffix(b, []byte("end\r\n")) {
			t.Fatalf("%s incomplete: size %d meta %d", id, size, e.Size)
		}
	}
	for _, id := range reported {
		if !have[id] {
			t.Errorf("%s was reported stored but is gone", id)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	t.Logf("child reported %d, spool holds %d complete entries", len(reported), len(ids))
}

func crashChild(dir string, syncfs bool) {
	s, err := OpenWith(dir, Options{SyncFS: syncfs})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; i < 100000; i++ {
				body := fmt.Sprintf("Subject: crash %d %d\r\n\r\n%s\r\nend\r\n", w, i, strings.Repeat("y", 20000))
				id, err := s.Store(testEnv(), strings.NewReader(body))
				if err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				if i%2 == 0 {
					// Delivered at once: its file is written over by
					// later stores, while the kill may come.
					if err := s.Remove(id); err != nil {
						fmt.Println("error", err)
						os.Exit(1)
					}
					continue
				}
				mu.Lock()
				fmt.Println("stored", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

func BenchmarkStore(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchmarkStore(b, Options{}) })
	b.Run("syncfs", func(b *testing.B) { benchmarkStore(b, Options{SyncFS: true}) })
}

func benchmarkStore(b *testing.B, o Options) {
	s, err := OpenWith(b.TempDir(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 160) // 10 KiB
	b.SetBytes(int64(len(body)))
	b.SetParallelism(10) // like concurrent SMTP sessions
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Store(testEnv(), bytes.NewReader(body)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// What a crash before a commit may leave in the mutable files is read as
// "not done yet", never as an error that loses the entry.
func TestGarbledStateAndHeader(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	id, err := s.Store(testEnv(), strings.NewReader("x\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetHeader(id, []byte("X-A: 1\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(id, State{Rcpts: []Rcpt{{Addr: "x@example.com", Status: Sent}, {Addr: "y@example.com", Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, id+stateExt), make([]byte, 40), 0o600)
	os.WriteFile(filepath.Join(dir, id+hdrExt), []byte("00000000\nX-A: 2\r\n"), 0o600)
	s.Close()
	s2 := open(t, dir)
	e, err := s2.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.State.Rcpts) != 2 || e.State.Rcpts[0].Status != Pending || e.State.Rcpts[1].Attempts != 0 {
		t.Errorf("state %+v", e.State)
	}
	if h, err := s2.Header(id); h != nil || err != nil {
		t.Errorf("garbled header block read as %q, %v", h, err)
	}
	if err := s2.SaveState("nonexistent", State{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SaveState of unknown id: %v", err)
	}
}

// OpenMessage reads the entry once; its body can be read again and again
// while it is open, and its state is the saved one.
func TestOpenMessage(t *testing.T) {
	s := open(t, t.TempDir())
	body := "Subject: twice\r\n\r\nread me twice\r\n"
	id, err := s.Store(testEnv(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(id, State{Rcpts: []Rcpt{{Addr: "x@example.com", Status: Sent}, {Addr: "y@example.com", Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.OpenMessage(id)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		rc := m.Body()
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != body {
			t.Fatalf("body %q", got)
		}
	}
	if m.Envelope.From != "a@example.org" || m.State.Rcpts[0].Status != Sent || m.State.Rcpts[1].Attempts != 1 {
		t.Errorf("entry %+v", m.Entry)
	}
	m.Close()
	if _, err := s.OpenMessage("nonexistent"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	// Remove takes the state file with it.
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	if left := entryFiles(t, s.Dir()); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// checkBody fails t unless id's body, and the size OpenBody gives, are
// want's.
func checkBody(t *testing.T, s *Spool, id, want string) {
	t.Helper()
	rc, size, err := s.OpenBody(id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != want || size != int64(len(want)) {
		t.Fatalf("%s: body %q size %d, want %q", id, got, size, want)
	}
}

// entryFiles lists the files in dir but the pool of files to write over.
func entryFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), freePrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// The file of a removed entry is written over by a later Store, once the
// removal is durable (same inode, shorter content cut to size); big files are not kept; a reopened
// spool adopts the pool; a recycled file found after a crash still
// holding the earlier message is not taken for the new entry.
func TestRecycledFiles(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	long := strings.Repeat("a long first message\r\n", 400)
	a, err := s.Store(testEnv(), strings.NewReader(long))
	if err != nil {
		t.Fatal(err)
	}
	ino := inode(t, filepath.Join(dir, a+msgExt))
	old, _ := os.ReadFile(filepath.Join(dir, a+msgExt))
	if err := s.Remove(a); err != nil {
		t.Fatal(err)
	}
	// Not before the removal is durable: the first store after it gets a
	// new file, and its commit makes the removal durable.
	first, err := s.Store(testEnv(), strings.NewReader("first\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inode(t, filepath.Join(dir, first+msgExt)); got == ino {
		t.Errorf("a store wrote over a removed entry's file before the removal was durable")
	}
	b, err := s.Store(testEnv(), strings.NewReader("short\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inode(t, filepath.Join(dir, b+msgExt)); got != ino {
		t.Errorf("store created inode %d, want the removed entry's %d", got, ino)
	}
	checkBody(t, s, b, "short\r\n")
	s.Remove(first)

	// Bigger than the pool keeps: unlinked.
	big, err := s.Store(testEnv(), io.LimitReader(mtatest.Repeat('b'), poolMaxSize+1))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, freePrefix+"*"))
	s.Remove(big)
	frees, _ := filepath.Glob(filepath.Join(dir, freePrefix+"*"))
	if len(frees) != len(before) {
		t.Errorf("pool holds %v after a big entry went, %v before", frees, before)
	}

	// A crash after the rename but before the new bytes reached the disk:
	// the file still holds a (valid) earlier message under the new name.
	c, err := s.Store(testEnv(), strings.NewReader("lost in the crash\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, c+msgExt), old, 0o600)
	s.Remove(b)
	s.Close()

	s2 := open(t, dir)
	ids, _ := s2.List()
	if len(ids) != 0 {
		t.Errorf("entries after reopen: %v", ids)
	}
	frees, _ = filepath.Glob(filepath.Join(dir, freePrefix+"*"))
	if len(frees) != 1 { // b's (c took first's)
		t.Fatalf("pool after reopen: %v", frees)
	}
	adopted := map[uint64]bool{inode(t, frees[0]): true}
	d, err := s2.Store(testEnv(), strings.NewReader("after restart\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inode(t, filepath.Join(dir, d+msgExt)); !adopted[got] {
		t.Errorf("reopened spool created inode %d, want an adopted one of %v", got, adopted)
	}
}

// An entry with delivery state (acknowledged) whose body no longer matches
// its checksum is not delivered and not deleted: it is kept aside.
func TestDamagedAcknowledgedEntryKeptAside(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	id, err := s.Store(testEnv(), strings.NewReader("Subject: x\r\n\r\nthe body\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(id, State{Rcpts: []Rcpt{{Addr: "x@example.com", Attempts: 1}, {Addr: "y@example.com", Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, _ := os.OpenFile(filepath.Join(dir, id+msgExt), os.O_WRONLY, 0)
	f.WriteAt([]byte("YYYY"), 0) // another message's first bytes
	f.Close()
	s2 := open(t, dir)
	if ids, _ := s2.List(); len(ids) != 0 {
		t.Errorf("damaged entry still listed: %v", ids)
	}
	if _, err := os.Stat(filepath.Join(dir, corruptPrefix+id+msgExt)); err != nil {
		t.Errorf("damaged entry not kept aside: %v", err)
	}
}
