package judge

import (
	"strings"
	"testing"
	"unicode"
)

// normalizeRef is normalize as it was before its ASCII fast path and its
// runs of kept runes.
func FuzzNormalizeSameAsReference(f *testing.F) {
	for _, s := range []string{"", "Hello  World\t\n", "Ünïcödé ÀÉÎ İstanbul", "报价 ＦＯＢ １２３ 价格", "٠١٢ ۰۱۲ أإآى ـ", "\u00a0\u3000 x\u2028y",
		"bad \xff\xe3\x80 é \xef\xbf\xbd", "i\u0307 ß œ “q” – —", "Ёлка ОПТ", "`x´"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := normalize(s), normalizeRef(s); got != want {
			t.Errorf("normalize(%q) = %q, want %q", s, got, want)
		}
	})
}

func normalizeRef(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if r == 'İ' {
			r = 'i'
		}
		r = unicode.ToLower(r)
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if r >= 0x300 && unicode.Is(unicode.Mn, r) { // combining marks (dot of i̇, harakat)
			continue
		}
		if r >= '٠' && r <= '٩' { // Arabic-Indic digits
			r = '0' + (r - '٠')
		} else if r >= '۰' && r <= '۹' { // Extended (Persian) digits
			r = '0' + (r - '۰')
		} else if r >= '０' && r <= '９' { // full-width digits
			r = '0' + (r - '０')
		}
		var f string
		var ok bool
		if r < rune(len(foldLatin)) {
			f = foldLatin[r]
			ok = f != ""
		} else if r < 0x4E00 || r >= 0xF900 {
			f, ok = fold[r]
		}
		if ok {
			if f == " " {
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

func FuzzNormalizePartsSameAsJoined(f *testing.F) {
	f.Add("Subject", "text \xe3\x80", "\x82 sig")
	f.Add("", " ", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if got, want := normalize(a, b, c), normalizeRef(a+"\n"+b+"\n"+c); got != want {
			t.Errorf("normalize(%q, %q, %q) = %q, want %q", a, b, c, got, want)
		}
	})
}
