package mtatest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ToCRLF returns msg as SMTP carries it: a leading mbox "From " line
// dropped, every bare LF turned into CRLF, a final CRLF added if missing.
// Bare CR (not followed by LF) is left alone.
func ToCRLF(msg []byte) []byte {
	if bytes.HasPrefix(msg, []byte("From ")) {
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
	}
	out := make([]byte, 0, len(msg)+len(msg)/30+2)
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' && (i == 0 || msg[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, msg[i])
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// NormalizeLF turns CRLF into LF and drops any other CR, the form in
// which smtp-sink dumps messages.
func NormalizeLF(msg []byte) []byte {
	return bytes.ReplaceAll(msg, []byte("\r"), nil)
}

// MaxLineLength is the longest line of msg in octets, without the line end.
func MaxLineLength(msg []byte) int {
	max := 0
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			i = len(msg)
		}
		n := i
		if n > 0 && msg[n-1] == '\r' {
			n--
		}
		if n > max {
			max = n
		}
		if i == len(msg) {
			break
		}
		msg = msg[i+1:]
	}
	return max
}

// HasBareCR reports a CR not followed by LF.
func HasBareCR(msg []byte) bool {
	for i, c := range msg {
		if c == '\r' && (i+1 == len(msg) || msg[i+1] != '\n') {
			return true
		}
	}
	return false
}

// isAddedField reports whether a relay may put this header field on top
// of a message: tradesift's own (Received, X-Buyer-*, X-Grade, X-Reply-Plan,
// Authentication-Results) and a Maildir delivery's (Return-Path,
// Delivered-To, X-Original-To).
func isAddedField(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "received", "x-grade", "x-reply-plan", "authentication-results",
		"return-path", "delivered-to", "x-original-to":
		return true
	}
	return strings.HasPrefix(n, "x-buyer-")
}

// SplitAdded checks that out is sent with header fields put on top and
// returns those fields (raw bytes). It fails when sent is not a suffix of
// out, or when the prefix is anything but whole header fields from the
// set a relay may add. Use it on CRLF bytes (Maildir) or on NormalizeLF'd
// bytes of both (smtp-sink).
func SplitAdded(out, sent []byte) ([]byte, error) {
	if !bytes.HasSuffix(out, sent) {
		return nil, fmt.Errorf("sent bytes are not the tail of the output (%s)", firstDiff(out, sent))
	}
	prefix := out[:len(out)-len(sent)]
	names, err := FieldNames(prefix)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !isAddedField(n) {
			return nil, fmt.Errorf("unexpected added field %q", n)
		}
	}
	return prefix, nil
}

// StartsWithField reports whether msg begins with a header field line
// (name, colon). Messages that do not — a leading space, a byte-order
// mark, no header at all — get a blank line between the relay's header
// block and their bytes, or the first line would fold into our last field.
func StartsWithField(msg []byte) bool {
	line := msg
	if i := bytes.IndexByte(msg, '\n'); i >= 0 {
		line = msg[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// FieldNames lists the names of the header fields in block, which must
// be whole fields (name, colon, folded value, line end) and nothing else.
func FieldNames(block []byte) ([]string, error) {
	var names []string
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			return nil, fmt.Errorf("unterminated header line %q", trunc(block))
		}
		line := block[:i+1]
		block = block[i+1:]
		if line[0] == ' ' || line[0] == '\t' {
			if names == nil {
				return nil, fmt.Errorf("continuation line first: %q", trunc(line))
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, fmt.Errorf("not a header field: %q", trunc(line))
		}
		names = append(names, string(line[:colon]))
	}
	return names, nil
}

// firstDiff describes where out's tail first departs from sent.
func firstDiff(out, sent []byte) string {
	if len(out) < len(sent) {
		return fmt.Sprintf("output %d bytes, sent %d", len(out), len(sent))
	}
	tail := out[len(out)-len(sent):]
	j := 0
	for j < len(sent) && tail[j] == sent[j] {
		j++
	}
	lo := j - 20
	if lo < 0 {
		lo = 0
	}
	hi := j + 40
	if hi > len(sent) {
		hi = len(sent)
	}
	return fmt.Sprintf("aligned at the end, first difference at sent offset %d: sent %q, got %q", j, sent[lo:hi], tail[lo:hi])
}

func trunc(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// Header returns the first value of a header field of msg (unfolded),
// "" if absent.
func Header(msg []byte, name string) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(msg)))
	h, _ := r.ReadMIMEHeader()
	return h.Get(name)
}

// MaildirMessage is one file delivered into a Maildir.
type MaildirMessage struct {
	// Rcpt is the Maildir's directory name below the root: the recipient
	// address for tradesift's maildir: downstream.
	Rcpt string
	Path string
	Data []byte
}

// ReadMaildirs reads every message in root/*/new and root/*/cur.
func ReadMaildirs(root string) ([]MaildirMessage, error) {
	boxes, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []MaildirMessage
	for _, box := range boxes {
		if !box.IsDir() {
			continue
		}
		for _, sub := range []string{"new", "cur"} {
			dir := filepath.Join(root, box.Name(), sub)
			files, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, f := range files {
				p := filepath.Join(dir, f.Name())
				b, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				out = append(out, MaildirMessage{Rcpt: box.Name(), Path: p, Data: b})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// CountMaildirs counts the files in root/*/new and root/*/cur without
// reading them.
func CountMaildirs(root string) int {
	n := 0
	boxes, _ := os.ReadDir(root)
	for _, box := range boxes {
		for _, sub := range []string{"new", "cur"} {
			files, _ := os.ReadDir(filepath.Join(root, box.Name(), sub))
			n += len(files)
		}
	}
	return n
}
