package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/html/charset"
)

// Limits bound the work Parse does on one message. Zero fields take the
// defaults.
type Limits struct {
	// MaxTextBytes bounds the decoded text kept (Text, Signature and
	// Quoted together). Default 256 KiB.
	MaxTextBytes int
	// MaxParts bounds the number of MIME entities visited. Default 200.
	MaxParts int
	// MaxDepth bounds the nesting of multiparts and embedded messages.
	// Default 20.
	MaxDepth int
	// MaxHeaderBytes bounds the size of one header block. Default 1 MiB.
	MaxHeaderBytes int
	// MaxHeaderFields bounds the number of fields in one header block.
	// Default 2,000.
	MaxHeaderFields int
	// MaxReadBytes bounds the bytes read from the input; the rest of the
	// message is left unread (attachments beyond it are not counted).
	// Default 64 MiB.
	MaxReadBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 256 << 10
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 200
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 20
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 1 << 20
	}
	if l.MaxHeaderFields <= 0 {
		l.MaxHeaderFields = 2000
	}
	if l.MaxReadBytes <= 0 {
		l.MaxReadBytes = 64 << 20
	}
	return l
}

// Parse reads one RFC 5322 message from r and decodes it.
//
// It returns an error only when r holds no header at all (ErrNoHeader);
// every other defect is reported in Message.Problems (see the Problem
// constants). Parse never panics: a bug is recovered and reported as
// ProblemInternal with what was decoded so far.
//
// What goes where: text/plain and text/html parts that are not attachments
// make the body (in multipart/alternative the plain text is preferred,
// unless it is a stub beside a real HTML text); the body is then split into
// Text, Signature and Quoted. Attachments (Content-Disposition attachment,
// a file name, or a non-text type) are listed with their encoded size and
// never decoded. An embedded message/rfc822 is listed in Parts (followed by
// its own leaf parts, whose attachments are listed too) and its text is
// rendered into Quoted as a forwarded message. In a multipart/report only
// the first, human-readable part is read as text; the delivery or
// disposition status and the returned message are listed as attachments.
//
// Reading: Parse reads r to the end of the MIME structure (the closing
// boundary of the top multipart, or the end of a single-part body) but
// never beyond Limits.MaxReadBytes. It does not stop after the text budget
// is spent, because text parts may follow a large attachment; attachment
// bytes are only scanned for the next boundary and counted, so a 25 MB
// attachment costs a few milliseconds. Part headers are cut to 16 KiB per
// line and 64 KiB in all before go-message's multipart reader sees them.
func Parse(r io.Reader, lim Limits) (msg *Message, err error) {
	var ps *parser
	defer func() {
		// Last line of defence: a bug must not lose the message. The
		// fuzz target calls parse directly, so bugs still show there.
		if rec := recover(); rec != nil {
			if ps == nil || ps.msg == nil {
				msg, err = nil, fmt.Errorf("decode: internal error: %v", rec)
				return
			}
			ps.p.add(ProblemInternal)
			msg, err = ps.msg, nil
			msg.Problems = ps.p.list
		}
	}()
	return parse(r, lim, &ps)
}

