package lcase

import (
	"strings"
	"testing"
	"unicode"
)

func TestRuneIsUnicodeToLower(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if got, want := Rune(r), unicode.ToLower(r); got != want {
			t.Fatalf("Rune(%U) = %U, want %U", r, got, want)
		}
	}
}

func TestStringIsStringsToLower(t *testing.T) {
	for _, s := range []string{"", "abc", "ABC Def", "Mit Freundlichen GRÜSSEN", "İSTANBUL", "\u212a elvin", "С уважением", "此致 敬礼",
		"bad \xff\xfe UTF-8 Ä", "\xe2\x82", "ǅ ǈ ǋ Σ"} {
		if got, want := String(s), strings.ToLower(s); got != want {
			t.Errorf("String(%q) = %q, want %q", s, got, want)
		}
	}
}
