package judge

import (
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

func TestWordRunesIsSlowPath(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if isWordRune(r) != isWordRuneSlow(r) {
			t.Fatalf("isWordRune(%U) differs from the Unicode tables", r)
		}
	}
}
