package deliver

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradesift/tradesift/filter/dsn"
	"github.com/tradesift/tradesift/filter/headers"
	"github.com/tradesift/tradesift/filter/spool"
)

// PrepareFunc computes the header block prepended to a message on delivery
// (e.g. X-Buyer-* and Authentication-Results lines, CRLF-terminated; nil or
// empty for none). It is called once per message, before the first
// attempt, and its result is stored in the spool (spool.SetHeader) so
// retries and restarts send the same bytes. body opens the message as
// received. A panic in it is logged and the message goes on with no header
// block.
type PrepareFunc func(ctx context.Context, id string, env spool.Envelope, body func() (io.ReadCloser, error)) []byte

// Options configure a Queue. Zero values get Postfix-like defaults.
type Options struct {
	// Workers bounds the deliveries in flight (default 20).
	Workers int
	// MinBackoff is the delay after the first transient failure; it
	// doubles per attempt up to MaxBackoff (defaults 300s and 4000s, as
	// Postfix's minimal_backoff_time and maximal_backoff_time).
	MinBackoff, MaxBackoff time.Duration
	// MaxLifetime: a message still undelivered this long after it was
	// spooled is bounced at its next transient failure (default 5 days,
	// Postfix's maximal_queue_lifetime).
	MaxLifetime time.Duration
	// Timeout bounds one attempt (default 2 minutes).
	Timeout time.Duration
	// Hostname is our name in bounces (Reporting-MTA).
	Hostname string
	// BounceFrom is the From: header of bounces (default
	// MAILER-DAEMON@Hostname); their envelope sender is always null.
	BounceFrom string
	// Prepare computes the header block; nil means none.
	Prepare PrepareFunc
	Logger  *slog.Logger
	// Registry gets the queue's metrics; nil: not registered.
	Registry prometheus.Registerer
	// RestartDelay spreads the first attempts of the entries found by
	// Start over [0, RestartDelay) (default 2s), so a restart does not
	// stampede the downstream.
	RestartDelay time.Duration
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = 20
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 300 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(4000*time.Second, o.MinBackoff)
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = 5 * 24 * time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Hostname == "" {
		o.Hostname = "localhost"
	}
	if o.BounceFrom == "" {
		o.BounceFrom = "MAILER-DAEMON@" + o.Hostname
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RestartDelay <= 0 {
		o.RestartDelay = 2 * time.Second
	}
}

// Queue delivers spooled messages. One scheduler goroutine keeps every
// entry's next attempt time in a heap and wakes on a kick, a finished
// attempt or a timer; it starts at most Workers attempts at once (as mox's
// queue does, not a sleeping goroutine per message).
type Queue struct {
	sp      *spool.Spool
	courier Courier
	opt     Options
	log     *slog.Logger
	m       *metrics

	mu     sync.Mutex
	kicked []kick
	wake   chan struct{} // capacity 1: "kicked is not empty"

	done      chan result
	stop      chan struct{}
	schedDone chan struct{}
	attempts  sync.WaitGroup
	ctx       context.Context // parent of attempts; cancelled by a hurried Stop
	cancel    context.CancelFunc
	startOnce sync.Once
	stopOnce  sync.Once
}

type kick struct {
	id string
	at time.Time // zero: now
}

type result struct {
	id   string
	next time.Time
	gone bool // delivered or bounced: removed from the spool
}

// New returns a queue over sp delivering through c. Call Start.
func New(sp *spool.Spool, c Courier, opt Options) *Queue {
	opt.defaults()
	return &Queue{
		sp:        sp,
		courier:   c,
		opt:       opt,
		log:       opt.Logger,
		m:         newMetrics(opt.Registry),
		wake:      make(chan struct{}, 1),
		done:      make(chan result),
		stop:      make(chan struct{}),
		schedDone: make(chan struct{}),
	}
}

// Start schedules every entry in the spool (resuming after a restart or a
// kill -9: entries never tried, or whose attempt was cut short, within
// RestartDelay; deferred ones at their stored next attempt time) and
// starts the scheduler. Cancelling ctx cancels
// attempts in flight.
func (q *Queue) Start(ctx context.Context) error {
	ids, err := q.sp.List()
	if err != nil {
		return err
	}
	now := time.Now()
	var ks []kick
	for _, id := range ids {
		at := now.Add(time.Duration(rand.Float64() * float64(q.opt.RestartDelay)))
		if e, err := q.sp.Load(id); err == nil && !e.State.InFlight {
			if next := nextPending(e.State); next.After(at) {
				at = next
			}
		}
		ks = append(ks, kick{id, at})
	}
	q.startOnce.Do(func() {
		q.ctx, q.cancel = context.WithCancel(ctx)
		q.mu.Lock()
		q.kicked = append(ks, q.kicked...)
		q.mu.Unlock()
		q.signal()
		go q.run()
	})
	q.log.Info("queue started", "entries", len(ids))
	return nil
}

// nextPending is the earliest next attempt of a recipient that was tried
// already; zero if none.
func nextPending(st spool.State) time.Time {
	var next time.Time
	for _, r := range st.Rcpts {
		if r.Status == spool.Pending && r.Attempts > 0 && (next.IsZero() || r.NextAttempt.Before(next)) {
			next = r.NextAttempt
		}
	}
	return next
}

// Kick asks for an attempt on id now (a message was just spooled). It
// never blocks.
func (q *Queue) Kick(id string) {
	q.mu.Lock()
	q.kicked = append(q.kicked, kick{id: id})
	q.mu.Unlock()
	q.signal()
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Stop stops scheduling and waits for attempts in flight; if ctx ends
// first, they are cancelled (their state is saved as a transient failure)
// and waited for. Spooled entries stay for the next Start.
func (q *Queue) Stop(ctx context.Context) error {
	q.stopOnce.Do(func() { close(q.stop) })
	if q.cancel == nil {
		return nil // never started
	}
	<-q.schedDone
	idle := make(chan struct{})
	go func() { q.attempts.Wait(); close(idle) }()
	select {
	case <-idle:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-idle
		return ctx.Err()
	}
}

// item is one entry known to the scheduler.
type item struct {
	id      string
	next    time.Time
	running bool
	rekick  bool // kicked while running: try again right after
	index   int  // in the heap; -1 when not in it
}

type schedule []*item

func (h schedule) Len() int           { return len(h) }
func (h schedule) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h schedule) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *schedule) Push(x any) { it := x.(*item); it.index = len(*h); *h = append(*h, it) }
func (h *schedule) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	it.index = -1
	return it
}

