package decode

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// ErrNoHeader is returned by Parse when the input holds no header field at
// all (empty input, or text that does not start like a message).
var ErrNoHeader = errors.New("decode: no message header")

// readHeaderBlock reads the raw header block from br up to and including
// the empty line that ends it, and parses it with go-message's textproto
// reader. It is lenient where the textproto reader is strict: an mbox
// "From " line and continuation lines before the first field are dropped,
// lines that are not fields are dropped when more fields follow and
// otherwise taken as the start of a body that lacks its empty line (they
// are returned in rest), and the block is cut at maxBytes or maxFields.
func readHeaderBlock(br *bufio.Reader, maxBytes, maxFields int, p *problems) (h textproto.Header, rest []byte, err error) {
	block := getRaw() // ReadHeader copies what it keeps
	defer putRaw(block)
	fields := 0
	first := true
	dropping := false // the current field is being dropped
	var scratch []byte
	for {
		line, lerr := readLine(br, maxBytes+1, scratch) // copied below if kept
		scratch = line
		if len(line) == 0 && lerr != nil {
			if lerr != io.EOF {
				p.add(ProblemReadError)
			}
			break
		}
		if first {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		if isBlankLine(line) {
			if first {
				// An empty header: the body follows at once.
				p.add(ProblemMalformedHeader)
				return textproto.Header{}, nil, nil
			}
			break
		}
		if first {
			first = false
			if bytes.HasPrefix(line, []byte("From ")) {
				continue // mbox separator
			}
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if fields == 0 {
				dropping = true
			}
		case looksLikeField(line):
			dropping = false
			if fields >= maxFields {
				p.add(ProblemHeaderTooBig)
				dropping = true
			} else {
				fields++
			}
		case fields > 0 && nextLooksLikeField(br):
			p.add(ProblemMalformedHeader)
			dropping = true
		default:
			// Not a message at all (no field yet), or a body that lacks
			// the empty line before it.
			if fields > 0 {
				p.add(ProblemMalformedHeader)
			}
			rest = append(rest, line...)
			if fields == 0 {
				return textproto.Header{}, rest, ErrNoHeader
			}
			return finishHeader(block, p), rest, nil
		}
		if !dropping && (len(line) > maxBytes || block.Len()+len(line)+2 > maxBytes) {
			p.add(ProblemHeaderTooBig)
			dropping = true
		}
		if !dropping {
			block.Write(line)
			if line[len(line)-1] != '\n' {
				block.WriteString("\r\n")
			}
		}
		if lerr != nil {
			if lerr != io.EOF {
				p.add(ProblemReadError)
			}
			break
		}
	}
	if fields == 0 {
		return textproto.Header{}, rest, ErrNoHeader
	}
	return finishHeader(block, p), rest, nil
}

func finishHeader(block *bytes.Buffer, p *problems) textproto.Header {
	block.WriteString("\r\n")
	br := headerReaderPool.Get().(*bufio.Reader)
	br.Reset(block)
	h, err := textproto.ReadHeader(br) // copies what it keeps
	br.Reset(nil)
	headerReaderPool.Put(br)
	if err != nil {
		// Should not happen after the checks above; keep what was read.
		p.add(ProblemMalformedHeader)
	}
	return h
}

// headerReaderPool recycles the readers finishHeader parses header blocks
// with: one per MIME part otherwise.
var headerReaderPool = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// readLine reads one line including its end. Lines longer than max are
// consumed to their end but only max bytes are returned (so a caller can
// tell the line was over-long from its length). The line is appended to
// buf[:0]: callers pass the previous line's storage back when they kept
// nothing of it.
func readLine(br *bufio.Reader, max int, buf []byte) ([]byte, error) {
	line := buf[:0]
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) <= max {
			line = append(line, frag...)
		} else if len(line) < max {
			line = append(line, frag[:max-len(line)]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

func isBlankLine(line []byte) bool {
	return len(line) == 0 || line[0] == '\n' || (line[0] == '\r' && (len(line) == 1 || line[1] == '\n'))
}

// looksLikeField reports whether line starts with a field name and a colon
// (blanks before the colon are tolerated, as go-message does).
func looksLikeField(line []byte) bool {
	i := 0
	for i < len(line) && line[i] >= 33 && line[i] <= 126 && line[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] == ':'
}

func nextLooksLikeField(br *bufio.Reader) bool {
	b, _ := br.Peek(256)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	}
	return len(b) > 0 && looksLikeField(b)
}

// decodeWords decodes RFC 2047 encoded words in a header value. Adjacent
// encoded words in the same charset are joined before conversion, since
// mailers split multi-byte characters across words; blanks between encoded
// words are dropped (RFC 2047 §6.2). Encoded words inside quoted strings
// and glued to other text are decoded too. Raw 8-bit bytes outside encoded
// words are read in fallback (the message's first text charset) or, when
// invalid there, as UTF-8/windows-1252. bad is true when a word was
// malformed or named an unknown charset.
func decodeWords(s, fallback string) (out string, bad bool) {
	if !strings.Contains(s, "=?") {
		return rawHeaderText(s, fallback), false
	}
	var sb strings.Builder
	var pend []byte // decoded bytes of adjacent words not yet converted
	pendCS := ""
	flush := func() {
		if len(pend) > 0 {
			t, known := toUTF8(pend, pendCS)
			if !known {
				bad = true
			}
			sb.WriteString(t)
			pend = pend[:0]
		}
	}
	lastWasWord := false
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			flush()
			sb.WriteString(rawHeaderText(s, fallback))
			break
		}
		cs, enc, text, n, ok := parseEncodedWord(s[i:])
		if !ok {
			flush()
			sb.WriteString(rawHeaderText(s[:i+2], fallback))
			s = s[i+2:]
			lastWasWord = false
			continue
		}
		between := s[:i]
		if !(lastWasWord && strings.Trim(between, " \t\r\n") == "") {
			flush()
			sb.WriteString(rawHeaderText(between, fallback))
		}
		var raw []byte
		if enc == 'b' {
			raw, _ = decodeBase64([]byte(text))
		} else {
			raw = decodeQWord(text)
		}
		// RFC 2231 language suffix: charset*lang.
		if k := strings.IndexByte(cs, '*'); k >= 0 {
			cs = cs[:k]
		}
		cs = normCharset(cs)
		if cs != pendCS {
			flush()
			pendCS = cs
		}
		pend = append(pend, raw...)
		s = s[i+n:]
		lastWasWord = true
	}
	flush()
	return sb.String(), bad
}

