package draft

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
)

// Router is the courier of the draft queue: it hands each recipient (a
// rep's address) to that rep's courier, so one queue serves reps with
// different delivery settings ([[drafts.rep]] deliver).
type Router struct {
	byRcpt map[string]deliver.Courier
	// Default takes recipients no rep matches; nil fails them permanently.
	Default deliver.Courier
}

// Dialer makes the courier for one rep's delivery target: a Maildir
// (deliver.Maildir), an SMTP courier (deliver.SMTP) or an IMAP one
// (imapdraft.New). The Router wraps SMTP couriers in Forward itself.
type Dialer func(rep config.Rep, t config.Target) (deliver.Courier, error)

// NewRouter builds the couriers of every rep of the supplier from the
// [drafts] section. Reps with the same target share one courier.
func NewRouter(d *config.Drafts, sup *config.Supplier, dial Dialer) (*Router, error) {
	r := &Router{byRcpt: map[string]deliver.Courier{}}
	shared := map[string]deliver.Courier{}
	for _, rep := range sup.Reps {
		dr := d.Rep(rep.ID)
		t, err := config.ParseTarget(dr.Deliver)
		if err != nil {
			return nil, fmt.Errorf("drafts for %s: %w", rep.ID, err)
		}
		key := dr.Deliver
		if t.Scheme == "imap" {
			key = "" // credentials differ per rep
		}
		c := shared[key]
		if c == nil || key == "" {
			c, err = dial(rep, t)
			if err != nil {
				return nil, fmt.Errorf("drafts for %s: %w", rep.ID, err)
			}
			if t.Scheme == "smtp" || t.Scheme == "lmtp" {
				c = &Forward{Next: c}
			}
			if key != "" {
				shared[key] = c
			}
		}
		r.byRcpt[strings.ToLower(rep.Address)] = c
	}
	return r, nil
}

// Deliver groups rcpts by courier and returns one error per recipient.
func (r *Router) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	errs := make([]error, len(rcpts))
	body, err := io.ReadAll(msg)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	type group struct {
		c   deliver.Courier
		idx []int
	}
	var groups []*group
	find := func(c deliver.Courier) *group {
		for _, g := range groups {
			if g.c == c {
				return g
			}
		}
		g := &group{c: c}
		groups = append(groups, g)
		return g
	}
	for i, rc := range rcpts {
		c := r.byRcpt[strings.ToLower(rc)]
		if c == nil {
			c = r.Default
		}
		if c == nil {
			errs[i] = deliver.Permanent(fmt.Errorf("drafts: %s is no rep's address", rc))
			continue
		}
		g := find(c)
		g.idx = append(g.idx, i)
	}
	for _, g := range groups {
		sub := make([]string, len(g.idx))
		for j, i := range g.idx {
			sub[j] = rcpts[i]
		}
		res := g.c.Deliver(ctx, from, sub, bytes.NewReader(body))
		for j, i := range g.idx {
			if j < len(res) {
				errs[i] = res[j]
			}
		}
	}
	return errs
}

// Forward delivers a draft by mail: the rep gets a short note with the
// draft attached as message/rfc822, ready to open, edit and send. Next is
// the SMTP courier (deliver.SMTP) towards the rep's mail server.
type Forward struct {
	Next deliver.Courier
	// From is the note's sender; empty uses the envelope sender.
	From string
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// Deliver wraps msg and passes it to Next.
func (f *Forward) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	draft, err := io.ReadAll(msg)
	if err == nil {
		var note []byte
		note, err = f.Wrap(draft, from, rcpts)
		if err == nil {
			return f.Next.Deliver(ctx, from, rcpts, bytes.NewReader(note))
		}
	}
	errs := make([]error, len(rcpts))
	for i := range errs {
		errs[i] = deliver.Permanent(fmt.Errorf("drafts: wrapping draft: %w", err))
	}
	return errs
}

// Wrap builds the note carrying draft for rcpts.
func (f *Forward) Wrap(draft []byte, from string, rcpts []string) ([]byte, error) {
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(draft)))
	if err != nil {
		return nil, err
	}
	dh := mail.Header{Header: message.Header{Header: th}}
	subject, _ := dh.Subject()
	to := dh.Get("To")
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	sender := f.From
	if sender == "" {
		sender = from
	}

	var h mail.Header
	h.SetDate(now())
	h.SetAddressList("From", []*mail.Address{{Name: "tradesift drafts", Address: sender}})
	var tos []*mail.Address
	for _, r := range rcpts {
		tos = append(tos, &mail.Address{Address: r})
	}
	h.SetAddressList("To", tos)
	h.SetSubject(truncRunes("Draft: "+subject, maxSubject))
	if err := h.GenerateMessageID(); err != nil {
		return nil, err
	}
	h.Set("Auto-Submitted", "auto-generated") // RFC 3834: never auto-answer it

	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var th2 mail.InlineHeader
	th2.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	tw, err := w.CreateSingleInline(th2)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(tw, "A drafted reply to %s is attached: open it, complete the [[…]] blanks, and send it from your mailbox.\n", clean(to))
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", "message/rfc822")
	ah.Set("Content-Disposition", "attachment; filename=draft.eml")
	ah.Set("Content-Transfer-Encoding", "8bit")
	aw, err := w.CreateAttachment(ah)
	if err != nil {
		return nil, err
	}
	if _, err := aw.Write(draft); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
