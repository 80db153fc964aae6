package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/filter/spool"
)

func newTestPipeline(tb testing.TB, sink DraftSink) *Pipeline {
	tb.Helper()
	cfg, err := config.Load(filepath.Join(mtatest.RepoRoot(tb), "config.example.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := New(cfg, nil, sink, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func opener(b []byte) Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func corpus(tb testing.TB) [][]byte {
	dir := filepath.Join(mtatest.RepoRoot(tb), "..", "shared", "corpus")
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) == 0 {
		tb.Skip("no ../shared/corpus beside the repository")
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

type recordingSink struct{ got []judge.Verdict }

func (r *recordingSink) QueueDraft(_ context.Context, _ *decode.Message, v judge.Verdict) error {
	r.got = append(r.got, v)
	return nil
}

const sourcing = "From: Ana Silva <ana@lojas-exemplo.com.br>\r\nTo: sales@everride-scooter.com\r\n" +
	"Subject: Pedido ER-K200\r\nDate: Mon, 12 May 2025 09:00:00 -0300\r\nMessage-ID: <p1@lojas-exemplo.com.br>\r\n\r\n" +
	"We want to order 3,000 pcs ER-K200, FOB Ningbo, T/T 30/70. Please send your proforma invoice.\r\n\r\n" +
	"Best regards,\r\nAna Silva\r\nLojas Exemplo Ltda.\r\nRua Augusta 100, Sao Paulo, Brazil\r\nTel +55 11 5555 0100\r\n"

func TestPrepareTagsAndQueuesDraft(t *testing.T) {
	sink := &recordingSink{}
	p := newTestPipeline(t, sink)
	hdr := string(p.Prepare(context.Background(), "id1", spool.Envelope{From: "ana@lojas-exemplo.com.br"}, opener([]byte(sourcing))))
	if !strings.HasPrefix(hdr, "X-Buyer-Type: sourcing\r\nX-Grade: A\r\nX-Reply-Plan: ") || !strings.Contains(hdr, "X-Buyer-Rep: kevin.wang\r\n") {
		t.Errorf("header block:\n%s", hdr)
	}
	if len(sink.got) != 1 || sink.got[0].Rep != "kevin.wang" {
		t.Errorf("drafts queued: %+v", sink.got)
	}
	// Bounces and drafts are not classified.
	if hdr := p.Prepare(context.Background(), "id2", spool.Envelope{Kind: "bounce"}, opener([]byte(sourcing))); hdr != nil {
		t.Errorf("bounce got headers %q", hdr)
	}
	// Non-inquiries get no draft.
	p.Prepare(context.Background(), "id3", spool.Envelope{}, opener([]byte("From: a@b.example\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n")))
	if len(sink.got) != 1 {
		t.Errorf("a non-inquiry queued a draft")
	}
}

func TestAnalyzeNeverFails(t *testing.T) {
	p := newTestPipeline(t, nil)
	res := p.Analyze(context.Background(), spool.Envelope{}, func() (io.ReadCloser, error) { return nil, errors.New("disk gone") })
	if res.Verdict.BuyerType != judge.None || string(res.Header) != "X-Buyer-Type: none\r\nX-Buyer-Signals: unreadable\r\n" {
		t.Errorf("unreadable message: %+v %q", res.Verdict, res.Header)
	}
	for name, msg := range map[string]string{
		"empty":           "",
		"header only":     "Subject: x\r\n",
		"broken mime":     "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n\xff\xfe price\r\n",
		"only attachment": "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n",
		"deep":            strings.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 500),
	} {
		res := p.Analyze(context.Background(), spool.Envelope{}, opener([]byte(msg)))
		if res.Header == nil || !bytes.HasPrefix(res.Header, []byte("X-Buyer-Type: ")) {
			t.Errorf("%s: header block %q", name, res.Header)
		}
		if res.Verdict.BuyerType == judge.None && res.Verdict.Grade != "" {
			t.Errorf("%s: none with a grade", name)
		}
	}
}

// FuzzAnalyze: decode + extract + judge + header writing never panic and
// always give a well-formed header block.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(sourcing))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/html; charset=gb2312\r\n\r\n<p>\xc4\xe3\xba\xc3 ER-E8 500 pcs</p>\r\n--x--\r\n"))
	f.Add([]byte("Subject: =?utf-8?B?0KHQsNC80L7QutCw0YI=?=\r\n\r\nнужно 1000 шт ER-K200\r\n"))
	p := newTestPipeline(f, nil)
	f.Fuzz(func(t *testing.T, msg []byte) {
		res := p.Analyze(context.Background(), spool.Envelope{}, opener(msg))
		if !bytes.HasPrefix(res.Header, []byte("X-Buyer-Type: ")) || !bytes.HasSuffix(res.Header, []byte("\r\n")) {
			t.Fatalf("header block %q", res.Header)
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(res.Header, []byte("\r\n")), []byte("\r\n")) {
			for _, c := range line {
				if c >= 0x80 || (c < 0x20 && c != '\t') {
					t.Fatalf("non-ASCII or control byte in %q", line)
				}
			}
		}
		if res.Verdict.BuyerType == judge.None && (res.Verdict.Grade != "" || res.Verdict.ReplyPlan != "") {
			t.Fatalf("none verdict graded: %+v", res.Verdict)
		}
	})
}

// BenchmarkAnalyzeCorpus is the classify path (decode, extract, judge,
// header block) over the development corpus, one message per op; it
// reports the median time per message.
func BenchmarkAnalyzeCorpus(b *testing.B) {
	msgs := corpus(b)
	p := newTestPipeline(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		p.Analyze(ctx, spool.Envelope{}, opener(msgs[i%len(msgs)]))
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "median-µs/msg")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs/msg")
}

// BenchmarkAnalyze25MB classifies an inquiry carrying a 25 MB attachment.
func BenchmarkAnalyze25MB(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("From: Ana Silva <ana@lojas-exemplo.com.br>\r\nTo: sales@everride-scooter.com\r\nSubject: Pedido\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"We want to order 3,000 pcs ER-K200, FOB Ningbo. Specs attached.\r\n--b1\r\n" +
		"Content-Type: application/pdf; name=\"specs.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for buf.Len() < 25<<20 {
		buf.WriteString(line)
	}
	buf.WriteString("--b1--\r\n")
	msg := buf.Bytes()
	p := newTestPipeline(b, nil)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := p.Analyze(context.Background(), spool.Envelope{}, opener(msg))
		if res.Message == nil || len(res.Message.Attachments) != 1 {
			b.Fatalf("attachment not listed: %+v", res.Message)
		}
	}
}

