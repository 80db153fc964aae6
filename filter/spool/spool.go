package spool

import (
	"bufio"
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
//	<id>.msg    the message as received, never rewritten, followed by its
//	            meta data: envelope, arrival time, body size and CRC-32C
//	            (JSON), then a 12-byte trailer (length and CRC-32C of the
//	            JSON, magic "tsq1"). Written once, in place: a file whose
//	            trailer, meta data or body checksum does not hold is a
//	            Store that never returned, and Open removes it.
//	<id>.state  per-recipient delivery state (JSON), replaced on each change
//	<id>.hdr    the filter's header block, written once before the first
//	            attempt, with a checksum line
//
// One file per message keeps the cost of a message that leaves at its
// first attempt at one file created and one removed (Postfix's queue file
// costs the same plus a rename). Temporary files (of .state and .hdr
// writes) start with ".tmp-". Ids are fixed-width hex, so they sort by
// arrival time.
//
// Durability (group commit): after its file is written (and fsynced, in
// fsync mode), each Store waits for a shared call (safeio.Group) that
// fsyncs the directory once for every writer waiting at that moment; only
// then does it return. With Options.SyncFS the files are not fsynced one
// by one: that shared call is one syncfs(2) per batch. A crash
// before a batch is durable can leave a file that is short or garbled;
// Open finds that by its trailer, sizes and checksums and removes the
// entry, which no client was told was accepted. A garbled state file
// means "nothing delivered yet" (at worst a duplicate, never a loss); a
// garbled header block means "not prepared yet".
//
// Spools of the earlier layout (<id>.body with <id>.meta) are converted
// at Open.
const (
	msgExt   = ".msg"
	stateExt = ".state"
	hdrExt   = ".hdr"
	// the earlier layout, converted at Open
	oldBodyExt = ".body"
	oldMetaExt = ".meta"
)

// trailer ends every .msg file: meta length, meta CRC-32C, magic.
const (
	trailerLen   = 12
	trailerMagic = "tsq1"
	// maxMeta bounds the meta data read back (an envelope of thousands
	// of recipients is well below it).
	maxMeta = 16 << 20
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
	syncfs bool          // group commit by syncfs; false: fsync per file
	commit *safeio.Group // shared durability call: syncfs, or directory fsync
	closed atomic.Bool
	seq    atomic.Uint64
	// sideFiles holds the ids that have (or may have) a .state or .hdr
	// file: found at Open or written since. Most messages leave at their
	// first attempt and never get one, so Load, Header and Remove skip
	// looking for them.
	sideFiles sync.Map
	pool      freePool
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
// interrupted Store left behind: temporary files, files whose trailer,
// meta data or body checksum does not hold (never acknowledged, since
// Store returns only once the file is durable), and state or header files
// without their message. The body of every entry is read to check it; an
// entry that had delivery state and fails is kept as .corrupt-<id>.msg.
// Writes are fsynced file by file, with directory fsyncs shared between
// concurrent writers.
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
	var tag [8]byte
	rand.Read(tag[:])
	s.pool.dir, s.pool.tag = dir, fmt.Sprintf("%x", tag)
	if o.SyncFS {
		err := fsys.SyncFS(dir)
		switch {
		case err == nil:
			s.syncfs = true
		case !errors.Is(err, errors.ErrUnsupported):
			return nil, wrap("open", err)
		}
	}
	if s.syncfs {
		s.commit = &safeio.Group{Fn: func() error { return fsys.SyncFS(dir) }}
	} else {
		s.commit = &safeio.Group{Fn: func() error { return fsys.SyncDir(dir) }}
	}
	if err := s.clean(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Close ends the spool: later stores and commits fail. Stores must not
// be running.
func (s *Spool) Close() error {
	s.closed.Store(true)
	return nil
}

var errClosed = errors.New("spool closed")

// sync waits for a shared durability call that started after it was
// called (group commit).
func (s *Spool) sync() error {
	if s.closed.Load() {
		return errClosed
	}
	return s.commit.Sync()
}

func (s *Spool) clean() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return wrap("open", err)
	}
	msgs := map[string]bool{}
	others := map[string]bool{}
	oldMetas := map[string]bool{}
	changed := false
	for _, e := range ents {
		name := e.Name()
		ext := filepath.Ext(name)
		id := strings.TrimSuffix(name, ext)
		switch {
		case strings.HasPrefix(name, corruptPrefix):
			continue
		case strings.HasPrefix(name, ".tmp-"):
			os.Remove(filepath.Join(s.dir, name))
			changed = true
		case strings.HasPrefix(name, freePrefix):
			info, err := e.Info()
			if err != nil || !s.pool.adopt(filepath.Join(s.dir, name), info.Size()) {
				os.Remove(filepath.Join(s.dir, name))
			}
			changed = true // the renames of the last run are made durable below
		case ext == msgExt:
			msgs[id] = true
		case ext == oldMetaExt:
			oldMetas[id] = true
		case ext == stateExt || ext == hdrExt || ext == oldBodyExt:
			others[id] = true
		}
	}
	for id := range oldMetas {
		// A .msg beside them is from a conversion cut short: redo it.
		os.Remove(filepath.Join(s.dir, id+msgExt))
		ok, err := s.convert(id)
		if err != nil {
			return err
		}
		msgs[id] = ok
		changed = true
	}
	for id := range msgs {
		switch err := s.check(id); {
		case errors.Is(err, errGarbled) || errors.Is(err, ErrNotFound):
			if others[id] {
				// It has delivery state, so it was acknowledged and
				// the disk damaged it since: kept aside for the
				// operator, never delivered.
				os.Rename(filepath.Join(s.dir, id+msgExt), filepath.Join(s.dir, corruptPrefix+id+msgExt))
			} else {
				os.Remove(filepath.Join(s.dir, id+msgExt))
			}
			delete(msgs, id)
			changed = true
		case err != nil:
			// Not proof of an interrupted store (EIO, EMFILE ...): the
			// entry may have been acknowledged, so keep it and refuse
			// to start rather than delete it.
			return wrap("open", err)
		}
	}
	for id := range others {
		if !msgs[id] {
			s.removeFiles(id)
			changed = true
		} else {
			s.sideFiles.Store(id, true)
		}
	}
	for id := range oldMetas {
		os.Remove(filepath.Join(s.dir, id+oldMetaExt))
		os.Remove(filepath.Join(s.dir, id+oldBodyExt))
	}
	if changed {
		return wrap("open", s.fs.SyncDir(s.dir))
	}
	return nil
}

// check tells whether id's file is a complete entry: errGarbled if its
// trailer, meta data, or body size or checksum do not hold (a store that
// never returned); another error if it could not be read.
func (s *Spool) check(id string) error {
	f, e, err := s.openEntry(id)
	if err != nil {
		return err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, io.NewSectionReader(f, 0, e.Size))
	if err != nil {
		return err
	}
	if n != e.Size || h.Sum32() != e.CRC {
		return fmt.Errorf("spool: %s: body checksum mismatch: %w", id, errGarbled)
	}
	return nil
}

// convert rewrites an entry of the earlier layout (<id>.body, <id>.meta)
// as <id>.msg, durably, keeping its id, state and header block; false if
// it was incomplete (never acknowledged) and is dropped.
func (s *Spool) convert(id string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, id+oldMetaExt))
	if err != nil {
		return false, wrap("open", err)
	}
	var e Entry
	if json.Unmarshal(data, &e) != nil {
		return false, nil
	}
	body, err := os.Open(filepath.Join(s.dir, id+oldBodyExt))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, wrap("open", err)
	}
	defer body.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, body)
	if err != nil {
		return false, wrap("open", err)
	}
	if n != e.Size || h.Sum32() != e.CRC {
		return false, nil
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return false, wrap("open", err)
	}
	e.ID = id
	if err := s.write(&e, body); err != nil {
		return false, wrap("convert "+id, err)
	}
	return true, wrap("convert "+id, s.sync())
}