func (q *Queue) run() {
	defer close(q.schedDone)
	items := map[string]*item{}
	var h schedule
	busy := 0
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		for busy < q.opt.Workers && len(h) > 0 && !h[0].next.After(now) {
			it := heap.Pop(&h).(*item)
			it.running = true
			busy++
			q.attempts.Add(1)
			go func(id string) {
				defer q.attempts.Done()
				r := q.attempt(id)
				select {
				case q.done <- r:
				case <-q.schedDone:
				}
			}(it.id)
		}
		timer.Stop()
		if len(h) > 0 && busy < q.opt.Workers {
			timer.Reset(max(time.Until(h[0].next), time.Millisecond))
		}
		q.m.queueSize.Set(float64(len(items)))

		select {
		case <-q.stop:
			return
		case <-timer.C:
		case <-q.wake:
			q.mu.Lock()
			ks := q.kicked
			q.kicked = nil
			q.mu.Unlock()
			now := time.Now()
			for _, k := range ks {
				at := k.at
				if at.IsZero() {
					at = now
				}
				it := items[k.id]
				switch {
				case it == nil:
					it = &item{id: k.id, next: at}
					items[k.id] = it
					heap.Push(&h, it)
				case it.running:
					it.rekick = k.at.IsZero()
				case at.Before(it.next):
					it.next = at
					heap.Fix(&h, it.index)
				}
			}
		case r := <-q.done:
			busy--
			it := items[r.id]
			it.running = false
			if r.gone {
				delete(items, r.id)
				continue
			}
			it.next = r.next
			if it.rekick {
				it.next, it.rekick = time.Now(), false
			}
			heap.Push(&h, it)
		}
	}
}

// backoff is the delay after the n-th failed attempt: MinBackoff doubled
// per attempt, at most MaxBackoff, with ±10% jitter; computed in float
// seconds (an integer Duration power would truncate small delays).
func (q *Queue) backoff(attempts int) time.Duration {
	s := q.opt.MinBackoff.Seconds() * math.Pow(2, float64(max(attempts, 1)-1))
	s = min(s, q.opt.MaxBackoff.Seconds())
	s *= 0.9 + 0.2*rand.Float64()
	return min(time.Duration(s*float64(time.Second)), q.opt.MaxBackoff)
}

