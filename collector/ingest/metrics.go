package ingest

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the consumer's Prometheus series. A nil *Metrics records
// nothing, so tests and tools need not register any.
type Metrics struct {
	eventsIn     *prometheus.CounterVec
	rowsWritten  prometheus.Counter
	deadLetters  prometheus.Counter
	deadLost     prometheus.Counter
	batchSeconds prometheus.Histogram
	storeErrors  *prometheus.CounterVec
	lag          *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		eventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nhi_collector_events_in_total",
			Help: "Messages fetched from Kafka, by validation result."}, []string{"result"}),
		rowsWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "nhi_collector_rows_written_total",
			Help: "Event rows stored in ClickHouse (a re-delivered batch counts again)."}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "nhi_collector_dead_letters_total",
			Help: "Messages sent to the dead-letter topic."}),
		deadLost: prometheus.NewCounter(prometheus.CounterOpts{Name: "nhi_collector_dead_letters_unwritable_total",
			Help: "Dead letters the dead-letter topic refused after its retries; kept in the local dead-letter file."}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nhi_collector_batch_seconds",
			Help:    "Time to store, dead-letter and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nhi_collector_errors_total",
			Help: "Failed attempts, by step (store batch is ClickHouse; the others Kafka)."}, []string{"step"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "nhi_collector_consumer_lag",
			Help: "Messages behind the partition's high-water mark at the last stored batch."}, []string{"partition"}),
	}
	reg.MustRegister(m.eventsIn, m.rowsWritten, m.deadLetters, m.deadLost, m.batchSeconds, m.storeErrors, m.lag)
	return m
}

func (m *Metrics) batchDone(b *batch, d time.Duration) {
	if m == nil {
		return
	}
	m.eventsIn.WithLabelValues("valid").Add(float64(b.validRows()))
	m.eventsIn.WithLabelValues("invalid").Add(float64(len(b.dead)))
	m.rowsWritten.Add(float64(b.validRows()))
	m.deadLetters.Add(float64(len(b.dead)))
	m.batchSeconds.Observe(d.Seconds())
	for p, msg := range b.lastByPartition {
		m.lag.WithLabelValues(strconv.Itoa(p)).Set(float64(max(msg.HighWaterMark-msg.Offset-1, 0)))
	}
}

func (m *Metrics) failed(step string) {
	if m != nil {
		m.storeErrors.WithLabelValues(step).Inc()
	}
}

func (m *Metrics) deadLettersLost(n int) {
	if m != nil {
		m.deadLost.Add(float64(n))
	}
}
