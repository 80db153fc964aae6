// Package tag writes the headers tradesift adds to a relayed message:
// X-Buyer-Type, X-Grade, X-Reply-Plan, X-Buyer-Rep and X-Buyer-Signals, the
// header tokens of shared/profile.md. Values are ASCII and folded, so a
// mail client can sort on them and nothing a sender wrote can reach them.
package tag

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/judge"
)

// maxLine is the folding width (RFC 5322 §2.1.1 recommends 78).
const maxLine = 78

// Block returns the header block for v, CRLF-terminated lines. extra are
// further signal tokens (authentication results, decode problems, pipeline
// errors) appended to X-Buyer-Signals. Non-inquiries get X-Buyer-Type: none
// only (plus X-Buyer-Signals when extra says something went wrong).
func Block(v judge.Verdict, extra []string) []byte {
	var b strings.Builder
	bt := token(v.BuyerType)
	if bt == "" {
		bt = judge.None
	}
	b.WriteString("X-Buyer-Type: " + bt + "\r\n")
	if bt != judge.None {
		if g := token(v.Grade); g != "" {
			b.WriteString("X-Grade: " + g + "\r\n")
		}
		if p := token(v.ReplyPlan); p != "" {
			b.WriteString("X-Reply-Plan: " + p + "\r\n")
		}
		if r := token(v.Rep); r != "" {
			b.WriteString("X-Buyer-Rep: " + r + "\r\n")
		}
	}
	sigs := Signals(v, extra)
	if bt == judge.None {
		sigs = extra
	}
	if len(sigs) > 0 {
		b.WriteString(fold("X-Buyer-Signals", sigs))
	}
	return []byte(b.String())
}

// Signals returns the X-Buyer-Signals tokens: the probe kind first, then
// each verdict signal as name(+weight), then extra, each name once (an
// extra name the verdict already lists with its weight is not repeated).
func Signals(v judge.Verdict, extra []string) []string {
	var out []string
	seen := map[string]bool{} // names, with or without a weight
	add := func(name, item string) {
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, item)
		}
	}
	if v.ProbeKind != "" {
		add(token(v.ProbeKind), token(v.ProbeKind))
	}
	for _, s := range v.Signals {
		name := token(s.Name)
		if s.Weight != 0 {
			add(name, name+"("+signedWeight(s.Weight)+")")
		} else {
			add(name, name)
		}
	}
	for _, e := range extra {
		add(token(e), token(e))
	}
	return out
}

// signedWeight is fmt.Sprintf("%+.1f", w), without fmt.
func signedWeight(w float64) string {
	s := strconv.FormatFloat(w, 'f', 1, 64)
	if s[0] != '-' && s[0] != '+' {
		s = "+" + s
	}
	return s
}

// token keeps a value to printable ASCII without separators, so it cannot
// break the header it goes into.
func token(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("-_.:=+/()", r):
			b.WriteRune(r)
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// fold writes "Name: a, b, c\r\n" folded before maxLine.
func fold(name string, items []string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	lineLen := len(name) + 1
	for i, it := range items {
		sep := " "
		if i < len(items)-1 {
			it += ","
		}
		if lineLen+len(sep)+len(it) > maxLine && lineLen > len(name)+1 {
			b.WriteString("\r\n")
			sep = "\t"
			lineLen = 0
		}
		b.WriteString(sep + it)
		lineLen += len(sep) + len(it)
	}
	b.WriteString("\r\n")
	return b.String()
}

// Subject returns the message's Subject field with "[GRADE] " put in front
// of its value, for [classify] subject_tag: the delivery queue sends it in
// place of the original. The original bytes (encoded words, folding) are
// kept; a message without a Subject gets one.
func Subject(h textproto.Header, grade string) []byte {
	prefix := "[" + token(grade) + "]"
	raw, err := h.Raw("Subject")
	if err != nil || len(raw) == 0 {
		return []byte("Subject: " + prefix + "\r\n")
	}
	colon := bytes.IndexByte(raw, ':')
	value := bytes.TrimLeft(raw[colon+1:], " \t")
	if bytes.HasPrefix(value, []byte(prefix)) {
		prefix = "" // already tagged by an earlier pass
	} else {
		prefix += " "
	}
	out := append([]byte("Subject: "+prefix), value...)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, "\r\n"...)
	}
	return out
}
