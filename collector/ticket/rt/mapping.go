package rt

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// defaultPriorities spread over RT's default 0–99 scale so that RT's own
// priority escalation (FinalPriority, SLA) still has room above them.
var defaultPriorities = map[ticket.Priority]int{
	ticket.PriorityCritical: 90,
	ticket.PriorityHigh:     70,
	ticket.PriorityMedium:   50,
	ticket.PriorityLow:      30,
}

// defaultStatuses is RT's default lifecycle. "new" is untouched work; "open"
// and "stalled" are being worked on; "rejected" and "deleted" end the ticket
// without the work being done.
var defaultStatuses = map[string]ticket.State{
	"new":      ticket.StateOpen,
	"open":     ticket.StateInProgress,
	"stalled":  ticket.StateInProgress,
	"resolved": ticket.StateResolved,
	"rejected": ticket.StateCanceled,
	"deleted":  ticket.StateCanceled,
}

func mergePriorities(over map[ticket.Priority]int) map[ticket.Priority]int {
	m := maps.Clone(defaultPriorities)
	maps.Copy(m, over)
	return m
}

func mergeStatuses(over map[string]ticket.State) map[string]ticket.State {
	m := maps.Clone(defaultStatuses)
	for k, v := range over {
		m[strings.ToLower(k)] = v
	}
	return m
}

// state maps an RT status. A status of a custom lifecycle that the config does
// not name counts as in progress: never done, so a closure is not assumed.
func (c *Connector) state(status string) ticket.State {
	if s, ok := c.statuses[strings.ToLower(status)]; ok {
		return s
	}
	return ticket.StateInProgress
}

func (c *Connector) priority(p ticket.Priority) int {
	if v, ok := c.priorities[p]; ok {
		return v
	}
	return c.priorities[ticket.PriorityMedium]
}

// queueFor routes a request's queue (an owner, team or assignment group in
// the policy) to an RT queue; anything unmapped goes to the default queue, so
// a new owner never makes a create fail.
func (c *Connector) queueFor(q string) string {
	if rq, ok := c.queues[q]; ok && rq != "" {
		return rq
	}
	return c.queue
}

// searchQueues is every queue the connector files into: Find looks in all of
// them, because a routing change must not hide an existing ticket.
func (c *Connector) searchQueues() []string {
	qs := []string{c.queue}
	for _, q := range c.queues {
		if q != "" && !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	slices.Sort(qs[1:])
	return qs
}

// findQuery is the TicketSQL for tickets carrying key in the connector's
// queues. RT leaves deleted tickets out unless a query names Status.
func (c *Connector) findQuery(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, "'\\\r\n") {
		return "", fmt.Errorf("rt find: key %q must be non-empty and free of quotes, backslashes and newlines", key)
	}
	qs := c.searchQueues()
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = fmt.Sprintf("Queue = '%s'", q)
	}
	return fmt.Sprintf("'CF.{%s}' = '%s' AND (%s)", c.keyField, key, strings.Join(parts, " OR ")), nil
}

// content is the ticket's first message: the rendered body, then what RT has
// no field for (type, labels, key) so a human reading the ticket sees it.
func content(req ticket.Request) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(req.Body, "\n"))
	b.WriteString("\n\n--\nNHI Radar")
	if req.Type != "" {
		b.WriteString(" " + string(req.Type) + " ticket")
	}
	b.WriteString("\nKey: " + req.Key)
	if len(req.Labels) > 0 {
		b.WriteString("\nLabels: " + strings.Join(req.Labels, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

// closeNote is the comment a Close leaves: RT has no resolution field.
func closeNote(resolution, note string) string {
	if resolution == "" {
		resolution = "resolved"
	}
	s := "Resolved by NHI Radar. Resolution: " + resolution
	if note != "" {
		s += "\n\n" + note
	}
	return s
}

// rtTime is how REST2 takes dates on create: RT reads ISO "YYYY-MM-DD
// HH:MM:SS" as UTC whatever the user's time zone.
const rtTime = "2006-01-02 15:04:05"
