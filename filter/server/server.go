// Package server is the tradesift daemon: it builds the spool, the delivery
// queues, the filter pipeline and the SMTP listener from a configuration,
// runs them, reloads on SIGHUP and shuts down cleanly on SIGTERM.
//
// A message's path: smtpd accepts and spools it (fsynced before 250) and
// kicks the queue; the queue runs the pipeline once (pipeline.Prepare:
// decode, authenticate, judge, draft) and delivers the header block plus
// the untouched message downstream, retrying and bouncing as needed.
// Drafts go through a second spool and queue of their own.
package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tradesift/tradesift/filter/auth"
	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
	"github.com/tradesift/tradesift/filter/dnsr"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/pipeline"
	"github.com/tradesift/tradesift/filter/smtpd"
	"github.com/tradesift/tradesift/filter/spool"
)

// Daemon is a running relay.
type Daemon struct {
	path string
	log  *slog.Logger

	cfg  atomic.Pointer[config.Config]
	pipe atomic.Pointer[pipeline.Pipeline]
	// filterSlots bound the messages judged at once ([queue]
	// filter_workers); shared by the pipelines of every reload.
	filterSlots chan struct{}
	renderer    atomic.Pointer[draft.Renderer]
	supplier    atomic.Pointer[config.Supplier]

	spool, draftSpool *spool.Spool
	localDrafts       map[string]deliver.Courier
	pipeMetrics       *pipeline.Metrics
	queue, draftQueue *deliver.Queue
	smtp              *smtpd.Server
	ln                net.Listener
	metrics           *http.Server
	stopWatch         chan struct{}
}

