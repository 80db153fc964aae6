package sender

import "testing"

func TestLookAlike(t *testing.T) {
	tests := []struct {
		candidate, target string
		want              bool
		why               string
	}{
		// Exact matches and subdomains are the real thing.
		{"scootworld.de", "scootworld.de", false, "exact match"},
		{"SCOOTWORLD.DE.", "scootworld.de", false, "exact, case and final dot"},
		{"mail.scootworld.de", "scootworld.de", false, "subdomain of the real domain"},
		{"everride-scooter.com", "everride-scooter.com", false, "our own domain"},

		// Digits and letters that look alike.
		{"scootw0rld.de", "scootworld.de", true, "0 for o"},
		{"scootwor1d.de", "scootworld.de", true, "1 for l"},
		{"everride-sc00ter.com", "everride-scooter.com", true, "00 for oo"},
		{"ridek1ds.com.au", "ridekids.com.au", true, "1 for i"},
		{"urbanrnove.co.uk", "urbanmove.co.uk", true, "rn for m"},
		{"scootvvorld.de", "scootworld.de", true, "vv for w"},

		// Hyphens.
		{"urban-move.co.uk", "urbanmove.co.uk", true, "extra hyphen"},
		{"everridescooter.com", "everride-scooter.com", true, "missing hyphen"},
		{"ever-ride-scooter.com", "everride-scooter.com", true, "moved hyphen"},

		// TLD swap, public suffixes of several labels included.
		{"scootworld.eu", "scootworld.de", true, "TLD swap"},
		{"scootworld.com", "scootworld.de", true, "TLD swap to com"},
		{"urbanmove.com", "urbanmove.co.uk", true, "co.uk to com"},
		{"everride-scooter.com.cn", "everride-scooter.com", true, "com to com.cn"},
		{"ridekids.com", "ridekids.com.au", true, "com.au to com"},
		{"mail.scootworld.eu", "scootworld.de", true, "subdomain of a TLD swap"},

		// Edit distance on the registrable label.
		{"scootwrold.de", "scootworld.de", true, "transposition"},
		{"scootworlds.de", "scootworld.de", true, "one letter added"},
		{"scotworld.de", "scootworld.de", true, "one letter missing"},
		{"skootwerld.de", "scootworld.de", true, "two letters changed"},
		{"everide-scooter.com", "everride-scooter.com", true, "one r missing"},
		{"everride-scooters.com", "everride-scooter.com", true, "plural"},
		{"urbanmoove.co.uk", "urbanmove.co.uk", true, "doubled letter"},
		{"urbnmve.co.uk", "urbanmove.co.uk", true, "two letters missing"},

		// IDN homoglyphs: Unicode and xn-- forms.
		{"еverride-scooter.com", "everride-scooter.com", true, "Cyrillic е (U+0435)"},
		{"xn--verride-scooter-3nm.com", "everride-scooter.com", true, "same, in punycode"},
		{"scооtworld.de", "scootworld.de", true, "two Cyrillic о"},
		{"urbаnmove.co.uk", "urbanmove.co.uk", true, "Cyrillic а"},
		{"ridekіds.com.au", "ridekids.com.au", true, "Cyrillic і"},
		{"scootwörld.de", "scootworld.de", true, "ö for o"},
		{"xn--scootwrld-57a.de", "scootworld.de", true, "ö in punycode"},
		{"ѕсооtworld.de", "scootworld.de", true, "Cyrillic ѕ, с, о, о"},
		{"everride-scοoter.com", "everride-scooter.com", true, "Greek ο"},

		// Different names are not look-alikes.
		{"gmail.com", "scootworld.de", false, "unrelated"},
		{"scootmaster.de", "scootworld.de", false, "shares a prefix only"},
		{"urbanmobility.co.uk", "urbanmove.co.uk", false, "three edits"},
		{"kidsride.com.au", "ridekids.com.au", false, "anagram-ish, far"},
		{"everride.com", "everride-scooter.com", false, "shorter name"},
		{"abc.de", "abd.de", false, "short labels: no edit distance"},
		{"abcd.com", "abce.com", false, "four letters: no edit distance"},
		{"scooter.com", "everride-scooter.com", false, "common word"},
		{"co.uk", "urbanmove.co.uk", false, "bare public suffix"},
		{"", "scootworld.de", false, "empty"},
		{"yongkang-speedway.com", "everride-scooter.com", false, "a competitor, not a look-alike"},
	}
	for _, tc := range tests {
		if got := LookAlike(tc.candidate, tc.target); got != tc.want {
			c, _ := parseDomain(tc.candidate)
			d, _ := parseDomain(tc.target)
			t.Errorf("LookAlike(%q, %q) = %v, want %v (%s); skeletons %q %q", tc.candidate, tc.target, got, tc.want, tc.why, skeleton(c.label), skeleton(d.label))
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"abc", "ab", 1},
		{"kitten", "sitting", 3}, {"scootworld", "scootwrold", 1}, {"ca", "abc", 3},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b, 5); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := editDistance("aaaaaaaa", "bbbbbbbb", 2); got != 3 {
		t.Errorf("capped distance = %d, want 3", got)
	}
}
