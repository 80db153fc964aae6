package decode

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// Charset conversion is done here, explicitly, rather than through
// go-message's package variable message.CharsetReader (which its charset
// package sets from an init function as a side effect of a blank import):
// this package reads MIME structure with go-message/textproto and converts
// every text part and header word itself, so the global is never consulted
// and other packages of the process are not affected by our choices.
//
// Labels are resolved in this order: our overrides (supersets that real
// mail needs), the WHATWG index (what browsers do with mislabelled mail:
// iso-8859-1 is read as windows-1252, ks_c_5601-1987 as EUC-KR), then the
// IANA MIME names.

// charsetOverrides maps labels to the superset we decode them with.
var charsetOverrides = map[string]encoding.Encoding{
	// GB2312 and GBK are subsets of GB18030; senders label GB18030 text
	// with the older names all the time.
	"gb2312":       simplifiedchinese.GB18030,
	"gbk":          simplifiedchinese.GB18030,
	"cp936":        simplifiedchinese.GB18030,
	"x-gbk":        simplifiedchinese.GB18030,
	"euc-cn":       simplifiedchinese.GB18030,
	"x-euc-cn":     simplifiedchinese.GB18030,
	"gb_2312-80":   simplifiedchinese.GB18030,
	"csgb2312":     simplifiedchinese.GB18030,
	"chinese":      simplifiedchinese.GB18030,
	"gb18030":      simplifiedchinese.GB18030,
	"hz-gb-2312":   simplifiedchinese.HZGB2312,
	"big5":         traditionalchinese.Big5,
	"big5-hkscs":   traditionalchinese.Big5,
	"x-x-big5":     traditionalchinese.Big5,
	"cp950":        traditionalchinese.Big5,
	"shift_jis":    japanese.ShiftJIS,
	"shift-jis":    japanese.ShiftJIS,
	"sjis":         japanese.ShiftJIS,
	"x-sjis":       japanese.ShiftJIS,
	"windows-31j":  japanese.ShiftJIS,
	"cp932":        japanese.ShiftJIS,
	"iso-2022-jp":  japanese.ISO2022JP,
	"euc-jp":       japanese.EUCJP,
	"euc-kr":       korean.EUCKR,
	"ks_c_5601":    korean.EUCKR,
	"cp949":        korean.EUCKR,
	"koi8-r":       charmap.KOI8R,
	"koi8-u":       charmap.KOI8U,
	"utf-16":       unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
	"unicode-1-1":  unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
	"unknown-8bit": nil,
	"x-unknown":    nil,
}

// lookupCharset returns the encoding for a charset label, unicode.UTF8 for
// UTF-8 and ASCII, or nil when the label is unknown.
func lookupCharset(label string) encoding.Encoding {
	label = normCharset(label)
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "7bit", "8bit":
		return unicode.UTF8
	}
	if enc, ok := charsetOverrides[label]; ok {
		return enc
	}
	if enc, err := htmlindex.Get(label); err == nil && enc != nil {
		return enc
	}
	if enc, err := ianaindex.MIME.Encoding(label); err == nil && enc != nil {
		return enc
	}
	// Common misspellings: "windows1252", "iso8859-1", "iso_8859-1:1987".
	if strings.HasPrefix(label, "windows") && !strings.HasPrefix(label, "windows-") {
		return lookupCharsetNoFix("windows-" + label[len("windows"):])
	}
	if strings.HasPrefix(label, "iso8859") {
		return lookupCharsetNoFix("iso-8859" + label[len("iso8859"):])
	}
	if i := strings.IndexByte(label, ':'); i > 0 {
		return lookupCharsetNoFix(label[:i])
	}
	// Labels mangled by bulk mailers: "gb2312_charset", "=3Dbig5",
	// "chinesebig5".
	if l := strings.TrimSuffix(strings.TrimPrefix(label, "3d"), "_charset"); l != label {
		return lookupCharsetNoFix(l)
	}
	for _, known := range []string{"big5", "gb2312", "gbk", "koi8-r", "shift_jis", "euc-kr", "iso-2022-jp"} {
		if strings.Contains(label, known) {
			return lookupCharsetNoFix(known)
		}
	}
	return nil
}

