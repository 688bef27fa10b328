package governance

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the governance series on the collector's /metrics.
type Metrics struct {
	Leader        prometheus.Gauge
	Rounds        *prometheus.CounterVec
	LastRound     prometheus.Gauge
	LastDuration  prometheus.Gauge
	OutboxPending prometheus.Gauge
	Tickets       *prometheus.CounterVec
	Delayed       *prometheus.GaugeVec
	Compactions   *prometheus.CounterVec
	LastCompacted prometheus.Gauge
}

// NewMetrics registers the governance series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nhi_governance_leader",
			Help: "1 while this collector is the group's analyser."}),
		Rounds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nhi_governance_rounds_total",
			Help: "Governance rounds run by this collector, by result (ok, error)."}, []string{"result"}),
		LastRound: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nhi_governance_last_round_timestamp_seconds",
			Help: "When this collector's last governance round ended (Unix time)."}),
		LastDuration: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nhi_governance_last_round_duration_seconds",
			Help: "How long the last governance round took."}),
		OutboxPending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nhi_tickets_outbox_pending",
			Help: "Ticket operations waiting in the outbox for the ticket system."}),
		Tickets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nhi_tickets_total",
			Help: "Ticket outcomes of the governance rounds, by system and outcome (opened, closed, verified, reopened, unverified)."},
			[]string{"system", "outcome"}),
		Delayed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "nhi_tickets_delayed",
			Help: "1 while tickets wait because the ticket system is unreachable (the log names the reason)."}, []string{"system"}),
		Compactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nhi_store_compactions_total",
			Help: "Compactions of the maintained tables run by this collector, by result (ok, error)."}, []string{"result"}),
		LastCompacted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nhi_store_last_compaction_timestamp_seconds",
			Help: "When this collector last compacted the maintained tables (Unix time)."}),
	}
	reg.MustRegister(m.Leader, m.Rounds, m.LastRound, m.LastDuration, m.OutboxPending, m.Tickets, m.Delayed,
		m.Compactions, m.LastCompacted)
	return m
}