// NewLogger returns the logger [log] asks for, writing to w.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Start builds every part from cfg and starts listening. It returns once
// the SMTP port accepts connections.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Daemon, error) {
	d := &Daemon{path: cfg.Path, log: log, stopWatch: make(chan struct{})}
	d.cfg.Store(cfg)
	sup := cfg.Supplier
	d.supplier.Store(&sup)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var err error
	sopt := spool.Options{SyncFS: cfg.Queue.Sync == "syncfs"}
	if d.spool, err = spool.OpenWith(cfg.Queue.Dir, sopt); err != nil {
		return nil, fmt.Errorf("queue.dir: %w", err)
	}
	if d.draftSpool, err = spool.OpenWith(cfg.Drafts.QueueDir, sopt); err != nil {
		return nil, fmt.Errorf("drafts.queue_dir: %w", err)
	}

	r, err := draft.New(cfg.Drafts.Templates, &sup)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	d.renderer.Store(r)
	draftCourier, localDrafts, err := newDraftRouter(cfg)
	if err != nil {
		return nil, err
	}
	d.draftQueue = deliver.New(d.draftSpool, draftCourier, deliver.Options{
		Workers:     4,
		MinBackoff:  cfg.Queue.MinBackoff.D(),
		MaxBackoff:  cfg.Queue.MaxBackoff.D(),
		MaxLifetime: cfg.Drafts.MaxLifetime.D(),
		Timeout:     cfg.Delivery.Timeout.D(),
		Hostname:    cfg.SMTP.Hostname,
		Logger:      log.With("queue", "drafts"),
		Registry:    prometheus.WrapRegistererWith(prometheus.Labels{"queue": "drafts"}, reg),
	})

	d.localDrafts = localDrafts
	if d.pipeMetrics, err = pipeline.NewMetrics(reg); err != nil {
		return nil, err
	}
	// Judging is CPU work done after the 250; bounding it keeps CPU for
	// the SMTP sessions, so a burst is accepted at full speed and judged
	// as the CPU allows.
	d.filterSlots = make(chan struct{}, filterWorkers(cfg.Queue.FilterWorkers))
	p, err := d.newPipeline(cfg)
	if err != nil {
		return nil, err
	}
	d.pipe.Store(p)

	target, _ := config.ParseTarget(cfg.Delivery.Downstream) // checked by config
	courier, err := newCourier(cfg, target)
	if err != nil {
		return nil, fmt.Errorf("delivery.downstream: %w", err)
	}
	d.queue = deliver.New(d.spool, courier, deliver.Options{
		Workers:     cfg.Queue.Workers,
		MinBackoff:  cfg.Queue.MinBackoff.D(),
		MaxBackoff:  cfg.Queue.MaxBackoff.D(),
		MaxLifetime: cfg.Queue.MaxLifetime.D(),
		Timeout:     cfg.Delivery.Timeout.D(),
		Hostname:    cfg.SMTP.Hostname,
		BounceFrom:  cfg.Delivery.BounceFrom,
		Prepare: func(ctx context.Context, id string, env spool.Envelope, body func() (io.ReadCloser, error)) []byte {
			return d.pipe.Load().Prepare(ctx, id, env, body)
		},
		Logger:   log.With("queue", "mail"),
		Registry: prometheus.WrapRegistererWith(prometheus.Labels{"queue": "mail"}, reg),
	})

	var lookupAddr func(context.Context, string) ([]string, error)
	if cfg.SMTP.ReverseDNS {
		r, err := dnsr.New(cfg.DNS.Resolver, dnsr.Options{Budget: cfg.DNS.Budget.D()})
		if err != nil {
			return nil, fmt.Errorf("dns: %w", err)
		}
		lookupAddr = func(ctx context.Context, addr string) ([]string, error) {
			name, err := r.VerifiedName(ctx, addr)
			if name == "" {
				return nil, err
			}
			return []string{name}, nil
		}
	}
	d.smtp, err = smtpd.New(cfg.SMTP, d.spool, smtpd.Options{
		Logger:     log,
		Registry:   reg,
		AuthservID: authservID(cfg),
		OnStored:   d.queue.Kick,
		LookupAddr: lookupAddr,
	})
	if err != nil {
		return nil, err
	}
	if d.ln, err = net.Listen("tcp", cfg.SMTP.Listen); err != nil {
		return nil, fmt.Errorf("smtp.listen: %w", err)
	}
	if cfg.Metrics.Listen != "" {
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			d.ln.Close()
			return nil, fmt.Errorf("metrics.listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if cfg.Metrics.Pprof {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		d.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go d.metrics.Serve(mln)
	}

	if err := d.draftQueue.Start(ctx); err != nil {
		return nil, err
	}
	if err := d.queue.Start(ctx); err != nil {
		return nil, err
	}
	go func() {
		if err := d.smtp.Serve(d.ln); err != nil {
			log.Error("smtp listener stopped", "err", err)
		}
	}()
	go r.Watch(d.stopWatch, 2*time.Second, func(err error) {
		if err != nil {
			log.Error("templates changed but do not load; keeping the last good set", "err", err)
		} else {
			log.Info("templates reloaded")
		}
	})
	log.Info("tradesift started", "listen", d.ln.Addr().String(), "downstream", cfg.Delivery.Downstream,
		"queue", cfg.Queue.Dir, "drafts", cfg.Drafts.Deliver, "metrics", cfg.Metrics.Listen, "auth", cfg.Auth.Enabled)
	return d, nil
}

// Addr is the SMTP listener's address.
func (d *Daemon) Addr() net.Addr { return d.ln.Addr() }

// filterWorkers is [queue] filter_workers with 0 meaning half the CPUs.
func filterWorkers(n int) int {
	if n > 0 {
		return n
	}
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// newCourier builds the courier of a delivery target with the settings of
// [delivery] and [queue] sync.
func newCourier(cfg *config.Config, t config.Target) (deliver.Courier, error) {
	o := deliver.CourierOptions{
		Hostname: cfg.SMTP.Hostname,
		Timeout:  cfg.Delivery.Timeout.D(),
		SyncFS:   cfg.Queue.Sync == "syncfs",
		StartTLS: cfg.Delivery.TLS,
	}
	if cfg.Delivery.TLSCA != "" {
		pem, err := os.ReadFile(cfg.Delivery.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("delivery.tls_ca: %w", err)
		}
		o.RootCAs = x509.NewCertPool()
		if !o.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("delivery.tls_ca: no PEM certificate in %s", cfg.Delivery.TLSCA)
		}
	}
	return deliver.NewCourier(t, o)
}

