package imapdraft

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
)

// renderDraft renders a Russian inquiry's reply with the embedded templates.
func renderDraft(t *testing.T) (*draft.Draft, *decode.Message) {
	t.Helper()
	sup := draft.SampleSupplier()
	r, err := draft.New("", sup)
	if err != nil {
		t.Fatal(err)
	}
	m := &decode.Message{
		Subject:    "Запрос: самокаты ER-K200",
		From:       decode.Address{Name: "Иван Петров", Addr: "ivan@samokat-opt.ru"},
		Date:       time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("", 3*3600)),
		HasDate:    true,
		MessageID:  "inq-42@samokat-opt.ru",
		References: []string{"earlier-1@samokat-opt.ru"},
		Text:       "Здравствуйте!\nНас интересует самокат ER-K200, 1800 шт., FOB Нинбо.",
	}
	q := 1800
	v := judge.Verdict{
		BuyerType: judge.Sourcing, Grade: "A", ReplyPlan: judge.PlanQuote, Rep: "lily.chen",
		Fields: draftFields(&q),
	}
	d, err := r.Draft(m, v, sup.Reps[0], time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

func draftFields(q *int) (f extract.Fields) {
	f.Models = []string{"ER-K200"}
	f.Quantity = q
	f.Company = "ООО «Самокат-Опт»"
	f.Contact = "Иван Петров"
	f.Country = "RU"
	f.Language = "ru"
	return f
}

func writeSecret(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(p, []byte(s+"\n"), 0o600))
	return p
}

// fetchDrafts logs in as user and returns the raw messages and flags of the
// folder with \Drafts.
func fetchDrafts(t *testing.T, d *dovecot, user, pass, folder string) []*imapclient.FetchMessageBuffer {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr, nil)
	must(t, err)
	defer c.Close()
	must(t, c.Login(user, pass).Wait())
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	sd, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDraft}}, nil).Wait()
	must(t, err)
	nums := sd.AllSeqNums()
	if len(nums) == 0 {
		return nil
	}
	msgs, err := c.Fetch(imap.SeqSetNum(nums...), &imap.FetchOptions{
		Flags: true, Envelope: true, BodySection: []*imap.FetchItemBodySection{{}},
	}).Collect()
	must(t, err)
	return msgs
}

func TestAppendDraftToSpecialUseFolder(t *testing.T) {
	dc := startDovecot(t)
	dr, inq := renderDraft(t)
	c := &Courier{
		Addr:     dc.addr,
		Username: "lily.chen@everride-scooter.com",
		Password: Secret{File: writeSecret(t, "lily-secret")},
	}
	errs := c.Deliver(context.Background(), dr.From, []string{dr.From}, bytes.NewReader(dr.Bytes))
	if len(errs) != 1 || errs[0] != nil {
		t.Fatalf("Deliver: %v", errs)
	}

	// Not in the decoy folder named Drafts: SPECIAL-USE wins.
	if got := fetchDrafts(t, dc, "lily.chen@everride-scooter.com", "lily-secret", "Drafts"); len(got) != 0 {
		t.Fatalf("draft went to the folder named Drafts, not the \\Drafts one")
	}
	msgs := fetchDrafts(t, dc, "lily.chen@everride-scooter.com", "lily-secret", "Brouillons")
	if len(msgs) != 1 {
		t.Fatalf("got %d drafts in Brouillons, want 1", len(msgs))
	}
	msg := msgs[0]
	hasDraft := false
	for _, f := range msg.Flags {
		if f == imap.FlagDraft {
			hasDraft = true
		}
	}
	if !hasDraft {
		t.Errorf("flags %v lack \\Draft", msg.Flags)
	}
	env := msg.Envelope
	if env.Subject != "Re: Запрос: самокаты ER-K200" {
		t.Errorf("envelope subject %q", env.Subject)
	}
	if env.MessageID != dr.MessageID {
		t.Errorf("Message-ID %q, want %q", env.MessageID, dr.MessageID)
	}
	if len(env.InReplyTo) != 1 || env.InReplyTo[0] != inq.MessageID {
		t.Errorf("In-Reply-To %v, want %s", env.InReplyTo, inq.MessageID)
	}
	if len(env.To) != 1 || env.To[0].Addr() != "ivan@samokat-opt.ru" {
		t.Errorf("To %v", env.To)
	}
	if len(env.From) != 1 || env.From[0].Addr() != "lily.chen@everride-scooter.com" {
		t.Errorf("From %v", env.From)
	}

	raw := msg.BodySection[0].Bytes
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	must(t, err)
	refs, _ := mr.Header.MsgIDList("References")
	if strings.Join(refs, " ") != "earlier-1@samokat-opt.ru inq-42@samokat-opt.ru" {
		t.Errorf("References %v", refs)
	}
	p, err := mr.NextPart()
	must(t, err)
	ct, params, _ := p.Header.(*mail.InlineHeader).ContentType()
	if ct != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %s %v", ct, params)
	}
	body, err := io.ReadAll(p.Body) // decoded from QP/base64 and the charset
	must(t, err)
	for _, want := range []string{"> Нас интересует самокат ER-K200, 1800 шт., FOB Нинбо.", "Lily Chen"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("decoded body lacks %q:\n%s", want, body)
		}
	}
	if dr.Lang == "ru" && !strings.Contains(string(body), "Здравствуйте, Иван Петров!") {
		t.Errorf("Russian draft without Russian greeting:\n%s", body)
	}
}

