package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tradesift/tradesift/filter/safeio"
)

// NewMaildir returns a Maildir courier below root; with syncfs (and where
// syncfs(2) exists) its copies are made durable by syncfs calls shared
// between concurrent deliveries rather than an fsync each (see SyncFS).
func NewMaildir(root, hostname string, syncfs bool) *Maildir {
	m := &Maildir{Root: root, Hostname: hostname}
	if syncfs && safeio.HaveSyncFS {
		m.SyncFS = &safeio.Group{Fn: func() error { return safeio.SyncFS(root) }}
	}
	return m
}

// Maildir delivers into one Maildir per recipient address below Root:
// Root/<address>/{tmp,new,cur}. Each copy is written to tmp/, fsynced,
// renamed into new/ and new/ is fsynced (through safeio), so a delivered
// message survives a crash. The recipient becomes a safe directory name
// (see MailboxName). All failures are temporary (a full or unwritable disk
// is the operator's to fix, not the sender's fault).
type Maildir struct {
	Root     string
	Hostname string
	// Folder is a Maildir++ subfolder of each recipient's Maildir, e.g.
	// ".Drafts" (Dovecot's layout); empty is the inbox.
	Folder string
	// Flags, when set, files each message in cur/ with these Maildir info
	// flags (e.g. "D" for a draft) instead of in new/.
	Flags string

	// SyncFS, if set, makes copies durable with a syncfs(2) shared by
	// concurrent deliveries, once before the rename (the data) and once
	// after (the name), instead of an fsync of each file and a shared
	// fsync of the folder.
	SyncFS *safeio.Group

	seq   atomic.Uint64
	known sync.Map // folders known to exist → on Root's file system (bool)
	dirs  safeio.DirSyncer
	host  atomic.Pointer[string]
}

func (m *Maildir) String() string { return "maildir:" + m.Root }

// Deliver implements Courier. msg is read once: the first copy is streamed
// from it, further recipients get a copy of that file. If writing the
// first copy fails, the remaining recipients fail the same way (and are
// retried).
func (m *Maildir) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	errs := make([]error, len(rcpts))
	var first string // path of the first delivered copy
	var streamErr error
	for i, rcpt := range rcpts {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if streamErr != nil {
			errs[i] = streamErr
			continue
		}
		box := filepath.Join(m.Root, MailboxName(rcpt), m.Folder)
		if err := m.ensure(box); err != nil {
			errs[i] = fmt.Errorf("maildir %s: %w", box, err)
			continue
		}
		src := msg
		if first != "" {
			f, err := os.Open(first)
			if err != nil {
				errs[i] = fmt.Errorf("maildir: reopen first copy: %w", err)
				continue
			}
			src = f
			defer f.Close()
		}
		name, sub := m.uniqueName(), "new"
		if m.Flags != "" {
			name, sub = name+":2,"+m.Flags, "cur"
		}
		if err := m.file(box, sub, name, src); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				m.known.Delete(box) // removed under us: create it next time
			}
			errs[i] = fmt.Errorf("maildir %s: %w", box, err)
			if first == "" {
				streamErr = errs[i] // msg is partly consumed
			}
			continue
		}
		if first == "" {
			first = filepath.Join(box, sub, name)
		}
	}
	return errs
}

// file writes one copy the Maildir way: into tmp/ under its unique name,
// fsynced, then renamed into sub/ (new or cur), whose directory fsync is
// shared with concurrent deliveries into the same folder.
func (m *Maildir) file(box, sub, name string, src io.Reader) error {
	tmp := filepath.Join(box, "tmp", name)
	f, err := safeio.CreateExcl(tmp)
	if err != nil {
		return err
	}
	buf := copyBufs.Get().(*[]byte)
	// Only Write is shown, or os.File.ReadFrom would allocate its own
	// buffer.
	_, err = io.CopyBuffer(struct{ io.Writer }{f}, src, *buf)
	copyBufs.Put(buf)
	syncfs := m.syncFS(box)
	if err == nil {
		if syncfs {
			err = m.SyncFS.Sync()
		} else {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(box, sub, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if syncfs {
		return m.SyncFS.Sync()
	}
	return m.dirs.Sync(filepath.Join(box, sub))
}

// ensure creates box/{tmp,new,cur} if missing and makes the creation
// durable. A folder found once is not looked for again; if it is removed
// under a running relay, the delivery fails (temporarily) and the next
// one creates it anew.
func (m *Maildir) ensure(box string) error {
	if _, ok := m.known.Load(box); ok {
		return nil
	}
	if _, err := os.Stat(filepath.Join(box, "new")); err == nil {
		m.known.Store(box, m.onRootFS(box))
		return nil
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(box, sub), 0o700); err != nil {
			return err
		}
	}
	// Make every directory that may have been created durable, up to Root.
	root := filepath.Clean(m.Root)
	for d := box; d != root && d != filepath.Dir(d); d = filepath.Dir(d) {
		if err := safeio.SyncDir(d); err != nil {
			return err
		}
		if filepath.Dir(d) == root {
			if err := safeio.SyncDir(root); err != nil {
				return err
			}
			break
		}
	}
	m.known.Store(box, m.onRootFS(box))
	return nil
}

// onRootFS tells whether box is on Root's file system, which is the one
// SyncFS syncs (a mailbox may be a symlink or a mount elsewhere).
func (m *Maildir) onRootFS(box string) bool {
	var a, b syscall.Stat_t
	return syscall.Stat(m.Root, &a) == nil && syscall.Stat(filepath.Join(box, "tmp"), &b) == nil && a.Dev == b.Dev
}

// syncFS tells whether copies into box are made durable with SyncFS.
func (m *Maildir) syncFS(box string) bool {
	if m.SyncFS == nil {
		return false
	}
	same, _ := m.known.Load(box)
	return same == true
}

// uniqueName follows the Maildir convention time.MusecPpidQn.host.
func (m *Maildir) uniqueName() string {
	now := time.Now()
	host := m.host.Load()
	if host == nil {
		h := m.Hostname
		if h == "" {
			h, _ = os.Hostname()
		}
		h = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(h)
		host = &h
		m.host.Store(host)
	}
	return fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, pid, m.seq.Add(1), *host)
}

var pid = os.Getpid()

// MailboxName turns a recipient address into a directory name: the domain
// is lower-cased, anything but letters, digits and . _ + = @ - becomes _,
// a leading dot becomes _, and the name is at most 200 bytes. So no
// recipient can name a path outside Root.
func MailboxName(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		addr = addr[:at] + "@" + strings.ToLower(addr[at+1:])
	}
	b := []byte(addr)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._+=@-", c) >= 0
		if !ok || (i == 0 && c == '.') {
			b[i] = '_'
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
