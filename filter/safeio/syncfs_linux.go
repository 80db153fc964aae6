package safeio

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// HaveSyncFS tells whether SyncFS works on this system.
const HaveSyncFS = true

// SyncFS flushes every dirty page and all metadata of the file system that
// holds dir to stable storage (syncfs(2); Linux ≥ 5.8 reports write-back
// errors). One call makes a whole batch of unsynced writes durable: the
// group commit of the spool.
//
// syncfs reports the write-back errors that happened since the file it is
// called on was opened, so the directory is opened once, on the first
// call, and kept open: an error in a write-back before a later call is
// still seen by that call.
func SyncFS(dir string) error {
	d, err := syncFSHandle(dir)
	if err != nil {
		return err
	}
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("safeio: syncfs %s: %w", dir, err)
	}
	return nil
}

var syncFSHandles sync.Map // directory → *os.File, kept open

// syncFSHandle returns the kept handle of dir, or opens a new one if dir
// is no longer the directory it was opened on (removed, or another file
// system mounted there).
func syncFSHandle(dir string) (*os.File, error) {
	if d, ok := syncFSHandles.Load(dir); ok {
		f := d.(*os.File)
		var a, b unix.Stat_t
		if unix.Fstat(int(f.Fd()), &a) == nil && unix.Stat(dir, &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			return f, nil
		}
		syncFSHandles.CompareAndDelete(dir, d)
	}
	d, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if prev, loaded := syncFSHandles.LoadOrStore(dir, d); loaded {
		d.Close()
		return prev.(*os.File), nil
	}
	return d, nil
}