// Without any \Drafts attribute the courier uses the folder named Drafts,
// creating it when missing.
func TestFallbackFolderIsCreated(t *testing.T) {
	dc := startDovecotWith(t, "namespace inbox {\n  inbox = yes\n}")
	dr, _ := renderDraft(t)
	c := &Courier{
		Addr:     dc.addr,
		Username: "lily.chen@everride-scooter.com",
		Password: Secret{File: writeSecret(t, "lily-secret")},
	}
	for i := 0; i < 2; i++ { // the second time the folder exists
		if err := c.Append(context.Background(), bytes.NewReader(dr.Bytes)); err != nil {
			t.Fatal(err)
		}
	}
	if got := fetchDrafts(t, dc, "lily.chen@everride-scooter.com", "lily-secret", "Drafts"); len(got) != 2 {
		t.Fatalf("got %d drafts in Drafts, want 2", len(got))
	}
}

func TestMasterUserOverStartTLS(t *testing.T) {
	dc := startDovecot(t)
	dr, _ := renderDraft(t)
	t.Setenv("TEST_IMAP_MASTER", testMasterPassword)
	c := &Courier{
		Addr:           dc.addr,
		StartTLS:       true,
		TLSConfig:      dc.tlsConfig(),
		Username:       "kevin.wang@everride-scooter.com",
		MasterUser:     testMaster,
		MasterPassword: Secret{Env: "TEST_IMAP_MASTER"},
	}
	if err := c.Append(context.Background(), bytes.NewReader(dr.Bytes)); err != nil {
		t.Fatal(err)
	}
	if got := fetchDrafts(t, dc, "kevin.wang@everride-scooter.com", "kevin-secret", "Brouillons"); len(got) != 1 {
		t.Fatalf("got %d drafts for kevin.wang, want 1", len(got))
	}
}

func TestImplicitTLSFromConfig(t *testing.T) {
	dc := startDovecot(t)
	dr, _ := renderDraft(t)
	cfg := &config.Drafts{
		Deliver:   "maildir:/nonexistent",
		Folder:    "Drafts",
		TLSCAFile: dc.caFile,
		Reps: []config.DraftRep{{
			ID: "lily.chen", Deliver: "imaps://" + dc.tlsAddr,
			PasswordFile: writeSecret(t, "lily-secret"),
		}},
	}
	sup := draft.SampleSupplier()
	c, err := New(cfg, sup.Reps[0])
	must(t, err)
	if !c.TLS || c.Username != "lily.chen@everride-scooter.com" {
		t.Fatalf("courier from config: %+v", c)
	}
	if err := c.Append(context.Background(), bytes.NewReader(dr.Bytes)); err != nil {
		t.Fatal(err)
	}
	if got := fetchDrafts(t, dc, "lily.chen@everride-scooter.com", "lily-secret", "Brouillons"); len(got) != 1 {
		t.Fatalf("got %d drafts, want 1", len(got))
	}
	// A rep without an imap target gets no IMAP courier.
	if _, err := New(cfg, sup.Reps[1]); err == nil {
		t.Error("New for a maildir rep: no error")
	}
}