// parse does the work of Parse; *psp is set as soon as the parser exists,
// for Parse's recovery.
func parse(r io.Reader, lim Limits, psp **parser) (msg *Message, err error) {
	lim = lim.withDefaults()
	in := &input{r: r, left: lim.MaxReadBytes}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(in)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	ps := &parser{lim: lim, in: in, budget: lim.MaxTextBytes}
	msg = &Message{}
	ps.msg = msg
	*psp = ps

	h, rest, err := readHeaderBlock(br, lim.MaxHeaderBytes, lim.MaxHeaderFields, &ps.p)
	if err != nil {
		return nil, err
	}
	msg.Header = h
	var body io.Reader = br
	if len(rest) > 0 {
		body = io.MultiReader(bytes.NewReader(rest), br)
	}

	c := &collector{}
	ps.entity(h, body, 0, c, true)
	if in.hit {
		ps.p.add(ProblemTruncated)
	}
	if in.err != nil {
		ps.p.add(ProblemReadError)
	}

	fallback := ""
	for _, cs := range msg.Charsets {
		if cs != "us-ascii" && cs != "utf-8" {
			fallback = cs
			break
		}
	}
	ps.decodeHeaders(h, fallback)
	msg.MediaType, _, _ = contentType(h)

	text := strings.Join(c.texts, "\n\n")
	msg.Text, msg.Signature, msg.Quoted = splitText(text)
	if len(c.quoted) > 0 {
		q := strings.Join(c.quoted, "\n\n")
		if msg.Quoted != "" {
			msg.Quoted += "\n\n" + q
		} else {
			msg.Quoted = q
		}
	}
	if blank(msg.Text, msg.Signature, msg.Quoted) {
		if len(msg.Attachments) > 0 {
			ps.p.add(ProblemAttachmentOnly)
		} else {
			ps.p.add(ProblemEmptyBody)
		}
	}
	msg.Problems = ps.p.list
	return msg, nil
}

// blank reports whether strings.TrimSpace(a+b+c) == "" without building
// a+b+c: parts of valid UTF-8 cannot join into other runes, so then it
// is each part's own test.
func blank(a, b, c string) bool {
	if utf8.ValidString(a) && utf8.ValidString(b) && utf8.ValidString(c) {
		return strings.TrimSpace(a) == "" && strings.TrimSpace(b) == "" && strings.TrimSpace(c) == ""
	}
	return strings.TrimSpace(a+b+c) == ""
}

// readerPool recycles the 64 KiB read buffers: allocating and clearing
// one per message was the largest cost of parsing a small mail. A large
// buffer keeps skipping over big attachments cheap.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// input counts and bounds what is read from the caller's reader.
type input struct {
	r    io.Reader
	left int64
	hit  bool  // the read limit was reached
	err  error // a read error other than EOF
}

func (in *input) Read(b []byte) (int, error) {
	if in.left <= 0 {
		in.hit = true
		return 0, io.EOF
	}
	if int64(len(b)) > in.left {
		b = b[:in.left]
	}
	n, err := in.r.Read(b)
	in.left -= int64(n)
	if err != nil && err != io.EOF {
		in.err = err
	}
	return n, err
}

// collector gathers the text of one entity tree in reading order.
type collector struct {
	texts   []string // new text (with replies quoted inside it)
	quoted  []string // embedded (forwarded) messages, rendered
	html    bool     // some text came from HTML
	plain   bool     // some text came from text/plain
	textLen int
}

func (c *collector) add(s string, fromHTML bool) {
	if s == "" {
		return
	}
	c.texts = append(c.texts, s)
	c.textLen += len(s)
	if fromHTML {
		c.html = true
	} else {
		c.plain = true
	}
}

func (c *collector) merge(o *collector) {
	c.texts = append(c.texts, o.texts...)
	c.quoted = append(c.quoted, o.quoted...)
	c.textLen += o.textLen
	c.html = c.html || o.html
	c.plain = c.plain || o.plain
}

func (c *collector) size() int {
	n := c.textLen
	for _, q := range c.quoted {
		n += len(q)
	}
	return n
}

type parser struct {
	lim    Limits
	in     *input
	msg    *Message
	p      problems
	budget int // decoded text bytes still allowed
	parts  int
	stop   bool // MaxParts reached: read nothing more
}

// entity decodes one MIME entity (header h, raw body) into c.
func (ps *parser) entity(h textproto.Header, body io.Reader, depth int, c *collector, top bool) {
	if ps.stop {
		return
	}
	ps.parts++
	if ps.parts > ps.lim.MaxParts {
		ps.p.add(ProblemTooManyParts)
		ps.stop = true
		return
	}
	mt, params, ok := contentType(h)
	if !ok {
		ps.p.add(ProblemMalformedMIME)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if depth >= ps.lim.MaxDepth {
			ps.p.add(ProblemTooDeep)
			ps.opaque(h, mt, params, body)
			return
		}
		boundary := params["boundary"]
		if boundary == "" {
			ps.p.add(ProblemMalformedMIME)
			ps.leaf(h, "text/plain", params, body, c, top)
			return
		}
		ps.multipart(mt, boundary, body, depth, c)
	case mt == "message/rfc822" || mt == "message/global":
		if depth >= ps.lim.MaxDepth {
			ps.p.add(ProblemTooDeep)
			ps.opaque(h, mt, params, body)
			return
		}
		ps.embedded(h, mt, params, body, depth, c)
	default:
		ps.leaf(h, mt, params, body, c, top)
	}
}