// parseEncodedWord parses "=?charset?B|Q?text?=" at the start of s and
// returns its length n.
func parseEncodedWord(s string) (cs string, enc byte, text string, n int, ok bool) {
	if !strings.HasPrefix(s, "=?") {
		return
	}
	rest := s[2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1 > 64 || q1+2 >= len(rest) || rest[q1+2] != '?' {
		return
	}
	cs = rest[:q1]
	switch rest[q1+1] {
	case 'b', 'B':
		enc = 'b'
	case 'q', 'Q':
		enc = 'q'
	default:
		return
	}
	body := rest[q1+3:]
	end := strings.Index(body, "?=")
	if end < 0 {
		return
	}
	text = body[:end]
	if strings.ContainsAny(text, " \t\r\n") && enc == 'q' {
		return
	}
	n = 2 + q1 + 3 + end + 2
	return cs, enc, text, n, true
}

func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
			} else {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// rawHeaderText converts header text outside encoded words: UTF-8 as is
// (RFC 6532), anything else in the fallback charset.
func rawHeaderText(s, fallback string) string {
	if utf8.ValidString(s) {
		return s
	}
	if fallback != "" {
		if t, known := toUTF8([]byte(s), fallback); known && !strings.ContainsRune(t, utf8.RuneError) {
			return t
		}
	}
	return utf8OrLatin1([]byte(s))
}

// cleanHeaderText drops control characters (NUL, CR, LF, ...) and
// collapses blanks.
func cleanHeaderText(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ' ' || r == 0xa0 {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// parseAddressList parses an address header leniently. net/mail's parser
// is tried first (with our charset conversion for encoded display names);
// on failure, each comma-separated piece is scanned for an addr-spec.
func parseAddressList(v, fallback string, p *problems) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	unknown := false
	dec := &mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(io.LimitReader(in, 1<<16))
		if err != nil {
			return nil, err
		}
		t, known := toUTF8(b, cs)
		if !known {
			unknown = true
		}
		return strings.NewReader(t), nil
	}}
	ap := mail.AddressParser{WordDecoder: dec}
	var out []Address
	if list, err := ap.ParseList(v); err == nil && utf8.ValidString(v) {
		for _, a := range list {
			out = append(out, makeAddress(a.Name, a.Address, fallback))
		}
	} else {
		for _, piece := range splitAddressList(v) {
			if a, ok := lenientAddress(piece, fallback); ok {
				out = append(out, a)
			}
		}
	}
	if unknown {
		p.add(ProblemBadHeaderEncoding)
	}
	return out
}

