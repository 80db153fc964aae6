package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// testConfig is the example configuration with its listeners on free
// loopback ports and every directory in dir.
func testConfig(t *testing.T, dir string) string {
	t.Helper()
	root := mtatest.RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for old, new := range map[string]string{
		`listen = "127.0.0.1:2525"`:         `listen = "` + mtatest.FreeAddr(t) + `"`,
		`listen = "127.0.0.1:9125"`:         `listen = "` + mtatest.FreeAddr(t) + `"`,
		`dir = "./var/queue"`:               `dir = "` + dir + `/queue"`,
		`downstream = "maildir:./var/mail"`: `downstream = "maildir:` + dir + `/mail"`,
		`deliver = "maildir:./var/drafts"`:  `deliver = "maildir:` + dir + `/drafts"`,
		`queue_dir = "./var/drafts-queue"`:  `queue_dir = "` + dir + `/drafts-queue"`,
		`templates = "./templates"`:         `templates = "` + root + `/templates"`,
		"[auth]\n# Check DKIM, SPF and DMARC of every message (needs DNS).\nenabled = true": "[auth]\nenabled = false",
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("config.example.toml no longer has %q", old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	path := filepath.Join(dir, "tradesift.toml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const inquiry = "From: Anna Nowak <anna@sklep-rowery.example.pl>\r\n" +
	"To: sales@everride-scooter.com\r\n" +
	"Subject: Zapytanie ofertowe ER-K200\r\n" +
	"Date: Mon, 12 May 2025 09:00:00 +0200\r\n" +
	"Message-ID: <q1@sklep-rowery.example.pl>\r\n" +
	"X-Grade: A\r\n" +
	"\r\n" +
	"Dear Sir or Madam,\r\n\r\nwe would like to order 1,000 pcs of ER-K200, FOB Ningbo, payment T/T.\r\n" +
	"Please send your quotation.\r\n\r\nBest regards,\r\nAnna Nowak\r\nPurchasing Manager\r\nSklep Rowery Sp. z o.o.\r\n" +
	"ul. Prosta 1, 00-001 Warszawa, Poland\r\nTel. +48 22 123 45 67\r\n"

func TestDaemonRelaysTagsDraftsAndReloads(t *testing.T) {
	dir := t.TempDir()
	path := testConfig(t, dir)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	d, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	}()
	addr := d.Addr().String()

	if err := mtatest.SendSMTP(addr, "anna@sklep-rowery.example.pl", []string{"sales@everride-scooter.com"}, []byte(inquiry)); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := waitMaildir(t, filepath.Join(dir, "mail", "*", "new", "*"), 1)
	out := msgs[0]
	for _, want := range []string{"X-Buyer-Type: sourcing\r\n", "X-Grade: A\r\n", "X-Buyer-Rep: lily.chen\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("relayed mail lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "X-Grade:") != 1 {
		t.Errorf("the sender's forged X-Grade survived:\n%s", out)
	}
	if !strings.HasSuffix(out, strings.Replace(inquiry, "X-Grade: A\r\n", "", 1)) {
		t.Errorf("original bytes changed below our headers:\n%s", out)
	}
	// Drafts are filed in the rep's Maildir++ Drafts folder, flagged D.
	drafts := waitMaildir(t, filepath.Join(dir, "drafts", "lily.chen@everride-scooter.com", ".Drafts", "cur", "*:2,D"), 1)
	if !strings.Contains(drafts[0], "In-Reply-To: <q1@sklep-rowery.example.pl>") || !strings.Contains(drafts[0], "lily.chen@everride-scooter.com") {
		t.Errorf("draft:\n%s", drafts[0])
	}

	// Metrics are served.
	resp, err := http.Get("http://" + cfg.Metrics.Listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tradesift_classified_total{buyer_type="sourcing",grade="A",reply_plan="quote"} 1`,
		`tradesift_drafts_total{result="queued"} 1`,
		`tradesift_smtp_messages_accepted_total 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A domain that is not ours is refused; after a reload that adds it,
	// it is accepted, on the same listener.
	other := []string{"info@everride-bikes.example"}
	err = mtatest.SendSMTP(addr, "a@b.example", other, []byte("Subject: x\r\n\r\nx\r\n"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("foreign domain: %v, want 550", err)
	}
	conf, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(conf), `domains = ["everride-scooter.com"]`, `domains = ["everride-scooter.com", "everride-bikes.example"]`, 1)), 0o644)
	if err := d.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if err := mtatest.SendSMTP(addr, "a@b.example", other, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Errorf("after reload, new domain refused: %v", err)
	}

	// A broken file is refused and the running configuration stays.
	os.WriteFile(path, []byte("[smtp]\nlisten = 1\n"), 0o644)
	if err := d.Reload(); err == nil {
		t.Error("reload of a broken config succeeded")
	}
	if err := mtatest.SendSMTP(addr, "a@b.example", other, []byte("Subject: y\r\n\r\ny\r\n")); err != nil {
		t.Errorf("after a failed reload, the running config changed: %v", err)
	}
}

func waitMaildir(t *testing.T, pattern string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out []string
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				out = append(out, string(b))
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d messages after 15s, want %d", pattern, len(out), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncWriter serialises the daemon's log writes into a strings.Builder.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestDraftFilingFailureQueuesDraft: when a rep's Maildir cannot be written
// the draft goes to the draft queue (to be retried) and the inquiry itself
// is delivered all the same.
func TestDraftFilingFailureQueuesDraft(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(testConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "not-a-dir")
	os.WriteFile(blocker, []byte("x"), 0o644)
	cfg.Drafts.Deliver = "maildir:" + blocker
	var logs strings.Builder
	d, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Shutdown(ctx)
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	}()
	if err := mtatest.SendSMTP(d.Addr().String(), "anna@sklep-rowery.example.pl", []string{"sales@everride-scooter.com"}, []byte(inquiry)); err != nil {
		t.Fatal(err)
	}
	waitMaildir(t, filepath.Join(dir, "mail", "*", "new", "*"), 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		metas, _ := filepath.Glob(filepath.Join(cfg.Drafts.QueueDir, "*.msg"))
		if len(metas) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d drafts in the draft queue, want 1", len(metas))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Every rep whose drafts go to a Maildir is filed directly, not only the
// first of those sharing a target.
func TestDraftRouterLocalMaildirs(t *testing.T) {
	cfg, err := config.Load(testConfig(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	_, local, err := newDraftRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != len(cfg.Supplier.Reps) {
		t.Errorf("%d reps filed directly, want all %d", len(local), len(cfg.Supplier.Reps))
	}
	for _, rep := range cfg.Supplier.Reps {
		if local[rep.Address] == nil {
			t.Errorf("rep %s not filed directly", rep.ID)
		}
	}
}