// multipart walks the parts of a multipart body.
func (ps *parser) multipart(mt, boundary string, body io.Reader, depth int, c *collector) {
	rec := &recorder{r: body, max: ps.budget + 1024, buf: getRaw()}
	defer putRaw(rec.buf) // addText keeps nothing of what it records
	guard := newPartHeaderGuard(rec, boundary, partHeaderLine, min(ps.lim.MaxHeaderBytes, partHeaderMax))
	mr := textproto.NewMultipartReader(guard, boundary)
	defer func() {
		if guard.cut {
			ps.p.add(ProblemHeaderTooBig)
		}
		if guard.malformed {
			ps.p.add(ProblemMalformedHeader)
		}
		guard.release()
	}()
	alternative := mt == "multipart/alternative"
	report := mt == "multipart/report"
	var alts []*collector
	found, retries := 0, 0
	for !ps.stop {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ps.in.hit || ps.in.err != nil {
				break
			}
			if found == 0 {
				// The boundary never appeared: read the body as text.
				ps.p.add(ProblemMalformedMIME)
				if !rec.stopped {
					rec.stop()
					ps.addText(c, rec.buf.Bytes(), "", "", false, "")
				}
				break
			}
			// Junk between parts, or an unterminated multipart: each
			// failed NextPart consumes one line, so retrying skips junk.
			ps.p.add(ProblemMalformedMIME)
			retries++
			if retries > 200 || isEOFError(err) {
				break
			}
			continue
		}
		if found == 0 {
			rec.stop()
		}
		found++
		switch {
		case alternative:
			sub := &collector{}
			ps.entity(part.Header, part, depth+1, sub, false)
			alts = append(alts, sub)
		case report && found > 1:
			// The machine-readable parts of a DSN/MDN and the returned
			// message are listed, not read as text.
			ps.parts++
			if ps.parts > ps.lim.MaxParts {
				ps.p.add(ProblemTooManyParts)
				ps.stop = true
				break
			}
			pmt, pparams, _ := contentType(part.Header)
			ps.opaque(part.Header, pmt, pparams, part)
		default:
			ps.entity(part.Header, part, depth+1, c, false)
		}
	}
	if found == 0 && !rec.stopped && !ps.stop {
		ps.p.add(ProblemMalformedMIME)
		rec.stop()
		ps.addText(c, rec.buf.Bytes(), "", "", false, "")
	}
	if alternative {
		ps.chooseAlternative(alts, c)
	}
}

// Part headers are small (a Content-Type, a Content-Disposition with a
// file name): these bound a line and a whole part header.
const (
	partHeaderLine = 16 << 10
	partHeaderMax  = 64 << 10
)

func isEOFError(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.HasSuffix(err.Error(), "EOF")
}

// chooseAlternative keeps one alternative: text/plain unless it is a stub
// ("view this mail in HTML") next to a real HTML text, else HTML, else the
// first alternative with text. The others give back their text budget.
func (ps *parser) chooseAlternative(alts []*collector, c *collector) {
	best := -1
	for i, a := range alts {
		if a.plain && strings.TrimSpace(strings.Join(a.texts, "")) != "" {
			best = i
			break
		}
	}
	for i, a := range alts {
		if a.html && a.textLen > 0 {
			if best < 0 || (alts[best].textLen < 80 && a.textLen > 8*alts[best].textLen+200) {
				best = i
			}
			break
		}
	}
	if best < 0 {
		for i, a := range alts {
			if a.size() > 0 {
				best = i
				break
			}
		}
	}
	for i, a := range alts {
		if i == best {
			c.merge(a)
		} else {
			ps.budget += a.size()
		}
	}
}