func makeAddress(name, addr, fallback string) Address {
	if strings.Contains(name, "=?") || !utf8.ValidString(name) {
		name, _ = decodeWords(name, fallback)
	}
	name = cleanHeaderText(strings.Trim(strings.TrimSpace(name), `"'`))
	return Address{Name: name, Addr: normAddr(addr)}
}

// normAddr lower-cases the domain part of an address.
func normAddr(a string) string {
	a = strings.TrimSpace(a)
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		return a[:i] + "@" + strings.ToLower(a[i+1:])
	}
	return a
}

// splitAddressList splits on commas outside quotes and angle brackets.
func splitAddressList(v string) []string {
	var out []string
	inQ, inA := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQ = !inQ
		case '<':
			if !inQ {
				inA = true
			}
		case '>':
			inA = false
		case ',', ';':
			if !inQ && !inA {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// lenientAddress finds an addr-spec in s ("<a@b>" preferred, else a bare
// word with an '@'), and takes the rest as the display name.
func lenientAddress(s, fallback string) (Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, false
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		j := strings.IndexByte(s[i:], '>')
		addr := s[i+1:]
		if j >= 0 {
			addr = s[i+1 : i+j]
		}
		addr = strings.TrimSpace(addr)
		if strings.IndexByte(addr, '@') > 0 {
			return makeAddress(s[:i], addr, fallback), true
		}
	}
	fields := strings.Fields(s)
	for k, f := range fields {
		f = strings.Trim(f, `<>"'(),;`)
		if at := strings.IndexByte(f, '@'); at > 0 && at < len(f)-1 {
			name := strings.Join(append(append([]string{}, fields[:k]...), fields[k+1:]...), " ")
			name = strings.Trim(name, "()")
			return makeAddress(name, f, fallback), true
		}
	}
	return Address{}, false
}

// parseMsgIDs returns the message IDs in v without angle brackets. IDs
// without brackets (seen in the wild) are taken as blank-separated words.
func parseMsgIDs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			v = v[i+1:]
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	if len(out) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.IndexByte(f, '@') > 0 {
				out = append(out, strings.Trim(f, "<>,;"))
			}
		}
	}
	return out
}

// parseDate parses a Date header, keeping the zone it was written in.
// net/mail.ParseDate (RFC 5322 §3.3) is tried first, then a lenient
// token-based reading of what broken mailers write: "+-0500", unsigned
// zones, one-digit hours and minutes, AM/PM, zone names, junk after the
// zone, "2002/09/14". Unknown zone names read as UTC.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	return lenientDate(v)
}

var monthNames = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var zoneNames = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
	"mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2, "bst": 1,
	"eet": 2, "eest": 3, "jst": 9, "kst": 9, "hkt": 8, "sgt": 8, "ist": 5,
}

