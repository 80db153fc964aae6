package spool

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tradesift/tradesift/filter/safeio"
)

// Layout: one flat directory; per entry
//
//	<id>.body   the message as received, never rewritten
//	<id>.meta   envelope, arrival time, body size and CRC-32C (JSON); written
//	            once, after the body: its presence is the commit marker
//	<id>.state  per-recipient delivery state (JSON), replaced on each change
//	<id>.hdr    the filter's header block, written once before the first
//	            attempt, with a checksum line
//
// Temporary files start with ".tmp-". Ids are fixed-width hex, so they sort
// by arrival time.
//
// Durability (group commit): each file is written to a temporary name and
// renamed; then the files of one operation (body and meta; state and
// header block) are fsynced at once, and a committer goroutine fsyncs the
// directory once for every writer waiting at that moment; only then do
// they return. With Options.SyncFS the files are not fsynced one by one: the
// committer makes each batch durable with one syncfs(2). A crash before a
// batch is durable can leave a meta file whose body is short or garbled;
// Open finds that by size and checksum and removes the entry, which no
// client was told was accepted. A garbled state file means "nothing
// delivered yet" (at worst a duplicate, never a loss); a garbled header
// block means "not prepared yet".
const (
	bodyExt  = ".body"
	metaExt  = ".meta"
	stateExt = ".state"
	hdrExt   = ".hdr"
)

// Status of one recipient.
type Status string

const (
	Pending Status = ""        // not delivered yet; will be tried again
	Sent    Status = "sent"    // accepted downstream
	Failed  Status = "failed"  // given up; a bounce is still to be spooled
	Bounced Status = "bounced" // given up and reported (or dropped: null sender)
)