func TestSubjectTag(t *testing.T) {
	cfg, err := config.Load(filepath.Join(mtatest.RepoRoot(t), "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Classify.SubjectTag = true
	p, err := New(cfg, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr := string(p.Prepare(context.Background(), "id", spool.Envelope{}, opener([]byte(sourcing))))
	if !strings.HasSuffix(hdr, "Subject: [A] Pedido ER-K200\r\n") {
		t.Errorf("header block with subject_tag:\n%s", hdr)
	}
	hdr = string(p.Prepare(context.Background(), "id", spool.Envelope{}, opener([]byte("From: a@b.example\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n"))))
	if strings.Contains(hdr, "Subject:") {
		t.Errorf("a non-inquiry was retitled:\n%s", hdr)
	}
}

// blockingSink holds QueueDraft until release is closed.
type blockingSink struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingSink) QueueDraft(context.Context, *decode.Message, judge.Verdict) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

// With one CPU slot, a message whose draft is being filed (a disk that
// waits) does not hold up the judging of the next one, and every slot is
// given back, also when a message cannot be read.
func TestCPUSlotsNotHeldWhileFilingDraft(t *testing.T) {
	sink := &blockingSink{entered: make(chan struct{}), release: make(chan struct{})}
	slots := make(chan struct{}, 1)
	p := newTestPipeline(t, sink).WithCPUSlots(slots)
	first := make(chan []byte)
	go func() { first <- p.Prepare(context.Background(), "a", spool.Envelope{}, opener([]byte(sourcing))) }()
	<-sink.entered // the first message is filing its draft
	done := make(chan []byte)
	go func() {
		done <- p.Prepare(context.Background(), "b", spool.Envelope{}, opener([]byte("From: a@b.example\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n")))
	}()
	select {
	case hdr := <-done:
		if !bytes.HasPrefix(hdr, []byte("X-Buyer-Type: none")) {
			t.Errorf("second message: %q", hdr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second message waited for the first one's draft")
	}
	close(sink.release)
	if hdr := <-first; !bytes.HasPrefix(hdr, []byte("X-Buyer-Type: sourcing")) {
		t.Errorf("first message: %q", hdr)
	}
	p.Analyze(context.Background(), spool.Envelope{}, func() (io.ReadCloser, error) { return nil, errors.New("gone") })
	if len(slots) != 0 {
		t.Errorf("%d slots still held", len(slots))
	}
}