// attempt makes one delivery attempt for the pending recipients of id and
// returns when to come back.
func (q *Queue) attempt(id string) (res result) {
	res.id = id
	retry := func() result {
		res.next = time.Now().Add(q.opt.MinBackoff)
		return res
	}
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("delivery attempt panicked", "id", id, "panic", fmt.Sprint(p))
			res = retry()
		}
	}()
	m, err := q.sp.OpenMessage(id)
	if errors.Is(err, spool.ErrNotFound) {
		res.gone = true
		return res
	}
	if err != nil {
		q.log.Error("cannot load spool entry", "id", id, "err", err)
		return retry()
	}
	defer m.Close()
	e := m.Entry
	var pending []int
	for i, r := range e.State.Rcpts {
		if r.Status == spool.Pending {
			pending = append(pending, i)
		}
	}
	hdr, err := q.sp.Header(id)
	if err != nil {
		q.log.Error("cannot read header block", "id", id, "err", err)
		return retry()
	}
	if len(pending) > 0 {
		var newHdr []byte // stored with the first attempt's state
		if hdr == nil {
			hdr = q.prepare(m)
			newHdr = hdr
		}
		if !q.deliver(m, hdr, newHdr, pending) {
			return retry()
		}
	}
	return q.finish(e, hdr)
}

// deliver makes the attempt; false if it could not even start. newHdr, if
// not nil, is a freshly prepared header block, stored with the state.
func (q *Queue) deliver(m *spool.Message, hdr, newHdr []byte, pending []int) bool {
	e := m.Entry
	id := e.ID
	st := &e.State
	start := time.Now()
	// Record a retry before dialling: a crash mid-attempt then waits for
	// the backoff instead of hammering the downstream in a loop. The
	// header block is stored with the first attempt's outcome, so retries
	// send the same bytes.
	for _, i := range pending {
		r := &st.Rcpts[i]
		r.Attempts++
		r.LastAttempt = start
		r.NextAttempt = start.Add(q.backoff(r.Attempts))
	}
	// The first attempt of a message is not recorded beforehand: an entry
	// with no saved state is retried soon after a restart, which is what
	// InFlight asks for anyway, and most messages leave on their first
	// attempt, so this spares a durable write for each of them. What the
	// attempt leaves to do is saved with the header block after it.
	first := newHdr != nil
	if !first {
		st.InFlight = true
		if err := q.sp.SaveAttempt(id, nil, *st); err != nil {
			q.log.Error("cannot save delivery state", "id", id, "err", err)
			return false
		}
	}
	body, size := m.Body(), e.Size
	var rest io.Reader = body
	if replacesSubject(hdr) {
		// The filter retitled the message ([classify] subject_tag): its
		// own Subject gives way; every other byte stays.
		pr := withoutSubject(body)
		defer pr.Close() // ends the copying goroutine if the courier stopped reading
		rest = pr
	}
	msg := &sizedReader{Reader: io.MultiReader(bytes.NewReader(hdr), rest), size: int64(len(hdr)) + size}
	addrs := make([]string, len(pending))
	for k, i := range pending {
		addrs[k] = st.Rcpts[i].Addr
	}
	ctx, cancel := context.WithTimeout(q.ctx, q.opt.Timeout)
	errs := q.courier.Deliver(ctx, e.Envelope.From, addrs, msg)
	cancel()
	// Cut short by a hurried Stop: like a crash, retried soon after the
	// next Start rather than after the backoff. Saved by finish.
	st.InFlight = q.ctx.Err() != nil
	if len(errs) != len(addrs) {
		err := fmt.Errorf("courier returned %d results for %d recipients", len(errs), len(addrs))
		errs = make([]error, len(addrs))
		for k := range errs {
			errs[k] = err
		}
	}

	now := time.Now()
	expired := now.Sub(e.Created) >= q.opt.MaxLifetime
	relay := fmt.Sprint(q.courier)
	delay := now.Sub(e.Envelope.Received).Round(time.Millisecond)
	for k, i := range pending {
		r := &st.Rcpts[i]
		err := errs[k]
		r.Relay = relay
		var remote *RemoteError
		if errors.As(err, &remote) {
			r.Relay = remote.Relay
		}
		log := q.log.With("id", id, "to", r.Addr, "relay", r.Relay, "delay", delay.String(), "attempts", r.Attempts)
		if err == nil {
			r.Status, r.LastError, r.DSNStatus, r.Diagnostic = spool.Sent, "", "2.0.0", ""
			q.m.delivered.Inc()
			log.Info("delivery", "dsn", "2.0.0", "status", "sent")
			continue
		}
		r.LastError = err.Error()
		r.DSNStatus, r.Diagnostic = dsnStatus(err)
		switch {
		case IsPermanent(err):
			r.Status = spool.Failed
			log.Info("delivery", "dsn", r.DSNStatus, "status", "bounced", "reason", r.LastError)
		case expired:
			r.Status = spool.Failed
			if r.DSNStatus == "4.0.0" {
				r.DSNStatus = "4.4.7" // delivery time expired
			}
			log.Info("delivery", "dsn", r.DSNStatus, "status", "expired", "reason", r.LastError)
		default:
			r.NextAttempt = minTime(now.Add(q.backoff(r.Attempts)), e.Created.Add(q.opt.MaxLifetime))
			q.m.deferred.Inc()
			log.Info("delivery", "dsn", r.DSNStatus, "status", "deferred", "reason", r.LastError, "next", r.NextAttempt.Sub(now).Round(time.Second).String())
		}
	}
	q.m.attemptSeconds.Observe(time.Since(start).Seconds())
	if first {
		for _, r := range st.Rcpts {
			if r.Status != spool.Sent {
				if err := q.sp.SaveAttempt(id, newHdr, *st); err != nil {
					q.log.Error("cannot save delivery state", "id", id, "err", err)
				}
				break
			}
		}
	}
	return true
}

