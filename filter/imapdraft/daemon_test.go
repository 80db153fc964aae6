package imapdraft_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/imapdraft"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/server"
)

const inquiry = "From: Anna Nowak <anna@sklep-rowery.example.pl>\r\n" +
	"To: sales@everride-scooter.com\r\n" +
	"Subject: Zapytanie ofertowe ER-K200\r\n" +
	"Date: Mon, 12 May 2025 09:00:00 +0200\r\n" +
	"Message-ID: <q1@sklep-rowery.example.pl>\r\n" +
	"\r\n" +
	"Dear Sir or Madam,\r\n\r\nwe would like to order 1,000 pcs of ER-K200, FOB Ningbo, payment T/T.\r\n" +
	"Please send your quotation.\r\n\r\nBest regards,\r\nAnna Nowak\r\nPurchasing Manager\r\nSklep Rowery Sp. z o.o.\r\n" +
	"ul. Prosta 1, 00-001 Warszawa, Poland\r\nTel. +48 22 123 45 67\r\n"

// TestInquiryToDraftsFolder is the whole path in one go: an inquiry comes
// in over SMTP, leaves tagged for the mailbox, and its drafted reply is
// APPENDed by the draft queue to the rep's Drafts folder in a real Dovecot
// (logging in as the master user), where the rep's own login finds it.
func TestSMTPInquiryToDovecotDrafts(t *testing.T) {
	imapAddr, fetch := imapdraft.StartTestDovecot(t)
	dir := t.TempDir()
	cfg, err := config.Load(filepath.Join(mtatest.RepoRoot(t), "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SMTP.Listen = mtatest.FreeAddr(t)
	cfg.Metrics.Listen = ""
	cfg.Auth.Enabled = false
	cfg.Queue.Dir = filepath.Join(dir, "queue")
	cfg.Delivery.Downstream = "maildir:" + filepath.Join(dir, "mail")
	cfg.Drafts.QueueDir = filepath.Join(dir, "drafts-queue")
	cfg.Drafts.Templates = ""
	cfg.Drafts.Deliver = "imap://" + imapAddr
	cfg.Drafts.MasterUser = imapdraft.TestMaster
	cfg.Drafts.MasterPasswordEnv = "TRADESIFT_TEST_IMAP_MASTER"
	t.Setenv("TRADESIFT_TEST_IMAP_MASTER", imapdraft.TestMasterPassword)

	var logs strings.Builder
	d, err := server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
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

	// The inquiry reaches the mailbox with its headers.
	deadline := time.Now().Add(20 * time.Second)
	var delivered []byte
	for delivered == nil && time.Now().Before(deadline) {
		if ms, _ := mtatest.ReadMaildirs(filepath.Join(dir, "mail")); len(ms) > 0 {
			delivered = ms[0].Data
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(delivered), "X-Buyer-Type: sourcing\r\n") || !strings.Contains(string(delivered), "X-Buyer-Rep: lily.chen\r\n") {
		t.Fatalf("delivered inquiry:\n%s", delivered)
	}

	// The draft is in lily's \Drafts folder (named Brouillons on this
	// server), flagged \Draft, threaded to the inquiry.
	var msgs []*imapclientMsg
	for time.Now().Before(deadline) {
		if got := fetch("lily.chen@everride-scooter.com", "lily-secret", "Brouillons"); len(got) > 0 {
			for _, m := range got {
				msgs = append(msgs, &imapclientMsg{flags: m.Flags, env: m.Envelope})
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d drafts in lily's Drafts folder, want 1", len(msgs))
	}
	m := msgs[0]
	hasDraft := false
	for _, f := range m.flags {
		hasDraft = hasDraft || f == imap.FlagDraft
	}
	if !hasDraft {
		t.Errorf("draft flags %v lack \\Draft", m.flags)
	}
	if len(m.env.InReplyTo) != 1 || m.env.InReplyTo[0] != "q1@sklep-rowery.example.pl" {
		t.Errorf("In-Reply-To %v", m.env.InReplyTo)
	}
	if !strings.HasPrefix(m.env.Subject, "Re: ") || len(m.env.To) != 1 || m.env.To[0].Addr() != "anna@sklep-rowery.example.pl" {
		t.Errorf("draft envelope: subject %q to %v", m.env.Subject, m.env.To)
	}
	for {
		left, _ := os.ReadDir(cfg.Drafts.QueueDir)
		if countEntries(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("draft queue not empty after delivery")
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type imapclientMsg struct {
	flags []imap.Flag
	env   *imap.Envelope
}

func countEntries(ents []os.DirEntry) int {
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".msg") {
			n++
		}
	}
	return n
}
