package draft

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/judge"
)

// recorder is a courier standing in for the SMTP downstream.
type recorder struct {
	rcpts [][]string
	msgs  [][]byte
}

func (r *recorder) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	b, _ := io.ReadAll(msg)
	r.rcpts = append(r.rcpts, rcpts)
	r.msgs = append(r.msgs, b)
	return make([]error, len(rcpts))
}

func TestRouterPerRepDelivery(t *testing.T) {
	sup := SampleSupplier()
	root := t.TempDir()
	d := &config.Drafts{
		Deliver: "maildir:" + root,
		Reps:    []config.DraftRep{{ID: "kevin.wang", Deliver: "smtp://127.0.0.1:2525"}},
	}
	smtp, maildir := &recorder{}, &recorder{}
	r, err := NewRouter(d, sup, func(rep config.Rep, tg config.Target) (deliver.Courier, error) {
		switch tg.Scheme {
		case "maildir":
			if tg.Address != root {
				t.Errorf("maildir target %q", tg.Address)
			}
			return maildir, nil
		case "smtp":
			return smtp, nil
		}
		t.Fatalf("unexpected target %+v", tg)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rd := newRenderer(t, "")
	dr, err := rd.Draft(SampleMessage(), judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: SampleFields("en")}, sup.Reps[0], testNow)
	if err != nil {
		t.Fatal(err)
	}
	errs := r.Deliver(context.Background(), "drafts@everride-scooter.com",
		[]string{"lily.chen@everride-scooter.com", "kevin.wang@everride-scooter.com", "nobody@example.com"}, bytes.NewReader(dr.Bytes))
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v", errs)
	}
	if errs[2] == nil || !deliver.IsPermanent(errs[2]) {
		t.Errorf("unknown recipient: %v, want permanent", errs[2])
	}

	// lily.chen: the draft as is, to her Maildir.
	if len(maildir.msgs) != 1 || strings.Join(maildir.rcpts[0], ",") != "lily.chen@everride-scooter.com" || !bytes.Equal(maildir.msgs[0], dr.Bytes) {
		t.Fatalf("maildir got %v", maildir.rcpts)
	}

	// kevin.wang: a note with the draft attached as message/rfc822.
	if len(smtp.msgs) != 1 || strings.Join(smtp.rcpts[0], ",") != "kevin.wang@everride-scooter.com" {
		t.Fatalf("smtp got %v", smtp.rcpts)
	}
	mr, err := mail.CreateReader(bytes.NewReader(smtp.msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := mr.Header.Subject(); s != "Draft: "+dr.Subject {
		t.Errorf("note subject %q", s)
	}
	if mr.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Error("note lacks Auto-Submitted")
	}
	var attached []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			if ct, _, _ := ah.ContentType(); ct == "message/rfc822" {
				attached, _ = io.ReadAll(p.Body)
			}
		}
	}
	if !bytes.Equal(bytes.TrimRight(attached, "\r\n"), bytes.TrimRight(dr.Bytes, "\r\n")) {
		t.Errorf("attached draft differs:\n%s", attached)
	}
}