// recorder keeps the first max bytes read through it until stopped, so a
// multipart whose boundary never shows can still be read as text.
type recorder struct {
	r       io.Reader
	buf     *bytes.Buffer
	max     int
	stopped bool
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if !r.stopped && n > 0 {
		room := r.max - r.buf.Len()
		if room > n {
			room = n
		}
		if room > 0 {
			r.buf.Write(b[:room])
		}
	}
	return n, err
}

func (r *recorder) stop() { r.stopped = true }

// embedded decodes a message/rfc822 part: it is listed as a part and its
// text is rendered into c.quoted as a forwarded message.
func (ps *parser) embedded(h textproto.Header, mt string, params map[string]string, body io.Reader, depth int, c *collector) {
	ps.msg.Parts = append(ps.msg.Parts, mt)
	disp, dparams := contentDisposition(h)
	name := attachmentName(params, dparams, ps.fallbackCharset())
	cr := &countReader{r: body}
	var r io.Reader = cr
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	if cte == "base64" || cte == "quoted-printable" {
		raw, _ := io.ReadAll(io.LimitReader(cr, int64(ps.budget)*4+4096))
		dec, _, _ := decodeTransfer(raw, cte)
		r = bytes.NewReader(dec)
	}
	br := bufio.NewReader(r)
	eh, rest, err := readHeaderBlock(br, ps.lim.MaxHeaderBytes, ps.lim.MaxHeaderFields, &ps.p)
	sub := &collector{}
	if err != nil {
		ps.addText(sub, rest, "", "", false, "")
	} else {
		var eb io.Reader = br
		if len(rest) > 0 {
			eb = io.MultiReader(bytes.NewReader(rest), br)
		}
		ps.entity(eh, eb, depth+1, sub, false)
	}
	_, _ = io.Copy(io.Discard, cr)
	if disp == "attachment" || name != "" {
		ps.msg.Attachments = append(ps.msg.Attachments, Attachment{Filename: name, ContentType: mt, Size: cr.n})
	}
	var sb strings.Builder
	sb.WriteString("---------- Forwarded message ----------\n")
	if err == nil {
		fb := ps.fallbackCharset()
		for _, k := range []string{"From", "Date", "Subject", "To"} {
			if v := eh.Get(k); v != "" {
				d, _ := decodeWords(v, fb)
				line := k + ": " + cutUTF8(cleanHeaderText(d), 300) + "\n"
				if len(line) > ps.budget {
					ps.p.add(ProblemTruncated)
					break
				}
				ps.budget -= len(line)
				sb.WriteString(line)
			}
		}
	}
	sb.WriteString("\n")
	sb.WriteString(strings.Join(sub.texts, "\n\n"))
	for _, q := range sub.quoted {
		sb.WriteString("\n\n" + q)
	}
	c.quoted = append(c.quoted, strings.TrimSpace(sb.String()))
}

// opaque lists an entity without decoding it (too deep, or a non-text
// part of a report), counting its size.
func (ps *parser) opaque(h textproto.Header, mt string, params map[string]string, body io.Reader) {
	ps.msg.Parts = append(ps.msg.Parts, mt)
	_, dparams := contentDisposition(h)
	n, _ := io.Copy(io.Discard, body)
	ps.msg.Attachments = append(ps.msg.Attachments, Attachment{
		Filename:    attachmentName(params, dparams, ps.fallbackCharset()),
		ContentType: mt,
		Size:        n,
	})
}

