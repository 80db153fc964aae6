package decode

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders HTML as plain text with a streaming tokenizer: no tree
// is built, so deep nesting costs nothing, and the output stops at max
// bytes. Scripts, styles and the head are dropped, block elements and <br>
// end lines, table cells are separated by a blank, entities are decoded,
// and <blockquote> content is prefixed with "> " so that the quote
// splitter treats it like a plain-text quote.
func htmlToText(src []byte, max int) (text string, truncated bool) {
	z := html.NewTokenizer(bytes.NewReader(src))
	// Bound a single token (a 25 MB attribute or comment), not the input.
	z.SetMaxBuf(1 << 20)
	w := textWriter{max: max}
	skip := 0 // depth inside elements whose content is dropped
	pre := 0
	for !w.full {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String(), w.full
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if pre > 0 {
				w.pre(z.Text())
			} else {
				w.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			self := tt == html.SelfClosingTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript, atom.Svg, atom.Object, atom.Iframe, atom.Select:
				if self {
					continue
				}
				if end {
					if skip > 0 {
						skip--
					}
				} else {
					skip++
				}
				// <head> is often never closed: <body> ends it below.
			case atom.Body:
				skip = 0
			case atom.Br:
				w.newline()
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Table, atom.Tr, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
				atom.Section, atom.Article, atom.Header, atom.Footer, atom.Address,
				atom.Center, atom.Form, atom.Fieldset, atom.Hr, atom.Tbody, atom.Thead,
				atom.Tfoot, atom.Caption, atom.Main, atom.Nav, atom.Aside, atom.Figure,
				atom.Html:
				w.paragraphBreak(a == atom.P || a == atom.Table || a == atom.H1 || a == atom.H2 || a == atom.H3)
			case atom.Li:
				w.endLine()
				if !end {
					w.text([]byte("- "))
				}
			case atom.Td, atom.Th:
				if !end {
					w.space()
				}
			case atom.Pre:
				w.endLine()
				if end {
					if pre > 0 {
						pre--
					}
				} else if !self {
					pre++
				}
			case atom.Blockquote:
				w.endLine()
				if end {
					if w.quote > 0 {
						w.quote--
					}
				} else if !self {
					w.quote++
				}
			case atom.Img:
				// Alt text of images often carries a logo's company name.
				if end {
					continue
				}
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(bytes.TrimSpace(v)) > 0 && skip == 0 {
						w.text(v)
						w.space()
					}
					if !more {
						break
					}
				}
			}
		}
	}
	return w.String(), true
}

// textWriter accumulates rendered text, collapsing blanks and limiting
// empty lines to one.
type textWriter struct {
	b            strings.Builder
	max          int
	full         bool
	atLine       bool // at the start of a line (nothing written on it)
	newlines     int  // consecutive newlines just written
	spacePending bool
	quote        int
}

func (w *textWriter) String() string {
	return strings.TrimSpace(w.b.String())
}

func (w *textWriter) write(s string) {
	if w.full {
		return
	}
	if w.b.Len()+len(s) > w.max {
		// Cut at a rune boundary.
		n := w.max - w.b.Len()
		if n > len(s) {
			n = len(s)
		}
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n > 0 {
			w.b.WriteString(s[:n])
		}
		w.full = true
		return
	}
	w.b.WriteString(s)
}

func (w *textWriter) lineStart() {
	if w.atLine || w.b.Len() == 0 {
		if w.quote > 0 {
			q := w.quote
			if q > 8 {
				q = 8
			}
			w.write(strings.Repeat("> ", q))
		}
		w.atLine = false
	}
}

func (w *textWriter) text(t []byte) {
	for len(t) > 0 && !w.full {
		// split on whitespace runs
		i := 0
		for i < len(t) && !isHTMLSpace(t, i) {
			_, n := utf8.DecodeRune(t[i:])
			i += n
		}
		if i > 0 {
			w.lineStart()
			if w.spacePending && !w.atLine && w.b.Len() > 0 && w.newlines == 0 {
				w.write(" ")
			}
			w.spacePending = false
			w.write(string(t[:i]))
			w.newlines = 0
			t = t[i:]
		}
		j := 0
		for j < len(t) && isHTMLSpace(t, j) {
			if t[j] == 0xc2 {
				j += 2
			} else {
				j++
			}
		}
		if j > 0 {
			w.spacePending = true
			t = t[j:]
		}
	}
}

// isHTMLSpace reports whether t[i:] starts with ASCII white space or a
// no-break space (U+00A0, what &nbsp; decodes to).
func isHTMLSpace(t []byte, i int) bool {
	switch t[i] {
	case ' ', '\t', '\n', '\r', '\f', 0:
		return true
	case 0xc2:
		return i+1 < len(t) && t[i+1] == 0xa0
	}
	return false
}

func (w *textWriter) pre(t []byte) {
	s := strings.ReplaceAll(string(t), "\r\n", "\n")
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			w.newline()
		}
		if line != "" {
			w.lineStart()
			w.write(line)
			w.newlines = 0
		}
	}
}

func (w *textWriter) space() { w.spacePending = true }

// endLine ends the current line unless nothing was written on it.
func (w *textWriter) endLine() {
	if w.newlines == 0 {
		w.newline()
	}
}

func (w *textWriter) newline() {
	w.spacePending = false
	if w.b.Len() == 0 || w.newlines >= 2 {
		return
	}
	w.write("\n")
	w.newlines++
	w.atLine = true
}

// paragraphBreak ends the current line, and leaves an empty line after it
// when blank is true.
func (w *textWriter) paragraphBreak(blank bool) {
	if w.b.Len() == 0 {
		return
	}
	w.endLine()
	if blank && w.newlines == 1 {
		w.newline()
	}
}