func TestFailuresAreClassified(t *testing.T) {
	dc := startDovecot(t)
	msg := "Subject: x\r\n\r\nx\r\n"
	ctx := context.Background()

	wrong := &Courier{Addr: dc.addr, Username: "lily.chen@everride-scooter.com", Password: Secret{File: writeSecret(t, "wrong")}}
	if err := wrong.Append(ctx, strings.NewReader(msg)); err == nil || !deliver.IsPermanent(err) {
		t.Errorf("wrong password: %v, want a permanent error", err)
	}
	badMaster := &Courier{Addr: dc.addr, Username: "lily.chen@everride-scooter.com", MasterUser: testMaster, MasterPassword: Secret{File: writeSecret(t, "nope")}}
	if err := badMaster.Append(ctx, strings.NewReader(msg)); err == nil || !deliver.IsPermanent(err) {
		t.Errorf("wrong master password: %v, want a permanent error", err)
	}
	noSecret := &Courier{Addr: dc.addr, Username: "lily.chen@everride-scooter.com", Password: Secret{Env: "TRADESIFT_TEST_UNSET_VARIABLE"}}
	if err := noSecret.Append(ctx, strings.NewReader(msg)); err == nil || !deliver.IsPermanent(err) {
		t.Errorf("missing secret: %v, want a permanent error", err)
	}
	closed := &Courier{Addr: "127.0.0.1:" + strconv.Itoa(freePort(t)), Username: "x", Password: Secret{File: writeSecret(t, "x")}}
	if err := closed.Append(ctx, strings.NewReader(msg)); err == nil || deliver.IsPermanent(err) {
		t.Errorf("connection refused: %v, want a temporary error", err)
	}
	// A server that accepts the connection and never speaks: the deadline
	// ends the attempt, temporarily.
	mute := &Courier{Addr: dc.addr, TLS: true, TLSConfig: dc.tlsConfig(), Username: "x", Password: Secret{File: writeSecret(t, "x")}}
	tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := mute.Append(tctx, strings.NewReader(msg)); err == nil || deliver.IsPermanent(err) {
		t.Errorf("TLS to a plain port: %v, want a temporary error", err)
	}
}

// The [drafts] section's IMAP settings are checked with the rest of the
// configuration (file:line problems).
func TestDraftsConfigProblems(t *testing.T) {
	example, err := os.ReadFile("../../config.example.toml")
	must(t, err)
	parse := func(extra string) error {
		_, err := config.Parse("test.toml", append(append([]byte(nil), example...), extra...))
		return err
	}
	if err := parse(""); err != nil {
		t.Fatalf("example config: %v", err)
	}
	ok := `
[[drafts.rep]]
id = "lily.chen"
deliver = "imaps://imap.example.com:993"
password_env = "LILY_IMAP"
`
	if err := parse(ok); err != nil {
		t.Errorf("valid per-rep imap: %v", err)
	}
	for _, c := range []struct{ extra, want string }{
		{"\n[[drafts.rep]]\nid = \"nobody\"\n", `no [[supplier.rep]] has id "nobody"`},
		{"\n[[drafts.rep]]\nid = \"lily.chen\"\ndeliver = \"imap://h:143\"\n", "imap delivery needs password_file, password_env or a master_user"},
		{"\n[[drafts.rep]]\nid = \"lily.chen\"\ndeliver = \"imap://h:143\"\npassword_file = \"/a\"\npassword_env = \"B\"\n", "not both"},
		{"\n[[drafts.rep]]\nid = \"lily.chen\"\ndeliver = \"pop3://h:110\"\npassword_env = \"B\"\n", "unknown scheme"},
		{"\n[[drafts.rep]]\nid = \"lily.chen\"\nusername = \"lily*admin\"\n", "no spaces or '*'"},
		{"\n[[drafts.rep]]\nid = \"lily.chen\"\nlogin = \"x\"\n", `unknown key "drafts.rep.login"`},
	} {
		err := parse(c.extra)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.extra, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), "test.toml:") {
			t.Errorf("%q: no file:line in %v", c.extra, err)
		}
	}
	// drafts.deliver over IMAP for every rep needs a master user.
	noMaster := strings.Replace(string(example), `deliver = "maildir:./var/drafts"`, `deliver = "imaps://imap.example.com:993"`, 1)
	if _, err := config.Parse("test.toml", []byte(noMaster)); err == nil || !strings.Contains(err.Error(), "no master_user") {
		t.Errorf("imap for all reps without master: %v", err)
	}
	withMaster := strings.Replace(noMaster, `# master_user = "tradesift"`, "master_user = \"tradesift\"\nmaster_password_env = \"M\"", 1)
	if _, err := config.Parse("test.toml", []byte(withMaster)); err != nil {
		t.Errorf("imap for all reps with master: %v", err)
	}
}
