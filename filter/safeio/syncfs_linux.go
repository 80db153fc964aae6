package safeio

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// HaveSyncFS tells whether SyncFS works on this system.
const HaveSyncFS = true

// SyncFS flushes every dirty page and all metadata of the file system that
// holds dir to stable storage (syncfs(2); Linux ≥ 5.8 reports write-back
// errors). One call makes a whole batch of unsynced writes durable: the
// group commit of the spool.
func SyncFS(dir string) error {
	d, err := Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("safeio: syncfs %s: %w", dir, err)
	}
	return nil
}
