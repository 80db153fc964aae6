// Package pipeline is a message's whole path through the filter, readable
// top to bottom: decode, authenticate, read the sender's traits, extract
// the fields, judge the buyer, write the headers, queue a draft. Each step
// is a call into its own package. It runs on spooled mail in the delivery
// path (SMTP clients never wait for it) and offline in `tradesift classify`.
//
// Nothing here may lose or block a message: a step that fails or panics is
// recorded as a signal and the message goes on untagged.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"time"

	"github.com/tradesift/tradesift/filter/auth"
	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/filter/sender"
	"github.com/tradesift/tradesift/filter/spool"
	"github.com/tradesift/tradesift/filter/tag"
)

// Opener opens the raw message again; steps that need the bytes (DKIM)
// read them afresh.
type Opener func() (io.ReadCloser, error)

// DraftSink receives the drafted reply of an inquiry.
type DraftSink interface {
	QueueDraft(ctx context.Context, m *decode.Message, v judge.Verdict) error
}

// Pipeline holds what the steps need, built once per configuration.
type Pipeline struct {
	cfg     *config.Config
	extract *extract.Extractor
	judge   *judge.Judge
	auth    *auth.Checker
	known   *sender.Known // the supplier's domains, prepared once
	drafts  DraftSink
	log     *slog.Logger
	metrics *Metrics
	cpu     chan struct{} // nil: unbounded
}

// WithMetrics makes p count its decisions in m; it returns p.
func (p *Pipeline) WithMetrics(m *Metrics) *Pipeline {
	p.metrics = m
	return p
}

// WithCPUSlots bounds the messages whose CPU-bound steps (decoding,
// extraction, judging) run at once to cap(slots); it returns p. The
// steps that wait (DNS lookups for authentication, filing the draft)
// run outside a slot, so a slow resolver or disk never holds up the
// judging of other messages. Pipelines built for a reload share the
// daemon's channel.
func (p *Pipeline) WithCPUSlots(slots chan struct{}) *Pipeline {
	p.cpu = slots
	return p
}

// enter takes a CPU slot; leave gives it back.
func (p *Pipeline) enter() {
	if p.cpu != nil {
		p.cpu <- struct{}{}
	}
}

func (p *Pipeline) leave() {
	if p.cpu != nil {
		<-p.cpu
	}
}

// New builds the steps for cfg. drafts may be nil (no drafts queued).
func New(cfg *config.Config, ch *auth.Checker, drafts DraftSink, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x, err := extract.New(&cfg.Supplier)
	if err != nil {
		return nil, fmt.Errorf("extraction: %w", err)
	}
	j, err := judge.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return &Pipeline{cfg: cfg, extract: x, judge: j, auth: ch, known: sender.Prepare(&cfg.Supplier), drafts: drafts, log: log}, nil
}

// Result is everything the pipeline found about one message.
type Result struct {
	Message *decode.Message
	Auth    auth.Result
	Sender  []string
	Verdict judge.Verdict
	// Extra are signal tokens that are not the classifier's: decode
	// problems, authentication failures, errors of a step.
	Extra []string
	// Header is the block to prepend: Authentication-Results, then the
	// X-Buyer-* headers. CRLF line ends.
	Header []byte
}

