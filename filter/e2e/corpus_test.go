package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// corpusMessages returns n messages cycled from ../shared/corpus/*.eml,
// in CRLF form, each with a unique Message-ID <tag-i@e2e.test>. When
// minSize > 0, a message shorter than that gets quoted earlier mail
// appended to its body (as a reply thread would carry) until it reaches
// minSize: the corpus averages 3 KB, real inbound mail with a thread is
// nearer 10 KB.
func corpusMessages(t testing.TB, tag string, n, minSize int) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(mtatest.SharedDir(t), "corpus", "*.eml"))
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Skip("no ../shared/corpus/*.eml")
	}
	var src [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, mtatest.ToCRLF(b))
	}
	out := make([][]byte, n)
	for i := range out {
		m := withMessageID(src[i%len(src)], MessageIDFor(tag, i))
		if minSize > 0 {
			m = padQuoted(m, src, i, minSize)
		}
		out[i] = m
	}
	return out
}

// MessageIDFor is the Message-ID of message i of a run.
func MessageIDFor(tag string, i int) string { return fmt.Sprintf("<%s-%d@e2e.test>", tag, i) }

var msgIDRE = regexp.MustCompile(`(?im)^Message-ID:[^\r\n]*\r\n([ \t][^\r\n]*\r\n)*`)

// withMessageID replaces the Message-ID field of the header (or adds one
// on top) with id.
func withMessageID(msg []byte, id string) []byte {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	}
	field := []byte("Message-ID: " + id + "\r\n")
	if loc := msgIDRE.FindIndex(msg[:end+2]); loc != nil {
		return append(append(append([]byte{}, msg[:loc[0]]...), field...), msg[loc[1]:]...)
	}
	return append(field, msg...)
}

// padQuoted grows msg to about minSize bytes with a reply thread: quoted
// lines of other corpus messages, put where a mail client puts them, at
// the end of the first text part, in that part's transfer encoding (and,
// for HTML, as a blockquote). A message whose structure it cannot follow
// gets the lines appended to its end.
func padQuoted(msg []byte, src [][]byte, i, minSize int) []byte {
	if len(msg) >= minSize {
		return append([]byte{}, msg...)
	}
	var thread strings.Builder
	for k := 1; thread.Len() < minSize-len(msg) && k <= len(src); k++ {
		other := src[(i+k)%len(src)]
		thread.WriteString("\r\nOn an earlier day, someone wrote:\r\n")
		for _, line := range bytes.Split(bytes.TrimSuffix(other, []byte("\r\n")), []byte("\r\n")) {
			if !printableASCII(line) {
				continue // the part's charset is not ours to change
			}
			thread.WriteString("> ")
			thread.Write(line)
			thread.WriteString("\r\n")
			if thread.Len() >= minSize-len(msg) {
				break
			}
		}
	}
	if out, ok := padEntity(msg, thread.String()); ok {
		return out
	}
	return append(append([]byte{}, msg...), thread.String()...)
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c > 0x7e {
			return false
		}
	}
	return true
}

// padEntity adds thread to the first text part of the entity raw (a
// message or a body part); false if it found none it could edit.
func padEntity(raw []byte, thread string) ([]byte, bool) {
	sep := bytes.Index(raw, []byte("\r\n\r\n"))
	if sep < 0 {
		return nil, false
	}
	head, body := raw[:sep+4], raw[sep+4:]
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(head))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, false
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if h.Get("Content-Type") == "" {
		mt, err = "text/plain", nil
	}
	if err != nil {
		return nil, false
	}
	var newBody []byte
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		delim := []byte("\r\n--" + params["boundary"])
		if params["boundary"] == "" {
			return nil, false
		}
		// The first delimiter may open the body, with no CRLF before it.
		parts := bytes.Split(append([]byte("\r\n"), body...), delim)
		// parts[0] is the preamble; each later one starts after a
		// delimiter line (its own CRLF, or "--" for the last).
		for k := 1; k < len(parts); k++ {
			if bytes.HasPrefix(parts[k], []byte("--")) {
				break
			}
			p, ok := bytes.CutPrefix(parts[k], []byte("\r\n"))
			if !ok {
				continue
			}
			if padded, ok := padEntity(p, thread); ok {
				parts[k] = append([]byte("\r\n"), padded...)
				newBody = bytes.Join(parts, delim)[2:]
				break
			}
		}
	case mt == "text/plain" || mt == "text/html":
		add := thread
		if mt == "text/html" {
			add = "<blockquote><pre>" + html.EscapeString(thread) + "</pre></blockquote>\r\n"
		}
		switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
		case "", "7bit", "8bit", "binary":
			newBody = append(append(bytes.TrimRight(bytes.Clone(body), "\r\n"), "\r\n"...), add...)
		case "quoted-printable":
			var qp bytes.Buffer
			w := quotedprintable.NewWriter(&qp)
			w.Write([]byte(add))
			w.Close()
			newBody = append(append(bytes.TrimRight(bytes.Clone(body), "\r\n"), "\r\n"...), qp.Bytes()...)
		case "base64":
			dec, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(body), nil)))
			if err != nil {
				return nil, false
			}
			enc := base64.StdEncoding.EncodeToString(append(dec, add...))
			var b bytes.Buffer
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\r\n")
			newBody = b.Bytes()
		}
	}
	if newBody == nil {
		return nil, false
	}
	return append(append([]byte{}, head...), newBody...), true
}

// messageIDs counts Message-ID values over delivered messages.
func messageIDs(datas [][]byte) map[string]int {
	ids := map[string]int{}
	for _, d := range datas {
		ids[mtatest.Header(d, "Message-ID")]++
	}
	return ids
}

// The benchmark's padded messages are well-formed mail whose thread the
// classifier reads as a quoted thread: every corpus message decodes
// without new problems, and the thread lands in its text or quote.
func TestPaddedCorpus(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(mtatest.SharedDir(t), "corpus", "*.eml"))
	if len(paths) == 0 {
		t.Skip("no ../shared/corpus/*.eml")
	}
	msgs := corpusMessages(t, "pad", len(paths), 10_000)
	plain := corpusMessages(t, "pad", len(paths), 0)
	inText := 0
	for i, m := range msgs {
		if len(m) < 10_000 && len(plain[i]) < 10_000 {
			t.Errorf("message %d: %d bytes", i, len(m))
		}
		pm, err := decode.Parse(bytes.NewReader(plain[i]), decode.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		dm, err := decode.Parse(bytes.NewReader(m), decode.Limits{})
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if fmt.Sprint(dm.Problems) != fmt.Sprint(pm.Problems) {
			t.Errorf("message %d (%s): problems %v, unpadded %v", i, filepath.Base(paths[i]), dm.Problems, pm.Problems)
		}
		if strings.Contains(dm.Text+dm.Quoted+dm.Signature, "someone wrote") {
			inText++
		}
	}
	t.Logf("%d of %d padded messages carry the thread in their text", inText, len(msgs))
	if inText < len(msgs)*9/10 {
		t.Errorf("only %d of %d padded messages carry the thread in their text", inText, len(msgs))
	}
}
