package safeio

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// faultFS fails the named step; everything else goes to the real OS.
type faultFS struct {
	OS
	fail    string // create, write, sync, close, rename, syncdir
	removed []string
}

var errInjected = errors.New("injected failure")

type faultFile struct {
	f    *os.File // not embedded: io.Copy must go through Write
	fail string
}

func (f faultFile) Name() string { return f.f.Name() }

func (f faultFile) Write(p []byte) (int, error) {
	if f.fail == "write" {
		return 0, errInjected
	}
	return f.f.Write(p)
}

func (f faultFile) Sync() error {
	if f.fail == "sync" {
		return errInjected
	}
	return f.f.Sync()
}

func (f faultFile) Close() error {
	if f.fail == "close" {
		f.f.Close()
		return errInjected
	}
	return f.f.Close()
}

func (fs *faultFS) CreateTemp(dir, pattern string) (File, error) {
	if fs.fail == "create" {
		return nil, errInjected
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return faultFile{f, fs.fail}, nil
}

func (fs *faultFS) Rename(o, n string) error {
	if fs.fail == "rename" {
		return errInjected
	}
	return os.Rename(o, n)
}

func (fs *faultFS) Remove(name string) error {
	fs.removed = append(fs.removed, name)
	return os.Remove(name)
}

func (fs *faultFS) SyncDir(dir string) error {
	if fs.fail == "syncdir" {
		return errInjected
	}
	return SyncDir(dir)
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, "a", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir, "a", []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a"))
	if err != nil || string(got) != "two" {
		t.Fatalf("got %q, %v", got, err)
	}
	assertOnly(t, dir, "a")
}

func TestWriteFileTempDir(t *testing.T) {
	dir := t.TempDir()
	tmp, dst := filepath.Join(dir, "tmp"), filepath.Join(dir, "new")
	os.Mkdir(tmp, 0o700)
	os.Mkdir(dst, 0o700)
	n, err := Writer{TempDir: tmp}.WriteFile(dst, "m1", strings.NewReader("hello"))
	if err != nil || n != 5 {
		t.Fatal(n, err)
	}
	assertOnly(t, tmp)
	assertOnly(t, dst, "m1")
}

// Every step that can fail leaves the old file untouched and no temporary
// file behind (except a failed directory fsync: the rename happened).
func TestWriteFileFaults(t *testing.T) {
	for _, step := range []string{"create", "write", "sync", "close", "rename", "syncdir"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteFile(dir, "f", []byte("old")); err != nil {
				t.Fatal(err)
			}
			fs := &faultFS{fail: step}
			_, err := Writer{FS: fs}.WriteFile(dir, "f", strings.NewReader("new"))
			if !errors.Is(err, errInjected) {
				t.Fatalf("error %v, want the injected one", err)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "f"))
			want := "old"
			if step == "syncdir" {
				want = "new"
			}
			if string(got) != want {
				t.Errorf("content %q, want %q", got, want)
			}
			assertOnly(t, dir, "f")
			if step != "create" && step != "syncdir" && len(fs.removed) != 1 {
				t.Errorf("temporary file not removed: %v", fs.removed)
			}
		})
	}
}

// A real full file system: a 64 KiB tmpfs (needs root and mount
// permission; skipped otherwise).
func TestWriteFileDiskFull(t *testing.T) {
	dir := mtatest.Tmpfs(t, "64k")
	data := bytes.Repeat([]byte("x"), 256<<10)
	err := WriteFile(dir, "big", data)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v, want ENOSPC", err)
	}
	assertOnly(t, dir)
}

// A read-only file system: even root cannot write there.
func TestWriteFileReadOnly(t *testing.T) {
	dir := mtatest.Tmpfs(t, "64k")
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("remount read-only not permitted: %v %s", err, out)
	}
	err := WriteFile(dir, "f", []byte("x"))
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("error %v, want EROFS", err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// NoSync leaves durability to one SyncFS for a batch: no fsync calls.
func TestNoSyncThenSyncFS(t *testing.T) {
	dir := t.TempDir()
	fs := &faultFS{fail: "sync"} // a file fsync would fail
	for _, name := range []string{"a", "b"} {
		if _, err := (Writer{FS: fs, NoSync: true}).WriteFile(dir, name, strings.NewReader(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := SyncFS(dir); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatal(err)
	}
	assertOnly(t, dir, "a", "b")
	if err := SyncFS(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncFS of a missing directory succeeded")
	}
}

// Group: concurrent callers share calls, each returns after a call that
// started after it asked; Durable reaches Next; a failing or panicking
// call is reported and the group goes on.
func TestGroup(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	g := &Group{Fn: func() error {
		calls.Add(1)
		time.Sleep(2 * time.Millisecond)
		if fail.Load() {
			panic("disk on fire")
		}
		return nil
	}}
	next := g.Next()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := g.Sync(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n < 1 || n > 50 {
		t.Errorf("%d calls for 50 callers", n)
	}
	t.Logf("%d calls for 50 callers", calls.Load())
	if g.Durable() < next {
		t.Errorf("Durable %d < Next %d after the calls", g.Durable(), next)
	}
	fail.Store(true)
	before := g.Durable()
	if err := g.Sync(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("panicking call: %v", err)
	}
	if g.Durable() != before {
		t.Errorf("a failed call counted as durable")
	}
	fail.Store(false)
	if err := g.Sync(); err != nil {
		t.Errorf("after a failure: %v", err)
	}
}
