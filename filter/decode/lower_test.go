package decode

import (
	"strings"
	"testing"
	"unicode"
)

func TestToLowerIsUnicodeToLower(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if got, want := toLower(r), unicode.ToLower(r); got != want {
			t.Fatalf("toLower(%U) = %U, want %U", r, got, want)
		}
	}
}

func TestLowerIsStringsToLower(t *testing.T) {
	for _, s := range []string{"", "abc", "ABC Def", "Mit Freundlichen GRÜSSEN", "İSTANBUL", "\u212a elvin", "С уважением", "此致 敬礼",
		"bad \xff\xfe UTF-8 Ä", "\xe2\x82", "ǅ ǈ ǋ Σ"} {
		if got, want := lower(s), strings.ToLower(s); got != want {
			t.Errorf("lower(%q) = %q, want %q", s, got, want)
		}
	}
}
