package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what the pipeline decided. One set serves every Pipeline
// a daemon builds (a reload builds a new Pipeline, not new metrics).
type Metrics struct {
	classified *prometheus.CounterVec
	drafts     *prometheus.CounterVec
	seconds    prometheus.Histogram
}

// NewMetrics registers the pipeline's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		classified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradesift_classified_total",
			Help: "Messages judged, by buyer type, grade and reply plan.",
		}, []string{"buyer_type", "grade", "reply_plan"}),
		drafts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradesift_drafts_total",
			Help: "Drafted replies by outcome: queued (filed or spooled) or failed.",
		}, []string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tradesift_classify_seconds",
			Help:    "Time to decode, authenticate and judge one message.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}),
	}
	for _, c := range []prometheus.Collector{m.classified, m.drafts, m.seconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