// newID returns a unique id that sorts by creation time: microseconds
// since the epoch, a process-wide counter and random bits, in hex.
func (s *Spool) newID(now time.Time) string {
	var r [2]byte
	rand.Read(r[:])
	return fmt.Sprintf("%013x%05x%04x", now.UnixMicro(), s.seq.Add(1)&0xfffff, binary.BigEndian.Uint16(r[:]))
}

// Store spools a message: the body is streamed from r into the entry's
// file, its meta data and trailer follow, then the file is made durable
// (one syncfs shared with concurrent writers, or an fsync of the file and
// a shared directory fsync). It returns only once the entry is durable;
// on error nothing is left behind. Errors are *Error values whose Kind
// tells a full disk from other failures.
func (s *Spool) Store(env Envelope, r io.Reader) (string, error) {
	now := time.Now()
	if env.Received.IsZero() {
		env.Received = now
	}
	e := &Entry{ID: s.newID(now), Envelope: env, Created: now}
	if err := s.write(e, r); err != nil {
		return "", wrap("store", err)
	}
	if err := s.sync(); err != nil {
		s.removeFiles(e.ID)
		return "", wrap("store sync", err)
	}
	return e.ID, nil
}

// write creates e's file from the body in r and e's envelope, setting
// e.Size and e.CRC; in fsync mode it fsyncs the file. The caller commits.
// On error the file is removed.
func (s *Spool) write(e *Entry, r io.Reader) (err error) {
	path := filepath.Join(s.dir, e.ID+msgExt)
	// A file of a delivered message is written over and renamed, when
	// there is one: creating a file (allocating an inode) is the most
	// expensive step of a store on a busy ext4 spool, a rename is cheap.
	var f safeio.File
	free, ok := s.pool.get(s.commit.Durable())
	if ok {
		f, err = safeio.OpenWrite(free)
		if err != nil {
			syscall.Unlink(free)
			ok = false
		}
	}
	if !ok {
		free = ""
		if f, err = s.fs.Create(path); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil {
			f.Close()
			if free != "" {
				syscall.Unlink(free)
			}
			s.fs.Remove(path)
		}
	}()
	// One buffer for body, meta and trailer: a message of up to 64 KiB
	// takes one write(2). Buffers are pooled: 96 KiB allocated per
	// message was a good part of the garbage collector's work.
	b := writeBufs.Get().(*writeBuf)
	defer writeBufs.Put(b)
	b.w.Reset(f)
	defer b.w.Reset(nil)
	w := b.w
	h := crc32.New(castagnoli)
	n, err := io.CopyBuffer(io.MultiWriter(w, h), r, b.copy)
	if err != nil {
		return err
	}
	e.Size, e.CRC = n, h.Sum32()
	meta, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.Write(meta)
	var tr [trailerLen]byte
	binary.BigEndian.PutUint32(tr[0:], uint32(len(meta)))
	binary.BigEndian.PutUint32(tr[4:], crc32.Checksum(meta, castagnoli))
	copy(tr[8:], trailerMagic)
	w.Write(tr[:])
	if err := w.Flush(); err != nil {
		return err
	}
	if free != "" {
		// What is left of the earlier message goes.
		if err := f.(*os.File).Truncate(n + int64(len(meta)) + trailerLen); err != nil {
			return err
		}
	}
	if !s.syncfs {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if free != "" {
		if err := s.fs.Rename(free, path); err != nil {
			return err
		}
	}
	return nil
}

type writeBuf struct {
	w    *bufio.Writer
	copy []byte
}

var writeBufs = sync.Pool{New: func() any {
	return &writeBuf{w: bufio.NewWriterSize(nil, 64<<10), copy: make([]byte, 32<<10)}
}}

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
	return s.sync()
}

