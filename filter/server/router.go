package server

import (
	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/imapdraft"
)

// newDraftRouter builds the draft queue's courier: each rep's drafts go
// the way its [drafts] settings say (Maildir, IMAP APPEND, or a mail).
func newDraftRouter(cfg *config.Config) (*draft.Router, error) {
	return draft.NewRouter(&cfg.Drafts, &cfg.Supplier, func(rep config.Rep, t config.Target) (deliver.Courier, error) {
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
			return &deliver.Maildir{Root: t.Address, Hostname: cfg.SMTP.Hostname, Folder: ".Drafts", Flags: "D"}, nil
		}
		return deliver.NewCourier(t, cfg.SMTP.Hostname, cfg.Delivery.Timeout.D())
	})
}