func authservID(cfg *config.Config) string {
	if cfg.Auth.AuthservID != "" {
		return cfg.Auth.AuthservID
	}
	return cfg.SMTP.Hostname
}

func (d *Daemon) newPipeline(cfg *config.Config) (*pipeline.Pipeline, error) {
	ch, err := auth.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	sink := &draftSink{renderer: &d.renderer, supplier: &d.supplier, local: d.localDrafts, spool: d.draftSpool, kick: d.draftQueue.Kick, log: d.log}
	p, err := pipeline.New(cfg, ch, sink, d.log)
	if err != nil {
		return nil, err
	}
	return p.WithMetrics(d.pipeMetrics).WithCPUSlots(d.filterSlots), nil
}

// Reload reads the configuration file again and applies what can change
// without a restart: SMTP limits and domains, classifier, supplier facts,
// authentication, templates. A broken file changes nothing.
func (d *Daemon) Reload() error {
	cfg, err := config.Load(d.path)
	if err != nil {
		return err
	}
	old := d.cfg.Load()
	p, err := d.newPipeline(cfg)
	if err != nil {
		return err
	}
	if err := d.smtp.SetConfig(cfg.SMTP); err != nil {
		return err
	}
	sup := cfg.Supplier
	d.supplier.Store(&sup)
	d.pipe.Store(p)
	if err := d.renderer.Load().Reload(); err != nil {
		d.log.Error("templates do not load; keeping the last good set", "err", err)
	}
	for _, k := range restartKeys(old, cfg) {
		d.log.Warn("changed setting needs a restart to take effect", "key", k)
	}
	d.cfg.Store(cfg)
	return nil
}

func restartKeys(a, b *config.Config) []string {
	var keys []string
	if a.SMTP.Listen != b.SMTP.Listen {
		keys = append(keys, "smtp.listen")
	}
	if a.SMTP.ReverseDNS != b.SMTP.ReverseDNS || (b.SMTP.ReverseDNS && a.DNS != b.DNS) {
		keys = append(keys, "smtp.reverse_dns")
	}
	if a.Queue != b.Queue {
		keys = append(keys, "queue")
	}
	if a.Delivery != b.Delivery {
		keys = append(keys, "delivery")
	}
	if a.Metrics != b.Metrics {
		keys = append(keys, "metrics")
	}
	if a.Drafts.Deliver != b.Drafts.Deliver || a.Drafts.QueueDir != b.Drafts.QueueDir || a.Drafts.Templates != b.Drafts.Templates {
		keys = append(keys, "drafts")
	}
	return keys
}

// Shutdown stops accepting mail, lets deliveries in flight finish (or
// cancels them when ctx ends) and closes the spools. Everything spooled
// stays for the next start.
func (d *Daemon) Shutdown(ctx context.Context) error {
	close(d.stopWatch)
	errs := []error{d.smtp.Shutdown(ctx)}
	errs = append(errs, d.queue.Stop(ctx), d.draftQueue.Stop(ctx))
	if d.metrics != nil {
		errs = append(errs, d.metrics.Shutdown(ctx))
	}
	errs = append(errs, d.spool.Close(), d.draftSpool.Close())
	return errors.Join(errs...)
}

// Run starts the daemon for the configuration at path and serves until
// SIGTERM or SIGINT; SIGHUP reloads.
func Run(path string, stderr io.Writer) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log := NewLogger(cfg.Log, stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if err := d.Reload(); err != nil {
				log.Error("reload failed; the running configuration stays", "err", err)
			} else {
				log.Info("configuration reloaded", "config", path)
			}
			continue
		}
		log.Info("shutting down", "signal", sig.String())
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := d.Shutdown(sctx)
		scancel()
		return err
	}
	return nil
}
