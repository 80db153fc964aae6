package decode

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// partHeaderGuard sits between a multipart body and go-message's
// textproto.MultipartReader, which reads part headers without any size
// limit (a 30 MB header line in a part costs seconds and hundreds of MB).
// The guard passes body bytes through untouched and in bulk, but cuts
// every part header to maxLine bytes per line and maxHeader bytes in all,
// dropping the excess. It finds part headers the way the multipart reader
// does: a line "--boundary" (not "--boundary--") starts one, an empty line
// ends it.
type partHeaderGuard struct {
	br        *bufio.Reader
	dash      []byte // "--boundary"
	nlDash    []byte // "\n--boundary"
	maxLine   int
	maxHeader int
	inHeader  bool
	atLine    bool   // the next body byte starts a line
	hdrBytes  int    // header bytes passed on in the current part header
	pending   []byte // header or boundary bytes waiting to be read out
	pend      []byte // storage for pending
	cut       bool   // some header bytes were dropped
	dropping  bool   // the current header field is being dropped
	fields    int    // fields passed on in the current part header
	malformed bool   // a line that is not a field was dropped or ended a header
	scratch   []byte // storage for the line being read
}

// guardBuffers recycles the guards' read buffers (one per multipart).
var guardBuffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

func newPartHeaderGuard(r io.Reader, boundary string, maxLine, maxHeader int) *partHeaderGuard {
	br := guardBuffers.Get().(*bufio.Reader)
	br.Reset(r)
	return &partHeaderGuard{
		br:        br,
		dash:      []byte("--" + boundary),
		nlDash:    []byte("\n--" + boundary),
		maxLine:   maxLine,
		maxHeader: maxHeader,
		atLine:    true,
	}
}

// release returns the read buffer to the pool; the guard must not be used
// afterwards.
func (g *partHeaderGuard) release() {
	if g.br != nil {
		g.br.Reset(nil)
		guardBuffers.Put(g.br)
		g.br = nil
	}
}

func (g *partHeaderGuard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if len(g.pending) > 0 {
			n := copy(p, g.pending)
			g.pending = g.pending[n:]
			return n, nil
		}
		if g.inHeader {
			if err := g.headerLine(); err != nil {
				return 0, err
			}
			continue
		}
		if g.atLine {
			// A boundary line at the start of the body or after a line end.
			b, err := g.br.Peek(len(g.dash))
			if bytes.Equal(b, g.dash) {
				if err := g.boundaryLine(); err != nil {
					return 0, err
				}
				continue
			}
			if err != nil && len(b) == 0 {
				return 0, err
			}
		}
		n, err := g.body(p)
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// body passes on body bytes up to (and including) the line end before the
// next possible boundary line. It scans only what fits in p.
func (g *partHeaderGuard) body(p []byte) (int, error) {
	buf, err := g.br.Peek(g.br.Size())
	if len(buf) == 0 {
		if err == nil || err == bufio.ErrBufferFull {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	more := err == nil || err == bufio.ErrBufferFull // data may follow buf
	if w := len(p) + len(g.nlDash); len(buf) > w {
		buf, more = buf[:w], true
	}
	safe := len(buf)
	if i := indexAtLineStart(buf, g.dash); i >= 0 {
		safe = i // through the '\n'; the boundary check comes next
	} else if more {
		// Keep back a tail that could be the start of "\n--boundary".
		if k := bytes.LastIndexByte(buf, '\n'); k >= 0 && len(buf)-k < len(g.nlDash) {
			safe = k + 1
		}
	}
	if safe > len(p) {
		safe = len(p)
	}
	n := copy(p, buf[:safe])
	g.br.Discard(n)
	g.atLine = n > 0 && p[n-1] == '\n'
	return n, nil
}

// boundaryLine passes on a boundary line; a non-final one starts a part
// header.
func (g *partHeaderGuard) boundaryLine() error {
	line, err := readLine(g.br, g.maxLine, g.scratch)
	g.scratch = line // queue copies it
	if len(line) == 0 && err != nil {
		return err
	}
	g.queue(line)
	if len(line) < len(g.dash) {
		g.atLine = false
		return nil
	}
	rest := line[len(g.dash):]
	final := bytes.HasPrefix(rest, []byte("--"))
	rest = bytes.TrimLeft(rest, " \t")
	isBoundary := len(rest) == 0 || rest[0] == '\r' || rest[0] == '\n' || final
	g.atLine = len(line) > 0 && line[len(line)-1] == '\n'
	if isBoundary && !final {
		g.inHeader = true
		g.hdrBytes = 0
		g.fields = 0
	}
	return nil
}

// headerLine passes on one line of a part header, cut to the limits.
func (g *partHeaderGuard) headerLine() error {
	line, err := readLine(g.br, g.maxLine+1, g.scratch)
	g.scratch = line // queue copies it
	if len(line) == 0 && err != nil {
		g.inHeader = false
		return err
	}
	if isBlankLine(line) {
		g.inHeader = false
		g.atLine = true
		g.queue(line)
		return nil
	}
	cont := line[0] == ' ' || line[0] == '\t'
	if (g.dropping || g.fields == 0) && cont {
		if !g.dropping {
			g.malformed = true
		}
		return nil // continuation of a dropped field, or of none
	}
	g.dropping = false
	if !cont && !looksLikeField(line) {
		// go-message would fail on this line and lose the part. Drop it
		// when a field follows; otherwise it is the first body line of a
		// part that lacks the empty line after its header.
		g.malformed = true
		if nextLooksLikeField(g.br) {
			return nil
		}
		g.inHeader = false
		g.queue(append([]byte("\r\n"), line...))
		g.atLine = line[len(line)-1] == '\n'
		return nil
	}
	if len(line) > g.maxLine || g.hdrBytes+len(line) > g.maxHeader {
		g.cut = true
		g.dropping = true
		return nil // dropped
	}
	g.hdrBytes += len(line)
	if !cont {
		g.fields++
	}
	g.queue(line)
	if err != nil {
		g.inHeader = false
	}
	return nil
}

func (g *partHeaderGuard) queue(b []byte) {
	g.pend = append(g.pend[:0], b...)
	g.pending = g.pend
}

// indexAtLineStart returns the index of the first dash in buf that follows
// a '\n', or -1. Searching for "--boundary" rather than "\n--boundary"
// lets the search skip whole blocks of base64 (which has no '-') at once.
func indexAtLineStart(buf, dash []byte) int {
	off := 0
	for {
		j := bytes.Index(buf[off:], dash)
		if j < 0 {
			return -1
		}
		j += off
		if j > 0 && buf[j-1] == '\n' {
			return j
		}
		off = j + 1
	}
}