// leaf decodes a single-part entity: text into c, anything else listed as
// an attachment.
func (ps *parser) leaf(h textproto.Header, mt string, params map[string]string, body io.Reader, c *collector, top bool) {
	ps.msg.Parts = append(ps.msg.Parts, mt)
	disp, dparams := contentDisposition(h)
	name := attachmentName(params, dparams, ps.fallbackCharset())
	isText := mt == "text/plain" || mt == "text/html" || mt == "text/enriched" || mt == "text/richtext"
	attach := !isText || disp == "attachment" || (name != "" && !top)
	if attach {
		n, _ := io.Copy(io.Discard, body)
		ps.msg.Attachments = append(ps.msg.Attachments, Attachment{Filename: name, ContentType: mt, Size: n})
		return
	}
	cs := ""
	if v, ok := params["charset"]; ok {
		cs = normCharset(v)
		if cs != "" {
			ps.noteCharset(cs)
		}
	}
	// Read enough raw bytes for the remaining text budget (HTML markup and
	// transfer encodings take more room than the text they carry).
	rawMax := int64(ps.budget)*8 + 4096
	buf := getRaw()
	defer putRaw(buf)
	buf.ReadFrom(io.LimitReader(body, rawMax))
	raw := buf.Bytes()
	if n, _ := io.Copy(io.Discard, body); n > 0 {
		ps.p.add(ProblemTruncated)
	}
	markup := mt != "text/plain"
	if !markup && strings.TrimSpace(h.Get("Content-Type")) == "" && looksLikeHTML(raw) {
		// No Content-Type at all, but an HTML document (bulk mailers).
		markup = true
	}
	// addText keeps nothing of raw: the text it adds is a new string.
	ps.addText(c, raw, h.Get("Content-Transfer-Encoding"), cs, markup, params["format"]+";"+params["delsp"])
}

// rawPool recycles the buffers text parts are read into; a buffer grown
// past maxPooledRaw by a large part is left to the collector.
var rawPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledRaw = 1 << 20

func getRaw() *bytes.Buffer { return rawPool.Get().(*bytes.Buffer) }

// putRaw gives b back to rawPool; nothing may use b after.
func putRaw(b *bytes.Buffer) {
	if b.Cap() <= maxPooledRaw {
		b.Reset()
		rawPool.Put(b)
	}
}

// looksLikeHTML reports whether b starts (after blanks) with an HTML
// document or body tag.
func looksLikeHTML(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 16 {
		b = b[:16]
	}
	low := strings.ToLower(string(b))
	return strings.HasPrefix(low, "<html") || strings.HasPrefix(low, "<!doctype html") || strings.HasPrefix(low, "<body") || strings.HasPrefix(low, "<head")
}

// addText decodes raw (transfer encoding, charset, HTML) and adds it to c
// within the text budget.
func (ps *parser) addText(c *collector, raw []byte, cte, cs string, markup bool, flowed string) {
	b, known, clean := decodeTransfer(raw, cte)
	if !known || !clean {
		ps.p.add(ProblemBadTransferEncoding)
	}
	if markup && cs == "" {
		if enc, name, certain := charset.DetermineEncoding(b, "text/html"); certain && enc != nil {
			cs = name
		}
	}
	s, knownCS := toUTF8(b, cs)
	if !knownCS {
		ps.p.add(ProblemUnknownCharset)
	}
	var t string
	if markup {
		var cut bool
		t, cut = htmlToText([]byte(s), ps.budget)
		if cut {
			ps.p.add(ProblemTruncated)
		}
		t = normText(t)
	} else {
		if strings.HasPrefix(strings.ToLower(flowed), "flowed") {
			s = strings.ReplaceAll(s, "\r\n", "\n")
			s = unflow(s, strings.HasSuffix(strings.ToLower(flowed), ";yes"))
		}
		t = normText(s)
	}
	if len(t) > ps.budget {
		t = cutUTF8(t, ps.budget)
		ps.p.add(ProblemTruncated)
	}
	ps.budget -= len(t)
	c.add(t, markup)
}

func (ps *parser) noteCharset(cs string) {
	for _, x := range ps.msg.Charsets {
		if x == cs {
			return
		}
	}
	ps.msg.Charsets = append(ps.msg.Charsets, cs)
}

