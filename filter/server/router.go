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
	local := map[string]deliver.Courier{}
	r, err := draft.NewRouter(&cfg.Drafts, &cfg.Supplier, func(rep config.Rep, t config.Target) (deliver.Courier, error) {
		if t.Scheme == "imap" {
			c, err := imapdraft.New(&cfg.Drafts, rep)
			if err != nil {
				return nil, err
			}
			return c, nil
		}
		if t.Scheme == "maildir" {
			// Drafts are filed as Dovecot reads them: in the rep's
			// Maildir++ Drafts folder, flagged \Draft.
			m := &deliver.Maildir{Root: t.Address, Hostname: cfg.SMTP.Hostname, Folder: ".Drafts", Flags: "D"}
			local[strings.ToLower(rep.Address)] = m
			return m, nil
		}
		return deliver.NewCourier(t, cfg.SMTP.Hostname, cfg.Delivery.Timeout.D())
	})
	return r, local, err
}