func (s *Spool) removeFiles(id string) {
	for _, ext := range []string{msgExt, stateExt, hdrExt, oldMetaExt, oldBodyExt} {
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
		if name := e.Name(); strings.HasSuffix(name, msgExt) && !strings.HasPrefix(name, ".") {
			ids = append(ids, strings.TrimSuffix(name, msgExt))
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
	s.loadState(e)
	return e, nil
}

// loadState reads e's state file, if it has one; without one (or with a
// garbled one) every recipient is pending.
func (s *Spool) loadState(e *Entry) {
	e.State = State{}
	if _, ok := s.sideFiles.Load(e.ID); ok {
		if data, err := os.ReadFile(filepath.Join(s.dir, e.ID+stateExt)); err == nil {
			var st State
			if json.Unmarshal(data, &st) == nil && len(st.Rcpts) == len(e.Envelope.Rcpts) {
				e.State = st
			}
		}
	}
	if e.State.Rcpts == nil {
		for _, a := range e.Envelope.Rcpts {
			e.State.Rcpts = append(e.State.Rcpts, Rcpt{Addr: a})
		}
	}
}

// Message is an open spool entry: its envelope and state as Load reads
// them, and its body, which can be read any number of times while the
// Message is open. Close it.
type Message struct {
	*Entry
	f *os.File
}

// OpenMessage opens id's entry once for a delivery attempt: Load and
// OpenBody in one, without opening the file again for each reading.
func (s *Spool) OpenMessage(id string) (*Message, error) {
	f, e, err := s.openEntry(id)
	if err != nil {
		return nil, err
	}
	s.loadState(e)
	return &Message{Entry: e, f: f}, nil
}

// Body returns a new reader of the message body from its start; closing
// it does nothing (the Message holds the file).
func (m *Message) Body() io.ReadCloser {
	return io.NopCloser(io.NewSectionReader(m.f, 0, m.Size))
}

// Close closes the entry's file.
func (m *Message) Close() error { return m.f.Close() }

func (s *Spool) loadMeta(id string) (*Entry, error) {
	f, e, err := s.openEntry(id)
	if err != nil {
		return nil, err
	}
	f.Close()
	return e, nil
}

// openEntry opens id's file and reads its meta data, checking the
// trailer and the sizes; the caller closes the file.
func (s *Spool) openEntry(id string) (*os.File, *Entry, error) {
	if !validID(id) {
		return nil, nil, ErrNotFound
	}
	f, err := safeio.Open(filepath.Join(s.dir, id+msgExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, wrap("load", err)
	}
	e, err := readMeta(f)
	if err == nil && e.ID != id {
		// A recycled file still holding an earlier message: a store
		// that did not complete.
		err = errGarbled
	}
	if err != nil {
		f.Close()
		return nil, nil, wrap("load "+id, err)
	}
	return f, e, nil
}

var errGarbled = errors.New("garbled entry (an interrupted store)")

func readMeta(f *os.File) (*Entry, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	var tr [trailerLen]byte
	if size < trailerLen {
		return nil, errGarbled
	}
	if _, err := f.ReadAt(tr[:], size-trailerLen); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(tr[0:]))
	if string(tr[8:]) != trailerMagic || n > maxMeta || n > size-trailerLen {
		return nil, errGarbled
	}
	meta := make([]byte, n)
	if _, err := f.ReadAt(meta, size-trailerLen-n); err != nil {
		return nil, err
	}
	if crc32.Checksum(meta, castagnoli) != binary.BigEndian.Uint32(tr[4:]) {
		return nil, errGarbled
	}
	e := new(Entry)
	if err := json.Unmarshal(meta, e); err != nil {
		return nil, fmt.Errorf("%w: %v", errGarbled, err)
	}
	if e.Size != size-trailerLen-n {
		return nil, errGarbled
	}
	return e, nil
}

// SaveState durably replaces an entry's per-recipient state.
func (s *Spool) SaveState(id string, st State) error {
	if !validID(id) {
		return ErrNotFound
	}
	if _, err := os.Stat(filepath.Join(s.dir, id+msgExt)); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	data, err := json.Marshal(st)
	if err != nil {
		return wrap("save state", err)
	}
	s.sideFiles.Store(id, true)
	return s.writeDurable(id+stateExt, data, "save state")
}

// SaveAttempt durably stores the header block (unless hdr is nil) and the
// state with one commit: what the queue writes before its first dial.
func (s *Spool) SaveAttempt(id string, hdr []byte, st State) error {
	if !validID(id) {
		return ErrNotFound
	}
	if _, err := os.Stat(filepath.Join(s.dir, id+msgExt)); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	data, err := json.Marshal(st)
	if err != nil {
		return wrap("save state", err)
	}
	s.sideFiles.Store(id, true)
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
	f, e, err := s.openEntry(id)
	if err != nil {
		return nil, 0, err
	}
	return bodyReader{io.NewSectionReader(f, 0, e.Size), f}, e.Size, nil
}

// bodyReader reads the body part of an entry's file.
type bodyReader struct {
	*io.SectionReader
	f *os.File
}

func (b bodyReader) Close() error { return b.f.Close() }

// SetHeader durably stores the header block the filter prepends to the
// body on delivery (CRLF-terminated lines; may be empty).
func (s *Spool) SetHeader(id string, hdr []byte) error {
	if !validID(id) {
		return ErrNotFound
	}
	s.sideFiles.Store(id, true)
	return s.writeDurable(id+hdrExt, hdrFile(hdr), "set header")
}

// Header returns the header block stored by SetHeader: nil if none was set
// yet (or what was set did not survive a crash intact), a non-nil
// (possibly empty) slice otherwise.
func (s *Spool) Header(id string) ([]byte, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	if _, ok := s.sideFiles.Load(id); !ok {
		return nil, nil
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

// Remove deletes an entry: its message file (the commit marker) first,
// so a crash midway leaves only garbage that Open cleans, then the other
// files. It does not wait for the removal to be durable (the next commit
// makes it so): after a crash right after Remove the entry may be back,
// and is delivered again (at least once, never lost; Postfix does the
// same).
func (s *Spool) Remove(id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	path := filepath.Join(s.dir, id+msgExt)
	if err := s.pool.put(path, s.fs, s.commit.Next()); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return wrap("remove", err)
	}
	if _, ok := s.sideFiles.LoadAndDelete(id); ok {
		for _, ext := range []string{stateExt, hdrExt} {
			syscall.Unlink(filepath.Join(s.dir, id+ext))
		}
	}
	return nil
}

// freePool keeps the files of removed entries for Store to write over:
// a removed entry's file is renamed to .free-<tag>-<n> rather than
// unlinked, as long as it is at most poolMaxSize bytes and the pool holds
// at most poolBytes in all; other files are unlinked. Open adopts the
// .free- files it finds. A crash can leave a .free- file with a delivered
// message in it; it is never delivered again (only <id>.msg files are
// entries), and whatever is written over it is checked like any other
// store.
//
// Why: on ext4, creating a file costs far more than renaming one, and
// more still while many files were deleted recently (without a journal,
// the allocator skips recently freed inodes one by one), which is what a
// busy queue does all day.
type freePool struct {
	dir   string
	tag   string // random, so that names never meet those of earlier runs
	mu    sync.Mutex
	files []freeFile
	bytes int64
	seq   uint64
}

type freeFile struct {
	name string
	size int64
	// after is the commit that makes its retirement rename durable: it
	// is not written over before then. Otherwise a power loss could leave
	// the entry's old name (and its .state) on a file holding another
	// message's first bytes and the entry's own trailer.
	after uint64
}

// corruptPrefix marks an acknowledged entry found damaged at Open.
const corruptPrefix = ".corrupt-"

const (
	freePrefix  = ".free-"
	poolBytes   = 64 << 20
	poolMaxSize = 256 << 10
)

// put retires the entry file at path: into the pool, or unlinked.
// after is the commit that makes the rename durable.
func (p *freePool) put(path string, fsys safeio.FS, after uint64) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	p.mu.Lock()
	keep := st.Size <= poolMaxSize && p.bytes+st.Size <= poolBytes
	if keep {
		p.bytes += st.Size // reserved; given back if the rename fails
	}
	p.seq++
	name := filepath.Join(p.dir, fmt.Sprintf("%s%s-%d", freePrefix, p.tag, p.seq))
	p.mu.Unlock()
	if !keep {
		return fsys.Remove(path)
	}
	if err := fsys.Rename(path, name); err != nil {
		p.mu.Lock()
		p.bytes -= st.Size
		p.mu.Unlock()
		return err
	}
	p.mu.Lock()
	p.files = append(p.files, freeFile{name, st.Size, after})
	p.mu.Unlock()
	return nil
}

// get takes from the pool a file whose retirement is durable (commit
// durable has completed).
func (p *freePool) get(durable uint64) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Files are retired in commit order: the oldest are the likeliest.
	for i, f := range p.files {
		if f.after > durable {
			break
		}
		p.files = append(p.files[:i], p.files[i+1:]...)
		p.bytes -= f.size
		return f.name, true
	}
	return "", false
}

// adopt takes a .free- file found at Open, unless the pool is full.
func (p *freePool) adopt(name string, size int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if size > poolMaxSize || p.bytes+size > poolBytes {
		return false
	}
	p.files = append(p.files, freeFile{name, size, 0}) // Open syncs the directory
	p.bytes += size
	return true
}