func lenientDate(v string) (time.Time, bool) {
	// Remove comments.
	var sb strings.Builder
	depth := 0
	for _, r := range v {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			sb.WriteRune(r)
		}
	}
	toks := strings.FieldsFunc(sb.String(), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	year, day, hour, min, sec := -1, -1, 0, 0, 0
	var month time.Month
	zone, zoneSet, pm, am, haveTime := 0, false, false, false, false
	for _, tok := range toks {
		low := strings.ToLower(tok)
		if len(low) > 4 && (strings.HasPrefix(low, "gmt") || strings.HasPrefix(low, "utc")) && (low[3] == '+' || low[3] == '-') {
			tok, low = tok[3:], low[3:] // "GMT+0800"
		}
		switch {
		case zoneSet:
			// Anything after the zone is junk.
		case strings.Contains(tok, ":") && !haveTime:
			parts := strings.Split(tok, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return time.Time{}, false
			}
			var nums [3]int
			for i, p := range parts {
				if i == 2 {
					p, _, _ = strings.Cut(p, ".")
				}
				n, ok := atoi(p)
				if !ok {
					return time.Time{}, false
				}
				nums[i] = n
			}
			hour, min, sec, haveTime = nums[0], nums[1], nums[2], true
		case low == "am" || low == "a.m.":
			am = true
		case low == "pm" || low == "p.m.":
			pm = true
		case (tok[0] == '+' || tok[0] == '-') && len(tok) > 1:
			sign := 1
			if strings.LastIndexAny(tok, "+-") >= 0 && tok[strings.LastIndexAny(tok, "+-")] == '-' {
				sign = -1
			}
			digits := strings.TrimLeft(tok, "+-")
			digits = strings.ReplaceAll(digits, ":", "")
			n, ok := atoi(digits)
			if !ok || len(digits) < 3 || len(digits) > 4 {
				continue
			}
			zone = sign * ((n/100)*3600 + (n%100)*60)
			zoneSet = true
		case strings.ContainsAny(tok, "/") || (strings.Count(tok, "-") == 2 && len(tok) >= 8):
			parts := strings.FieldsFunc(tok, func(r rune) bool { return r == '/' || r == '-' })
			if len(parts) == 3 {
				a, ok1 := atoi(parts[0])
				b, ok2 := atoi(parts[1])
				c, ok3 := atoi(parts[2])
				if m, ok := monthNames[strings.ToLower(parts[1])]; ok && ok1 && ok3 {
					day, month, year = a, m, c
				} else if ok1 && ok2 && ok3 && len(parts[0]) == 4 {
					year, month, day = a, time.Month(b), c
				}
			}
		default:
			if m, ok := monthNames[firstN(low, 3)]; ok && !isDigit(low[0]) {
				month = m
				continue
			}
			if n, ok := atoi(tok); ok {
				switch {
				case len(tok) == 4 && year < 0:
					year = n
				case len(tok) <= 2 && day < 0 && month == 0 && year < 0:
					day = n
				case len(tok) <= 2 && day < 0:
					day = n
				case len(tok) <= 2 && year < 0:
					year = n + 2000
					if n >= 70 {
						year = n + 1900
					}
				case haveTime && (len(tok) == 4 || len(tok) == 5):
					zone = (n/100)*3600 + (n%100)*60
					zoneSet = true
				}
				continue
			}
			if off, ok := zoneNames[low]; ok && haveTime {
				zone = off * 3600
				zoneSet = true
			}
		}
	}
	if pm && hour < 12 {
		hour += 12
	}
	if am && hour == 12 {
		hour = 0
	}
	if year < 0 || month == 0 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || zone < -14*3600 || zone > 14*3600 {
		return time.Time{}, false
	}
	loc := time.UTC
	if zone != 0 {
		loc = time.FixedZone("", zone)
	}
	return time.Date(year, month, day, hour, min, sec, 0, loc), true
}

func firstN(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