// Analyze runs every step on the message that open returns. It never fails:
// what goes wrong is in Result.Extra.
func (p *Pipeline) Analyze(ctx context.Context, env spool.Envelope, open Opener) (res Result) {
	res.Verdict = judge.Verdict{BuyerType: judge.None}
	// No escape on ctx while waiting for a slot: a message must not go
	// out untagged because it waited; the CPU steps are bounded, so a
	// slot frees soon.
	held := true
	p.enter()
	defer func() {
		defer func() {
			if held {
				p.leave()
			}
		}()
		if r := recover(); r != nil {
			p.log.Error("classifier panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res.Verdict = judge.Verdict{BuyerType: judge.None}
			res.Extra = append(res.Extra, "classifier-error")
		}
		res.Header = append([]byte(res.Auth.HeaderLine), tag.Block(res.Verdict, res.Extra)...)
		if p.cfg.Classify.SubjectTag && res.Message != nil && res.Verdict.Grade != "" {
			res.Header = append(res.Header, tag.Subject(res.Message.Header, res.Verdict.Grade)...)
		}
	}()

	rc, err := open()
	if err != nil {
		res.Extra = append(res.Extra, "unreadable")
		return res
	}
	m, err := decode.Parse(rc, decode.Limits{})
	rc.Close()
	if err != nil {
		res.Extra = append(res.Extra, "undecodable")
		return res
	}
	res.Message = m
	res.Extra = append(res.Extra, m.Problems...)

	held = false
	p.leave() // DNS lookups wait; they need no CPU slot
	res.Auth = p.authenticate(ctx, env, m, open)
	p.enter()
	held = true
	res.Sender = p.known.Analyze(m, res.Auth.DKIMDomains)
	fields := p.extract.Extract(m)
	senderSignals := append(slices.Clone(res.Sender), res.Auth.Signals...)
	res.Verdict = p.judge.Judge(m, fields, senderSignals)
	if res.Verdict.BuyerType != judge.None {
		// Each sender trait is reported by name, whether or not it
		// changed the verdict; non-inquiries carry none of this.
		res.Extra = append(res.Extra, senderSignals...)
	}
	return res
}

func (p *Pipeline) authenticate(ctx context.Context, env spool.Envelope, m *decode.Message, open Opener) auth.Result {
	if p.auth == nil {
		return auth.Result{DKIM: auth.NotChecked, SPF: auth.NotChecked, DMARC: auth.NotChecked}
	}
	in := auth.Input{ClientIP: net.ParseIP(env.ClientIP), Helo: env.Helo, MailFrom: env.From, Header: m.Header}
	if auth.IsTrusted(in.ClientIP, p.cfg.Auth.TrustedRelays) {
		ip, helo, ok := auth.ClientFromReceived(m.Header, p.cfg.Auth.TrustedRelays)
		if !ok {
			// Our trusted MTA's own mail (bounces, local submissions):
			// there is no outside client to check SPF against.
			ip, helo = nil, ""
		}
		in.ClientIP, in.Helo = ip, helo
	}
	rc, err := open()
	if err != nil {
		return auth.Result{}
	}
	defer rc.Close()
	return p.auth.Check(ctx, in, rc)
}

// Prepare is the delivery queue's hook: it runs once per message before
// its first delivery attempt and returns the header block to prepend. It
// also queues the draft of an inquiry. Bounces and drafts pass untouched.
func (p *Pipeline) Prepare(ctx context.Context, id string, env spool.Envelope, open Opener) []byte {
	if env.Kind != "" {
		return nil
	}
	start := time.Now()
	res := p.Analyze(ctx, env, open)
	v := res.Verdict
	elapsed := time.Since(start)
	p.log.Info("classified", "id", id, "buyer_type", v.BuyerType, "grade", v.Grade, "plan", v.ReplyPlan,
		"rep", v.Rep, "signals", len(v.Signals), "extra", res.Extra, "elapsed", elapsed.Round(time.Microsecond))
	if p.metrics != nil {
		p.metrics.classified.WithLabelValues(v.BuyerType, v.Grade, v.ReplyPlan).Inc()
		p.metrics.seconds.Observe(elapsed.Seconds())
	}
	if p.drafts != nil && res.Message != nil && p.wantsDraft(v) {
		result := "queued"
		if err := p.drafts.QueueDraft(ctx, res.Message, v); err != nil {
			// A draft failure never holds up the inquiry itself.
			p.log.Error("draft not queued", "id", id, "err", err)
			result = "failed"
		}
		if p.metrics != nil {
			p.metrics.drafts.WithLabelValues(result).Inc()
		}
	}
	return res.Header
}

func (p *Pipeline) wantsDraft(v judge.Verdict) bool {
	return v.BuyerType != judge.None && v.Grade != "" && slices.Contains(p.cfg.Drafts.Grades, v.Grade)
}
