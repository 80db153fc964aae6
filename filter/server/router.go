package server

import (
	"strings"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/imapdraft"
)

// newDraftRouter builds the draft queue's courier: each rep's drafts go
// the way its [drafts] settings say (Maildir, IMAP APPEND, or a mail). It
// also returns the Maildir couriers by rep address (lower case): drafts for
// those reps are filed at once, without a trip through the draft queue.
func newDraftRouter(cfg *config.Config) (*draft.Router, map[string]deliver.Courier, error) {
	maildirs := map[string]*deliver.Maildir{} // by target, shared as the Router shares
	maildirFor := func(t config.Target) *deliver.Maildir {
		m := maildirs[t.Address]
		if m == nil {
			m = deliver.NewMaildir(t.Address, cfg.SMTP.Hostname, cfg.Queue.Sync == "syncfs")
			m.Folder, m.Flags = ".Drafts", "D"
			maildirs[t.Address] = m
		}
		return m
	}
	r, err := draft.NewRouter(&cfg.Drafts, &cfg.Supplier, func(rep config.Rep, t config.Target) (deliver.Courier, error) {
		switch t.Scheme {
		case "imap":
			c, err := imapdraft.New(&cfg.Drafts, rep)
			if err != nil {
				return nil, err
			}
			return c, nil
		case "maildir":
			// Drafts are filed as Dovecot reads them: in the rep's
			// Maildir++ Drafts folder, flagged \Draft.
			return maildirFor(t), nil
		}
		return newCourier(cfg, t)
	})
	if err != nil {
		return nil, nil, err
	}
	local := map[string]deliver.Courier{}
	for _, rep := range cfg.Supplier.Reps {
		if t, err := config.ParseTarget(cfg.Drafts.Rep(rep.ID).Deliver); err == nil && t.Scheme == "maildir" {
			local[strings.ToLower(rep.Address)] = maildirFor(t)
		}
	}
	return r, local, nil
}
