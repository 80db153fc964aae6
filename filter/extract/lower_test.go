package extract

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

func TestRuneClassIsSlowPath(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if isWordRune(r) != isWordRuneSlow(r) || needsBoundary(r) != needsBoundarySlow(r) {
			t.Fatalf("rune class of %U differs from the Unicode tables", r)
		}
	}
}
