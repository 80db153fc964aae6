package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// tenKB is an inquiry padded to about 10 KB with more inquiry-like text.
func tenKB() *decode.Message {
	body := `Hello Everride team,

We are Trailhead Outdoor Supply, Inc., a 14-store outdoor chain. Please quote:
  Model: ER-K200 (200 mm wheels, foldable, EN 14619)
  Quantity: 2,000 pcs total -- 1,200 black / 800 red
  Terms: FOB Ningbo, 30% T/T deposit, 70% against B/L copy
  Shipment: one 40' HQ plus balance LCL, within 45 days.
Our target price is USD 29.50. We also sell kids scooters and e-scooters from other vendors.
`
	var b strings.Builder
	for b.Len() < 10*1024 {
		b.WriteString(body)
	}
	sig := "Megan Sorensen\nSenior Buyer\nTrailhead Outdoor Supply, Inc.\n2150 Energy Park Drive, Saint Paul, MN 55108, USA\nTel +1 651 555 0148 | www.trailheadoutdoor.com"
	return &decode.Message{Subject: "RFQ - ER-K200, 2,000 pcs FOB Ningbo", Text: b.String(), Signature: sig,
		From: decode.Address{Name: "Megan Sorensen", Addr: "msorensen@trailheadoutdoor.com"},
		Date: time.Date(2026, 1, 13, 15, 0, 0, 0, time.UTC), HasDate: true}
}

// oneInquiry10KB is one inquiry with a long company presentation, about
// 10 KB: the common shape of a long mail.
func oneInquiry10KB() *decode.Message {
	m := tenKB()
	intro := "Our company was founded thirty years ago by two brothers who loved the outdoors. " +
		"Since then we have grown into a network of shops across the region, with a strong online presence, " +
		"a loyal community of riders and a service team that repairs everything we sell. "
	var b strings.Builder
	b.WriteString(m.Text[:strings.Index(m.Text, "Hello Everride team,\n\n")+400])
	for b.Len() < 10*1024 {
		b.WriteString(intro)
		b.WriteString("\n")
	}
	m.Text = b.String()
	return m
}

func BenchmarkExtractOneInquiry10KB(b *testing.B) {
	x := exampleExtractor(b)
	m := oneInquiry10KB()
	b.SetBytes(int64(len(m.Text) + len(m.Signature)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.Extract(m)
	}
}

// BenchmarkExtract runs a 10 KB message packed with inquiries (fourteen
// copies of a full RFQ): a worst case for the number of things to weigh.
func BenchmarkExtract(b *testing.B) {
	x := exampleExtractor(b)
	m := tenKB()
	b.SetBytes(int64(len(m.Text) + len(m.Signature)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.Extract(m)
	}
}

// BenchmarkExtractCorpus runs over every decoded corpus message in turn.
func BenchmarkExtractCorpus(b *testing.B) {
	dir := corpusDir(b)
	x := exampleExtractor(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var ms []*decode.Message
	for _, f := range files {
		ms = append(ms, parseFile(b, f))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.Extract(ms[i%len(ms)])
	}
}

// TestRealMail runs the extractor over the real third-party mail next to
// the repository: it must never panic and stay fast on odd input.
func TestRealMail(t *testing.T) {
	if testing.Short() {
		t.Skip("long: real mail corpus")
	}
	root := filepath.Join(mtatest.RepoRoot(t), "..", "shared", "realmail")
	if _, err := os.Stat(root); err != nil {
		t.Skip("no shared realmail next to the repository")
	}
	x := exampleExtractor(t)
	all := os.Getenv("EXTRACT_REALMAIL") == "all"
	var n, seen int
	var worst time.Duration
	worstFile := ""
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(p, ".md") || info.Size() > 4<<20 {
			return nil
		}
		seen++
		if !all && seen%10 != 0 {
			return nil // every tenth file; EXTRACT_REALMAIL=all for all
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		m, _ := decode.Parse(f, decode.Limits{})
		f.Close()
		if m == nil {
			return nil
		}
		start := time.Now()
		x.Extract(m)
		if d := time.Since(start); d > worst {
			worst, worstFile = d, p
		}
		n++
		return nil
	})
	t.Logf("%d messages, slowest %v (%s)", n, worst, worstFile)
}

func FuzzExtract(f *testing.F) {
	x := exampleExtractor(f)
	for _, s := range []string{"2.000 pcs ER-K200 FOB", "1x40HQ", "ООО «Ромашка»", "株式会社", "+49 30", "www.", "40' HQ", "2k", "一个40HQ"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, subject, text string) {
		x.Extract(&decode.Message{Subject: subject, Text: text, Signature: text})
	})
}