// Rcpt is the delivery state of one recipient, persisted before each
// attempt and after its outcome.
type Rcpt struct {
	Addr        string    `json:"addr"`
	Status      Status    `json:"status,omitempty"`
	Attempts    int       `json:"attempts,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Relay is where the last attempt went (host:port, maildir path).
	Relay string `json:"relay,omitempty"`
	// DSNStatus is the RFC 3463 status of the last failure (e.g. 5.1.1).
	DSNStatus string `json:"dsn_status,omitempty"`
	// Diagnostic is the RFC 3464 Diagnostic-Code ("smtp; 550 5.1.1 ...").
	Diagnostic string `json:"diagnostic,omitempty"`
}

// State is the mutable part of an entry.
type State struct {
	Rcpts []Rcpt `json:"rcpts"`
	// InFlight is set while an attempt runs: found set after a restart,
	// the attempt was cut short (kill -9) and is retried soon rather than
	// at the recorded next attempt time.
	InFlight bool `json:"in_flight,omitempty"`
}

// Entry is one spooled message.
type Entry struct {
	ID       string    `json:"id"`
	Envelope Envelope  `json:"envelope"`
	Created  time.Time `json:"created"`
	// Size of the body in bytes and its CRC-32C (Castagnoli).
	Size  int64  `json:"size"`
	CRC   uint32 `json:"crc32c"`
	State State  `json:"-"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Spool is a spool directory. Its methods are safe for concurrent use, but
// one entry's state must be changed by one goroutine at a time.
type Spool struct {
	dir    string
	fs     safeio.FS
	syncfs bool // group commit by syncfs; false: fsync per file
	commit *committer
	seq    atomic.Uint64
}

// Error is a spool failure; Kind says what went wrong for the log
// ("disk full", "permission", "read-only", "io").
type Error struct {
	Op   string
	Kind string
	Err  error
}

func (e *Error) Error() string { return "spool: " + e.Op + " (" + e.Kind + "): " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsDiskFull reports whether err comes from a full disk or quota.
func IsDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := "io"
	switch {
	case IsDiskFull(err):
		kind = "disk full"
	case errors.Is(err, syscall.EROFS):
		kind = "read-only"
	case errors.Is(err, fs.ErrPermission):
		kind = "permission"
	case errors.Is(err, fs.ErrNotExist):
		kind = "not found"
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// ErrNotFound is returned for an id that is not (or no longer) spooled.
var ErrNotFound = errors.New("spool: no such entry")

// Open opens (creating if needed) the spool directory and removes what an
// interrupted Store left behind: temporary files, files without a meta
// file, and meta files whose body is missing, short or fails its checksum
// (never acknowledged, since Store returns only once both are durable).
// Open reads the body of every entry not yet tried to check it. Writes are fsynced file by file, with
// directory fsyncs shared between concurrent writers.
func Open(dir string) (*Spool, error) {
	return OpenWith(dir, Options{})
}

// Options tune OpenWith.
type Options struct {
	// FS carries the file-system calls of writes; nil: the real one
	// (tests inject failures there).
	FS safeio.FS
	// SyncFS commits each batch of writes with one syncfs(2) instead of
	// an fsync per file and a shared directory fsync: fewer I/O requests
	// on a dedicated file system, but it also flushes everything else
	// written to that file system, so on a busy shared one it is no
	// faster (measured: about even). Falls back to fsyncs where syncfs is
	// not available.
	SyncFS bool
}

// OpenWith is Open with options.
func OpenWith(dir string, o Options) (*Spool, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = safeio.OS{}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, wrap("open", err)
	}
	s := &Spool{dir: dir, fs: fsys}
	if o.SyncFS {
		err := fsys.SyncFS(dir)
		switch {
		case err == nil:
			s.syncfs = true
		case !errors.Is(err, errors.ErrUnsupported):
			return nil, wrap("open", err)
		}
	}
	if err := s.clean(); err != nil {
		return nil, err
	}
	if s.syncfs {
		s.commit = newCommitter(func() error { return fsys.SyncFS(dir) })
	} else {
		s.commit = newCommitter(func() error { return fsys.SyncDir(dir) })
	}
	return s, nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Close stops the background committer. Stores must not be running.
func (s *Spool) Close() error {
	s.commit.stop()
	return nil
}

func (s *Spool) clean() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return wrap("open", err)
	}
	metas := map[string]bool{}
	others := map[string]bool{}
	changed := false
	for _, e := range ents {
		name := e.Name()
		ext := filepath.Ext(name)
		id := strings.TrimSuffix(name, ext)
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			os.Remove(filepath.Join(s.dir, name))
			changed = true
		case ext == metaExt:
			metas[id] = true
		case ext == bodyExt || ext == stateExt || ext == hdrExt:
			others[id] = true
		}
	}
	for id := range metas {
		if !s.complete(id) {
			os.Remove(filepath.Join(s.dir, id+metaExt))
			delete(metas, id)
			changed = true
		}
	}
	for id := range others {
		if !metas[id] {
			s.removeFiles(id)
			changed = true
		}
	}
	if changed {
		return wrap("open", s.fs.SyncDir(s.dir))
	}
	return nil
}

// complete reports whether id's meta file parses and its body has the
// recorded size and checksum. The checksum is skipped for entries with a
// state file: the queue writes that only after Store returned, so the
// body was durable.
func (s *Spool) complete(id string) bool {
	e, err := s.loadMeta(id)
	if err != nil {
		return false
	}
	f, err := os.Open(filepath.Join(s.dir, id+bodyExt))
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := os.Stat(filepath.Join(s.dir, id+stateExt)); err == nil {
		fi, err := f.Stat()
		return err == nil && fi.Size() == e.Size
	}
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, f)
	return err == nil && n == e.Size && h.Sum32() == e.CRC
}

// newID returns a unique id that sorts by creation time: microseconds
// since the epoch, a process-wide counter and random bits, in hex.
func (s *Spool) newID(now time.Time) string {
	var r [2]byte
	rand.Read(r[:])
	return fmt.Sprintf("%013x%05x%04x", now.UnixMicro(), s.seq.Add(1)&0xfffff, binary.BigEndian.Uint16(r[:]))
}

