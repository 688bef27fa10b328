package servicenow

import (
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// snTime is the Table API's date-time format (UTC with the default
// sysparm_display_value=false).
const snTime = "2006-01-02 15:04:05"

// states maps incident state codes to ticket states.
var states = map[string]ticket.State{
	"1": ticket.StateOpen,       // New
	"2": ticket.StateInProgress, // In Progress
	"3": ticket.StateInProgress, // On Hold
	"6": ticket.StateResolved,   // Resolved
	"7": ticket.StateClosed,     // Closed
	"8": ticket.StateCanceled,   // Canceled
}

func (c *Connector) toTicket(r record) ticket.Ticket {
	st, ok := states[r.State]
	if !ok {
		st = ticket.StateOpen
	}
	t := ticket.Ticket{ExternalID: r.SysID, State: st, Resolution: r.CloseCode,
		URL: c.base + "/" + c.table + ".do?sys_id=" + r.SysID}
	if ts, err := time.Parse(snTime, r.UpdatedOn); err == nil {
		t.UpdatedAt = ts.UTC()
	}
	return t
}

// levels maps a priority to ServiceNow urgency and impact (1 high .. 3 low);
// the instance's priority lookup rules derive priority from the pair.
func levels(p ticket.Priority) (urgency, impact string) {
	switch p {
	case ticket.PriorityCritical:
		return "1", "1"
	case ticket.PriorityHigh:
		return "1", "2"
	case ticket.PriorityLow:
		return "3", "3"
	}
	return "2", "2"
}

// description is the body plus what the incident form has no field for.
func description(req ticket.Request) string {
	var b strings.Builder
	b.WriteString(req.Body)
	b.WriteString("\n\nNHI Radar " + string(req.Type) + " ticket, key " + req.Key)
	if len(req.Labels) > 0 {
		b.WriteString("\nLabels: " + strings.Join(req.Labels, ", "))
	}
	return b.String()
}
