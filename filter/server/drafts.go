package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/filter/spool"
)

// draftSink renders an inquiry's reply. A draft for a rep whose drafts go
// to a local Maildir is filed there at once (a durable local write); any
// other draft, or one whose filing failed, is spooled in the drafts queue,
// which has its own spool and retries: a draft that cannot be delivered
// never holds up the inquiry.
type draftSink struct {
	renderer *atomic.Pointer[draft.Renderer]
	supplier *atomic.Pointer[config.Supplier]
	local    map[string]deliver.Courier // by rep address, lower case
	spool    *spool.Spool
	kick     func(id string)
	log      *slog.Logger
}

func (d *draftSink) QueueDraft(ctx context.Context, m *decode.Message, v judge.Verdict) error {
	sup := d.supplier.Load()
	rep := sup.RepByID(v.Rep)
	if rep == nil {
		rep = sup.RepByID(sup.DefaultRep)
	}
	if rep == nil {
		return fmt.Errorf("no rep %q and no default rep configured", v.Rep)
	}
	dr, err := d.renderer.Load().Draft(m, v, *rep, time.Now())
	if err != nil {
		return err
	}
	if c := d.local[strings.ToLower(rep.Address)]; c != nil {
		errs := c.Deliver(ctx, "", []string{rep.Address}, bytes.NewReader(dr.Bytes))
		if len(errs) == 1 && errs[0] == nil {
			d.log.Info("draft filed", "rep", rep.ID, "relay", fmt.Sprint(c), "template", dr.Template, "lang", dr.Lang, "inquiry", m.MessageID)
			return nil
		}
		d.log.Warn("draft not filed; queueing it", "rep", rep.ID, "err", errs)
	}
	env := spool.Envelope{From: "", Rcpts: []string{rep.Address}, Received: time.Now(), Kind: "draft"}
	id, err := d.spool.Store(env, bytes.NewReader(dr.Bytes))
	if err != nil {
		return err
	}
	d.log.Info("draft queued", "draft_id", id, "rep", rep.ID, "template", dr.Template, "lang", dr.Lang, "inquiry", m.MessageID)
	d.kick(id)
	return nil
}
