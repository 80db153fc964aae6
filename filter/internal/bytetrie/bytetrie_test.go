package bytetrie

import (
	"math/rand"
	"sort"
	"testing"
)

// walkKeys returns the indexes of the keys that are prefixes of s, shortest
// first, found by walking t.
func walkKeys(t *Trie, s string) []int {
	var got []int
	n := int32(0)
	for j := 0; j < len(s); j++ {
		if n = t.Child(n, s[j]); n < 0 {
			break
		}
		if k := t.Key(n); k >= 0 {
			got = append(got, int(k))
		}
	}
	return got
}

func wantKeys(keys []string, s string) []int {
	var want []int
	for l := 1; l <= len(s); l++ {
		if i := sort.SearchStrings(keys, s[:l]); i < len(keys) && keys[i] == s[:l] {
			want = append(want, i)
		}
	}
	return want
}

func check(t *testing.T, keys []string, probes []string) {
	t.Helper()
	tr := Build(keys)
	for _, s := range append(probes, keys...) {
		got, want := walkKeys(&tr, s), wantKeys(keys, s)
		if len(got) != len(want) {
			t.Fatalf("keys %q, walk %q: got %v, want %v", keys, s, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("keys %q, walk %q: got %v, want %v", keys, s, got, want)
			}
		}
		if s != "" && tr.Starts(s[0]) != (tr.Child(0, s[0]) >= 0) {
			t.Fatalf("Starts(%q) disagrees with Child", s[0])
		}
	}
}

func TestBuild(t *testing.T) {
	check(t, nil, []string{"", "a"})
	check(t, []string{"a"}, []string{"ab", "b", "\xff"})
	check(t, []string{"\x00", "a", "ab", "abc", "abd", "b", "ba", "bcdef", "\xff\xfe"},
		[]string{"abcdefg", "abd", "bcde", "bcdefg", "x", "\x00\x00", "\xff\xfe\xfd"})

	var zero Trie
	if zero.Starts('a') || zero.Child(0, 'a') != -1 {
		t.Fatal("zero Trie has keys")
	}

	// Random keys over a small alphabet, so that paths share prefixes and
	// reach below the dense tables.
	r := rand.New(rand.NewSource(1))
	rnd := func() string {
		b := make([]byte, r.Intn(7))
		for i := range b {
			b[i] = "abc\x00\xff"[r.Intn(5)]
		}
		return string(b)
	}
	for range 200 {
		set := map[string]bool{}
		for range r.Intn(40) {
			if k := rnd(); k != "" {
				set[k] = true
			}
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var probes []string
		for range 50 {
			probes = append(probes, rnd()+rnd())
		}
		check(t, keys, probes)
	}
}

func TestBuildUnsorted(t *testing.T) {
	for _, keys := range [][]string{{"b", "a"}, {"a", "a"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Build(%q) did not panic", keys)
				}
			}()
			Build(keys)
		}()
	}
}
