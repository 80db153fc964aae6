// Package safeio is the one place for durable file writes: a file is written
// to a temporary name in the same file system, fsynced, renamed over its
// final name, and the directory is fsynced, so after WriteFile returns the
// file is complete on disk under its final name, and after a crash at any
// point there is either the whole new file or none (old content stays).
//
// The file-system calls go through the small FS interface so tests can
// inject a failure at every step (as chasquid's safeio does).
package safeio

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// File is the part of *os.File a durable write uses.
type File interface {
	io.Writer
	Name() string
	Sync() error
	Close() error
}

// FS is the file-system operations a durable write needs. OS is the real
// one; tests wrap it to fail at chosen steps.
type FS interface {
	CreateTemp(dir, pattern string) (File, error)
	// Create creates a new file (it must not exist yet), mode 0600.
	Create(path string) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// SyncDir fsyncs a directory so that renames and creations in it are
	// durable.
	SyncDir(dir string) error
	// SyncFS makes everything written to dir's file system durable
	// (errors.ErrUnsupported where there is no syncfs).
	SyncFS(dir string) error
	// SyncFile fsyncs a file by name (one written with NoSync).
	SyncFile(path string) error
}

// OS is the real file system.
type OS struct{}

// CreateTemp creates a new file in dir, mode 0600, named by pattern with
// its last "*" replaced by a random string (as os.CreateTemp).
func (OS) CreateTemp(dir, pattern string) (File, error) {
	f, err := CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// CreateTemp is os.CreateTemp with the system calls of Open.
func CreateTemp(dir, pattern string) (*os.File, error) {
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for try := 0; ; try++ {
		var r [8]byte
		rand.Read(r[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(r[:])+suffix)
		f, err := openFile(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// Create creates a new file, mode 0600; it fails if path exists.
func (OS) Create(path string) (File, error) {
	f, err := CreateExcl(path)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil File
	}
	return f, nil
}

// Open opens a regular file for reading, as os.Open does, with fewer
// system calls: os.Open tries to register every file with the network
// poller (fcntl, epoll_ctl, fcntl), which a regular file refuses; on a
// busy spool those calls cost more than the open itself.
func Open(path string) (*os.File, error) {
	return openFile(path, syscall.O_RDONLY, 0)
}

// Group shares one durability call (an fsync of a directory, a syncfs)
// between concurrent callers (group commit): a caller of Sync returns once
// a call of Fn that started after its own call has finished, and callers
// that arrive while one runs share the next.
type Group struct {
	Fn func() error

	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // calls of Fn started
	done    uint64 // the last one finished
	err     error  // its result
	durable uint64 // the last one that succeeded
}

// Next is the call of Fn that will make durable what is done now: what
// was done before it started is durable once Durable() >= Next().
func (g *Group) Next() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.started + 1
}

// Durable is the last call of Fn that succeeded.
func (g *Group) Durable() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.durable
}

// Sync waits for a call of Fn that started after it was called and
// returns that call's result (or a later one's).
func (g *Group) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond.L == nil {
		g.cond.L = &g.mu
	}
	want := g.started + 1
	for g.done < want {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		gen := g.started
		g.mu.Unlock()
		err := g.call()
		g.mu.Lock()
		g.running = false
		g.done, g.err = gen, err
		if err == nil {
			g.durable = gen
		}
		g.cond.Broadcast()
	}
	return g.err
}

// call runs Fn; a panic in it is an error, so that the group stays usable.
func (g *Group) call() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("safeio: durability call panicked: %v", p)
		}
	}()
	return g.Fn()
}

// DirSyncer shares directory fsyncs between concurrent writers, one
// Group per directory. The zero value is ready to use.
type DirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*Group
}

// Sync makes the entries of dir durable, sharing the fsync with other
// callers.
func (s *DirSyncer) Sync(dir string) error {
	s.mu.Lock()
	if s.dirs == nil {
		s.dirs = map[string]*Group{}
	}
	g := s.dirs[dir]
	if g == nil {
		g = &Group{Fn: func() error { return SyncDir(dir) }}
		s.dirs[dir] = g
	}
	s.mu.Unlock()
	return g.Sync()
}

