package smtpd

import "github.com/prometheus/client_golang/prometheus"

// metrics are the listener's Prometheus series.
type metrics struct {
	connections *prometheus.CounterVec // by result: accepted, connection_limit, connection_limit_ip
	open        prometheus.GaugeFunc
	accepted    prometheus.Counter
	bytes       prometheus.Counter
	rejected    *prometheus.CounterVec // by reason, as in the log lines
	dataSeconds prometheus.Histogram
}

func newMetrics(open func() int) *metrics {
	return &metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradesift_smtp_connections_total",
			Help: "SMTP connections, by result (accepted, or the limit that refused them).",
		}, []string{"result"}),
		open: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tradesift_smtp_connections_open",
			Help: "SMTP connections open now.",
		}, func() float64 { return float64(open()) }),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tradesift_smtp_messages_accepted_total",
			Help: "Messages stored in the spool and answered 250.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tradesift_smtp_message_bytes_total",
			Help: "Octets of message data accepted (before our headers).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradesift_smtp_rejected_total",
			Help: "Refused commands, messages and connections, by reason (relay_denied, bare_lf, too_big, spool_error, ...).",
		}, []string{"reason"}),
		dataSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tradesift_smtp_data_seconds",
			Help:    "Time from DATA to the 250 reply (receive, rewrite, fsync).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.connections, m.open, m.accepted, m.bytes, m.rejected, m.dataSeconds} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