// finish bounces failed recipients, then removes the entry if nothing is
// pending, or saves its state.
func (q *Queue) finish(e *spool.Entry, hdr []byte) result {
	id := e.ID
	st := &e.State
	res := result{id: id}
	var failed []int
	for i, r := range st.Rcpts {
		if r.Status == spool.Failed {
			failed = append(failed, i)
		}
	}
	if len(failed) > 0 {
		switch {
		case e.Envelope.From == "" || e.Envelope.Kind == "bounce":
			// Never bounce to the null sender: that is how bounce loops
			// start (RFC 5321 4.5.5).
			for _, i := range failed {
				q.log.Warn("undeliverable bounce dropped", "id", id, "to", st.Rcpts[i].Addr, "reason", st.Rcpts[i].LastError)
			}
		default:
			bid, err := q.bounce(e, hdr, failed)
			if err != nil {
				q.log.Error("cannot spool bounce; will retry", "id", id, "err", err)
				q.sp.SaveState(id, *st)
				res.next = time.Now().Add(q.opt.MinBackoff)
				return res
			}
			q.log.Info("sender non-delivery notification", "id", id, "bounce_id", bid, "to", e.Envelope.From)
			q.Kick(bid)
		}
		for _, i := range failed {
			st.Rcpts[i].Status = spool.Bounced
		}
		q.m.bounced.Add(float64(len(failed)))
	}
	next := time.Time{}
	for _, r := range st.Rcpts {
		if r.Status == spool.Pending && (next.IsZero() || r.NextAttempt.Before(next)) {
			next = r.NextAttempt
		}
	}
	if next.IsZero() {
		if err := q.sp.Remove(id); err != nil && !errors.Is(err, spool.ErrNotFound) {
			q.log.Error("cannot remove spool entry", "id", id, "err", err)
		}
		q.log.Info("removed", "id", id)
		res.gone = true
		return res
	}
	if err := q.sp.SaveState(id, *st); err != nil {
		q.log.Error("cannot save delivery state", "id", id, "err", err)
	}
	res.next = next
	return res
}

