package server

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/imapdraft"
)

// draftRouter delivers each draft the way its rep's [drafts] settings say:
// a Maildir per rep, an IMAP APPEND to the rep's Drafts, or a mail to the
// rep. Drafts are spooled with the rep's address as only recipient.
type draftRouter struct {
	byAddr map[string]deliver.Courier
	def    deliver.Courier
}

func newDraftRouter(cfg *config.Config) (*draftRouter, error) {
	r := &draftRouter{byAddr: map[string]deliver.Courier{}}
	def, err := courierFor(cfg, cfg.Drafts.Deliver, nil)
	if err != nil {
		return nil, fmt.Errorf("drafts.deliver: %w", err)
	}
	r.def = def
	for _, rep := range cfg.Supplier.Reps {
		dr := cfg.Drafts.Rep(rep.ID)
		c, err := courierFor(cfg, dr.Deliver, &rep)
		if err != nil {
			return nil, fmt.Errorf("drafts for rep %s: %w", rep.ID, err)
		}
		r.byAddr[strings.ToLower(rep.Address)] = c
	}
	return r, nil
}

func courierFor(cfg *config.Config, deliverTo string, rep *config.Rep) (deliver.Courier, error) {
	t, err := config.ParseTarget(deliverTo)
	if err != nil {
		return nil, err
	}
	if t.Scheme == "imap" {
		if rep == nil {
			// Needs a rep's login; only used through byAddr.
			return nil, nil
		}
		c, err := imapdraft.New(&cfg.Drafts, *rep)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return deliver.NewCourier(t, cfg.SMTP.Hostname, cfg.Delivery.Timeout.D())
}

func (r *draftRouter) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	errs := make([]error, len(rcpts))
	if len(rcpts) != 1 {
		for i := range errs {
			errs[i] = deliver.Permanent(fmt.Errorf("a draft goes to exactly one rep, not %d recipients", len(rcpts)))
		}
		return errs
	}
	c := r.byAddr[strings.ToLower(rcpts[0])]
	if c == nil {
		c = r.def
	}
	if c == nil {
		errs[0] = deliver.Permanent(fmt.Errorf("no draft delivery configured for %s", rcpts[0]))
		return errs
	}
	return c.Deliver(ctx, from, rcpts, msg)
}

func (r *draftRouter) String() string { return "drafts" }