// Store spools a message: the body is streamed from r to disk, then the
// meta file (the commit marker) is written, then both are made durable
// (one syncfs shared with concurrent writers, or fsyncs of each file and
// a shared directory fsync). It returns only once the entry is durable; on
// error nothing is left behind. Errors are *Error values whose Kind tells
// a full disk from other failures.
func (s *Spool) Store(env Envelope, r io.Reader) (string, error) {
	now := time.Now()
	if env.Received.IsZero() {
		env.Received = now
	}
	id := s.newID(now)
	h := crc32.New(castagnoli)
	n, err := s.writer().WriteFile(s.dir, id+bodyExt, io.TeeReader(r, h))
	if err != nil {
		return "", wrap("store body", err)
	}
	e := Entry{ID: id, Envelope: env, Created: now, Size: n, CRC: h.Sum32()}
	meta, err := json.Marshal(&e)
	if err != nil {
		s.removeFiles(id)
		return "", wrap("store meta", err)
	}
	if _, err := s.writer().WriteFile(s.dir, id+metaExt, bytes.NewReader(meta)); err != nil {
		s.removeFiles(id)
		return "", wrap("store meta", err)
	}
	if err := s.durable(id+bodyExt, id+metaExt); err != nil {
		s.removeFiles(id)
		return "", wrap("store sync", err)
	}
	return id, nil
}

// writer writes without fsyncs: durable makes the files durable.
func (s *Spool) writer() safeio.Writer {
	return safeio.Writer{FS: s.fs, NoSync: true}
}

// durable makes files just written in the spool durable, with their names:
// without syncfs it fsyncs them all at once (one journal commit rather
// than one after the other), then waits for a shared directory fsync;
// with syncfs it waits for a shared syncfs.
func (s *Spool) durable(names ...string) error {
	if !s.syncfs {
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names[1:] {
			wg.Go(func() { errs[i+1] = s.fs.SyncFile(filepath.Join(s.dir, name)) })
		}
		errs[0] = s.fs.SyncFile(filepath.Join(s.dir, names[0]))
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return s.commit.sync()
}

func (s *Spool) removeFiles(id string) {
	for _, ext := range []string{metaExt, bodyExt, stateExt, hdrExt} {
		os.Remove(filepath.Join(s.dir, id+ext))
	}
}

// List returns the ids of all committed entries, oldest first.
func (s *Spool) List() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, wrap("list", err)
	}
	var ids []string
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, metaExt) && !strings.HasPrefix(name, ".") {
			ids = append(ids, strings.TrimSuffix(name, metaExt))
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "/\\.") && len(id) < 64
}

// Load reads an entry's envelope and state. It returns ErrNotFound for an
// id that is not spooled. A missing or unreadable state file yields the
// initial state: every recipient pending, no attempts.
func (s *Spool) Load(id string) (*Entry, error) {
	e, err := s.loadMeta(id)
	if err != nil {
		return nil, err
	}
	e.State.Rcpts = nil
	if data, err := os.ReadFile(filepath.Join(s.dir, id+stateExt)); err == nil {
		var st State
		if json.Unmarshal(data, &st) == nil && len(st.Rcpts) == len(e.Envelope.Rcpts) {
			e.State = st
		}
	}
	if e.State.Rcpts == nil {
		for _, a := range e.Envelope.Rcpts {
			e.State.Rcpts = append(e.State.Rcpts, Rcpt{Addr: a})
		}
	}
	return e, nil
}