func lookupCharsetNoFix(label string) encoding.Encoding {
	if enc, ok := charsetOverrides[label]; ok {
		return enc
	}
	if enc, err := htmlindex.Get(label); err == nil && enc != nil {
		return enc
	}
	if enc, err := ianaindex.MIME.Encoding(label); err == nil && enc != nil {
		return enc
	}
	return nil
}

// normCharset lower-cases a label and strips quotes and blanks.
func normCharset(label string) string {
	label = strings.TrimSpace(label)
	label = strings.Trim(label, "\"' \t")
	return strings.ToLower(label)
}

// toUTF8 converts b from the charset label to UTF-8. The result never
// holds invalid UTF-8: bytes that are not valid in a UTF-8 (or unknown)
// source are read as windows-1252, so that a mislabelled latin text stays
// readable. known is false when the label is not a charset we know.
func toUTF8(b []byte, label string) (s string, known bool) {
	if normCharset(label) == "utf-7" {
		return decodeUTF7(b), true
	}
	enc := lookupCharset(label)
	if enc == nil {
		return utf8OrLatin1(b), false
	}
	if enc == unicode.UTF8 {
		return utf8OrLatin1(b), true
	}
	if looksUTF8(b) && !strings.HasPrefix(normCharset(label), "utf-") {
		// Mislabelled: valid UTF-8 with multi-byte sequences is almost
		// never the intended reading of legacy-charset text.
		return string(b), true
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return utf8OrLatin1(b), true
	}
	return string(out), true
}

// utf8OrLatin1 returns b as a string, keeping valid UTF-8 sequences and
// reading every other byte as windows-1252.
func utf8OrLatin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for len(b) > 0 {
		// The valid run up to the next invalid byte, at once.
		k := 0
		for k < len(b) {
			if b[k] < utf8.RuneSelf {
				k++
				continue
			}
			r, n := utf8.DecodeRune(b[k:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			k += n
		}
		sb.Write(b[:k])
		b = b[k:]
		if len(b) > 0 {
			sb.WriteRune(cp1252(b[0]))
			b = b[1:]
		}
	}
	return sb.String()
}

// cp1252 maps one byte to its windows-1252 rune (undefined bytes map to
// the C1 control of the same value, as ISO-8859-1 does).
func cp1252(c byte) rune {
	if c < 0x80 || c >= 0xa0 {
		return rune(c)
	}
	r := cp1252High[c-0x80]
	if r == 0 {
		return rune(c)
	}
	return r
}

var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0,
}

// looksUTF8 reports whether b is valid UTF-8 holding at least two
// multi-byte characters.
func looksUTF8(b []byte) bool {
	multi := 0
	for _, c := range b {
		if c >= 0xc2 && c <= 0xf4 {
			multi++
		}
	}
	return multi >= 2 && utf8.Valid(b)
}

// decodeUTF7 decodes UTF-7 (RFC 2152), which x/text lacks: "+" starts a
// run of modified base64 holding UTF-16BE, "-" or any non-base64 byte ends
// it, "+-" is a plus sign.
func decodeUTF7(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '+' {
			sb.WriteRune(cp1252(c))
			continue
		}
		j := i + 1
		for j < len(b) && isB64(b[j]) {
			j++
		}
		if j == i+1 {
			sb.WriteByte('+')
			if j < len(b) && b[j] == '-' {
				i = j
			}
			continue
		}
		raw, _ := decodeBase64(b[i+1 : j])
		var hi rune
		for k := 0; k+1 < len(raw); k += 2 {
			u := rune(raw[k])<<8 | rune(raw[k+1])
			switch {
			case u >= 0xd800 && u < 0xdc00:
				hi = u
			case u >= 0xdc00 && u < 0xe000 && hi != 0:
				sb.WriteRune((hi-0xd800)<<10 + (u - 0xdc00) + 0x10000)
				hi = 0
			default:
				sb.WriteRune(u)
			}
		}
		if j < len(b) && b[j] == '-' {
			j++
		}
		i = j - 1
	}
	return sb.String()
}

func isB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}