func (ps *parser) fallbackCharset() string {
	for _, cs := range ps.msg.Charsets {
		if cs != "us-ascii" && cs != "utf-8" {
			return cs
		}
	}
	return ""
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// contentType parses Content-Type leniently: text/plain when absent or
// unusable; ok is false when the field was present but malformed.
func contentType(h textproto.Header) (mt string, params map[string]string, ok bool) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}, true
	}
	mt, params, err := mime.ParseMediaType(v)
	ok = err == nil
	if err != nil {
		mt, params = lenientMediaType(v)
	}
	mt = strings.ToLower(mt)
	if i := strings.IndexByte(mt, '/'); i <= 0 || i == len(mt)-1 {
		switch mt {
		case "text", "plain":
			mt = "text/plain"
		case "html":
			mt = "text/html"
		default:
			return "text/plain", params, false
		}
	}
	return mt, params, ok
}

// lenientMediaType splits "type; k=v; k2="v 2"" without validation, the
// way mail clients read broken fields. Later duplicates are ignored.
func lenientMediaType(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	// The type ends at ';' or at a blank ("text/plain charset=x").
	end := strings.IndexAny(v, "; \t")
	if end < 0 {
		end = len(v)
	}
	typ := v[:end]
	var parts []string
	for _, p := range strings.Split(v[end:], ";") {
		// Parameters separated by blanks instead of ';'.
		if f := strings.Fields(p); len(f) > 1 && !strings.Contains(p, `"`) {
			parts = append(parts, f...)
		} else {
			parts = append(parts, p)
		}
	}
	params := map[string]string{}
	for _, p := range parts {
		k, val, found := strings.Cut(p, "=")
		if !found {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		k = strings.TrimSuffix(k, "*")
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, `"`) {
			val = strings.TrimPrefix(val, `"`)
			if i := strings.IndexByte(val, '"'); i >= 0 {
				val = val[:i]
			}
		}
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	return typ, params
}

func contentDisposition(h textproto.Header) (string, map[string]string) {
	v := h.Get("Content-Disposition")
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	d, params, err := mime.ParseMediaType(v)
	if err != nil {
		d, params = lenientMediaType(v)
	}
	return strings.ToLower(d), params
}

// attachmentName returns the decoded filename of a part, from
// Content-Disposition's filename or Content-Type's name.
func attachmentName(ctParams, dParams map[string]string, fallback string) string {
	name := dParams["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if name == "" {
		return ""
	}
	d, _ := decodeWords(name, fallback)
	return cleanHeaderText(d)
}

// decodeHeaders fills the decoded header fields of the message.
func (ps *parser) decodeHeaders(h textproto.Header, fallback string) {
	m := ps.msg
	subj, bad := decodeWords(h.Get("Subject"), fallback)
	if bad {
		ps.p.add(ProblemBadHeaderEncoding)
	}
	m.Subject = cleanHeaderText(subj)
	if from := parseAddressList(h.Get("From"), fallback, &ps.p); len(from) > 0 {
		m.From = from[0]
	} else if s := h.Get("Sender"); s != "" {
		if l := parseAddressList(s, fallback, &ps.p); len(l) > 0 {
			m.From = l[0]
		}
	} else if v := h.Get("From"); v != "" {
		// No address at all ("From: me"): keep the words as the name.
		d, _ := decodeWords(v, fallback)
		m.From.Name = cleanHeaderText(strings.Trim(d, `"<>' `))
	}
	m.ReplyTo = parseAddressList(h.Get("Reply-To"), fallback, &ps.p)
	m.To = parseAddressList(strings.Join(h.Values("To"), ", "), fallback, &ps.p)
	m.Cc = parseAddressList(strings.Join(h.Values("Cc"), ", "), fallback, &ps.p)
	if rp := h.Get("Return-Path"); rp != "" {
		if ids := parseMsgIDs(rp); len(ids) > 0 {
			m.ReturnPath = normAddr(ids[0])
		} else if strings.Contains(rp, "<>") {
			m.ReturnPath = ""
		} else {
			m.ReturnPath = normAddr(strings.Trim(strings.TrimSpace(rp), "<>"))
		}
	}
	m.Date, m.HasDate = parseDate(h.Get("Date"))
	if ids := parseMsgIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	} else {
		m.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	}
	m.InReplyTo = parseMsgIDs(h.Get("In-Reply-To"))
	m.References = parseMsgIDs(strings.Join(h.Values("References"), " "))
}