// CreateExcl creates a new file at path for writing, mode 0600; it fails
// if path exists. It uses the system calls of Open.
func CreateExcl(path string) (*os.File, error) {
	return openFile(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o600)
}

// OpenWrite opens an existing file for writing over it (no truncation).
func OpenWrite(path string) (*os.File, error) {
	return openFile(path, syscall.O_WRONLY, 0)
}

func openFile(path string, flag int, perm uint32) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, perm)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}

// Rename renames atomically within one file system.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove removes a file.
func (OS) Remove(name string) error { return os.Remove(name) }

// SyncDir fsyncs dir.
func (OS) SyncDir(dir string) error { return SyncDir(dir) }

// SyncFS syncs dir's file system.
func (OS) SyncFS(dir string) error { return SyncFS(dir) }

// SyncFile fsyncs a file by name.
func (OS) SyncFile(path string) error { return SyncFile(path) }

// Writer does durable writes. The zero value writes through the real file
// system with the temporary file beside the target and syncs the directory.
type Writer struct {
	// FS is the file system; nil means OS{}.
	FS FS
	// TempDir holds the temporary file; "" means the target's directory.
	// It must be on the same file system (Maildir: tmp/ then new/).
	TempDir string
	// NoDirSync leaves the final directory fsync to the caller, which
	// must call SyncDir(dir) before it relies on the file (group commit:
	// several writes share one directory fsync).
	NoDirSync bool
	// NoSync skips the file fsync too (and implies NoDirSync): the caller
	// makes the write durable later, with SyncFile and SyncDir or with
	// one SyncFS for a batch. Until then a crash may leave the file
	// renamed into place but with missing data, so readers must be able
	// to detect that (size, checksum).
	NoSync bool
}

// WriteFile durably writes the contents of r to dir/name and returns the
// number of bytes written. r is streamed, never held in memory whole. On
// error the temporary file is removed and dir/name is untouched.
func (w Writer) WriteFile(dir, name string, r io.Reader) (int64, error) {
	fsys := w.FS
	if fsys == nil {
		fsys = OS{}
	}
	tmpDir := w.TempDir
	if tmpDir == "" {
		tmpDir = dir
	}
	f, err := fsys.CreateTemp(tmpDir, ".tmp-"+name+"-*")
	if err != nil {
		return 0, fmt.Errorf("safeio: create temporary file: %w", err)
	}
	tmp := f.Name()
	fail := func(step string, err error) (int64, error) {
		_ = f.Close() // may be closed already; the first error is what counts
		_ = fsys.Remove(tmp)
		return 0, fmt.Errorf("safeio: %s %s: %w", step, filepath.Join(dir, name), err)
	}
	n, err := io.Copy(f, r)
	if err != nil {
		return fail("write", err)
	}
	if !w.NoSync {
		if err := f.Sync(); err != nil {
			return fail("fsync", err)
		}
	}
	if err := f.Close(); err != nil {
		return fail("close", err)
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fail("rename", err)
	}
	if !w.NoDirSync && !w.NoSync {
		if err := fsys.SyncDir(dir); err != nil {
			// The file is in place but maybe not durable; report it so the
			// caller acknowledges nothing, and leave the file.
			return 0, err
		}
	}
	return n, nil
}

// WriteFile durably writes data to dir/name on the real file system.
func WriteFile(dir, name string, data []byte) error {
	_, err := Writer{}.WriteFile(dir, name, bytes.NewReader(data))
	return err
}

// SyncFile fsyncs the file at path: the second half of a NoSync write,
// so that several files can be fsynced at once (their journal commits
// then coincide) before the directory fsync.
func SyncFile(path string) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("safeio: fsync %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a directory, making the creations, renames and removals in
// it durable.
func SyncDir(dir string) error {
	d, err := Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("safeio: fsync directory %s: %w", dir, err)
	}
	return nil
}