func (s *Spool) loadMeta(id string) (*Entry, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	data, err := os.ReadFile(filepath.Join(s.dir, id+metaExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrap("load", err)
	}
	e := new(Entry)
	if err := json.Unmarshal(data, e); err != nil {
		return nil, wrap("load "+id, err)
	}
	e.ID = id
	return e, nil
}

// SaveState durably replaces an entry's per-recipient state.
func (s *Spool) SaveState(id string, st State) error {
	if !validID(id) {
		return ErrNotFound
	}
	if _, err := os.Stat(filepath.Join(s.dir, id+metaExt)); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	data, err := json.Marshal(st)
	if err != nil {
		return wrap("save state", err)
	}
	return s.writeDurable(id+stateExt, data, "save state")
}

// SaveAttempt durably stores the header block (unless hdr is nil) and the
// state with one commit: what the queue writes before its first dial.
func (s *Spool) SaveAttempt(id string, hdr []byte, st State) error {
	if !validID(id) {
		return ErrNotFound
	}
	if _, err := os.Stat(filepath.Join(s.dir, id+metaExt)); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	data, err := json.Marshal(st)
	if err != nil {
		return wrap("save state", err)
	}
	names := []string{id + stateExt}
	if hdr != nil {
		if _, err := s.writer().WriteFile(s.dir, id+hdrExt, bytes.NewReader(hdrFile(hdr))); err != nil {
			return wrap("set header", err)
		}
		names = append(names, id+hdrExt)
	}
	if _, err := s.writer().WriteFile(s.dir, id+stateExt, bytes.NewReader(data)); err != nil {
		return wrap("save state", err)
	}
	return wrap("save state", s.durable(names...))
}

func hdrFile(hdr []byte) []byte {
	data := fmt.Appendf(nil, "%08x\n", crc32.Checksum(hdr, castagnoli))
	return append(data, hdr...)
}

func (s *Spool) writeDurable(name string, data []byte, op string) error {
	if _, err := s.writer().WriteFile(s.dir, name, bytes.NewReader(data)); err != nil {
		return wrap(op, err)
	}
	return wrap(op, s.durable(name))
}

// OpenBody opens an entry's message body and returns its size.
func (s *Spool) OpenBody(id string) (io.ReadCloser, int64, error) {
	if !validID(id) {
		return nil, 0, ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.dir, id+bodyExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, wrap("open body", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, wrap("open body", err)
	}
	return f, info.Size(), nil
}

// SetHeader durably stores the header block the filter prepends to the
// body on delivery (CRLF-terminated lines; may be empty).
func (s *Spool) SetHeader(id string, hdr []byte) error {
	if !validID(id) {
		return ErrNotFound
	}
	return s.writeDurable(id+hdrExt, hdrFile(hdr), "set header")
}

// Header returns the header block stored by SetHeader: nil if none was set
// yet (or what was set did not survive a crash intact), a non-nil
// (possibly empty) slice otherwise.
func (s *Spool) Header(id string) ([]byte, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	data, err := os.ReadFile(filepath.Join(s.dir, id+hdrExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("read header", err)
	}
	sum, hdr, ok := bytes.Cut(data, []byte("\n"))
	if !ok || string(sum) != fmt.Sprintf("%08x", crc32.Checksum(hdr, castagnoli)) {
		return nil, nil
	}
	if hdr == nil {
		hdr = []byte{}
	}
	return hdr, nil
}

// Remove deletes an entry: the meta file (commit marker) first, so a crash
// midway leaves only garbage that Open cleans, then the other files. It
// does not wait for the removal to be durable (the next commit makes it
// so): after a crash right after Remove the entry may be back, and is
// delivered again (at least once, never lost; Postfix does the same).
func (s *Spool) Remove(id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	if err := s.fs.Remove(filepath.Join(s.dir, id+metaExt)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return wrap("remove", err)
	}
	for _, ext := range []string{bodyExt, stateExt, hdrExt} {
		os.Remove(filepath.Join(s.dir, id+ext))
	}
	return nil
}

// committer batches directory fsyncs: callers that ask while one fsync
// runs share the next one. Nobody returns before an fsync that started
// after its request has finished.
type committer struct {
	syncDir func() error
	reqs    chan chan error
	done    chan struct{}
	once    sync.Once
}

func newCommitter(syncDir func() error) *committer {
	c := &committer{syncDir: syncDir, reqs: make(chan chan error, 256), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *committer) run() {
	var batch []chan error
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.done:
			return
		}
	drain:
		for {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		err := c.syncDir()
		for _, r := range batch {
			r <- err
		}
	}
}

func (c *committer) sync() error {
	r := make(chan error, 1)
	select {
	case c.reqs <- r:
	case <-c.done:
		return errors.New("spool closed")
	}
	select {
	case err := <-r:
		return err
	case <-c.done:
		return errors.New("spool closed")
	}
}

func (c *committer) stop() { c.once.Do(func() { close(c.done) }) }