// bounce spools a DSN for the failed recipients to the envelope sender.
func (q *Queue) bounce(e *spool.Entry, hdr []byte, failed []int) (string, error) {
	orig := append([]byte(nil), hdr...)
	if body, _, err := q.sp.OpenBody(e.ID); err == nil {
		head, _ := io.ReadAll(io.LimitReader(body, 64<<10))
		body.Close()
		orig = append(orig, head...)
	}
	m := dsn.Message{
		ReportingMTA: q.opt.Hostname,
		From:         q.opt.BounceFrom,
		To:           e.Envelope.From,
		QueueID:      e.ID,
		Arrival:      e.Envelope.Received,
		Header:       dsn.HeaderSection(orig, 64<<10),
	}
	for _, i := range failed {
		r := e.State.Rcpts[i]
		rr := dsn.Recipient{Addr: r.Addr, Status: r.DSNStatus, Diagnostic: r.Diagnostic, LastAttempt: r.LastAttempt}
		if r.Relay != "" && strings.HasPrefix(r.Diagnostic, "smtp;") {
			rr.RemoteMTA = r.Relay
		}
		m.Rcpts = append(m.Rcpts, rr)
	}
	env := spool.Envelope{From: "", Rcpts: []string{e.Envelope.From}, Received: time.Now(), Helo: q.opt.Hostname, Kind: "bounce"}
	return q.sp.Store(env, bytes.NewReader(dsn.Build(m)))
}

func (q *Queue) prepare(m *spool.Message) (hdr []byte) {
	id := m.ID
	if q.opt.Prepare == nil {
		return []byte{}
	}
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("filter panicked; delivering without its headers", "id", id, "panic", fmt.Sprint(p))
			hdr = []byte{}
		}
	}()
	ctx, cancel := context.WithTimeout(q.ctx, q.opt.Timeout)
	defer cancel()
	hdr = q.opt.Prepare(ctx, id, m.Envelope, func() (io.ReadCloser, error) { return m.Body(), nil })
	if hdr == nil {
		hdr = []byte{}
	}
	return hdr
}

// dsnStatus derives the RFC 3463 status and RFC 3464 Diagnostic-Code of a
// failure.
func dsnStatus(err error) (status, diagnostic string) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		status = fmt.Sprintf("%d.0.0", se.Code/100)
		if c := se.EnhancedCode; c != (smtp.EnhancedCode{}) && c != smtp.NoEnhancedCode && c[0] == se.Code/100 {
			status = fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
		}
		return status, "smtp; " + replyText(se)
	}
	status = "4.0.0"
	if IsPermanent(err) {
		status = "5.0.0"
	}
	return status, "X-tradesift; " + err.Error()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

type sizedReader struct {
	io.Reader
	size int64
}

func (r *sizedReader) Size() int64 { return r.size }

// metrics are the queue's Prometheus series.
type metrics struct {
	delivered, deferred, bounced prometheus.Counter
	queueSize                    prometheus.Gauge
	attemptSeconds               prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "tradesift_delivery_delivered_total", Help: "Recipients accepted by the downstream."}),
		deferred:  prometheus.NewCounter(prometheus.CounterOpts{Name: "tradesift_delivery_deferred_total", Help: "Recipient attempts that failed transiently and will be retried."}),
		bounced:   prometheus.NewCounter(prometheus.CounterOpts{Name: "tradesift_delivery_bounced_total", Help: "Recipients given up on (permanent failure or queue lifetime exceeded)."}),
		queueSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tradesift_queue_size", Help: "Messages in the spool known to the delivery scheduler."}),
		attemptSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tradesift_delivery_attempt_seconds", Help: "Duration of one delivery attempt.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}),
	}
	if reg != nil {
		m.delivered = register(reg, m.delivered)
		m.deferred = register(reg, m.deferred)
		m.bounced = register(reg, m.bounced)
		m.queueSize = register(reg, m.queueSize)
		m.attemptSeconds = register(reg, m.attemptSeconds)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (a second Queue on the same registry shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// replacesSubject reports whether the header block carries a Subject field,
// which then replaces the message's own.
func replacesSubject(hdr []byte) bool {
	return len(hdr) > 0 && (bytes.HasPrefix(hdr, []byte("Subject:")) || bytes.Contains(hdr, []byte("\nSubject:")))
}

// withoutSubject streams body with its Subject field left out.
func withoutSubject(body io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(headers.Rewrite(pw, body, nil, func(name string, _ []byte) bool {
			return strings.EqualFold(name, "Subject")
		}, headers.Limits{}))
	}()
	return pr
}
