package scan

import (
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Completed returns the scan_completed events that close a full scan: the
// identity keys seen, sorted, split into parts of at most
// event.MaxSeenPerEvent. A scan that saw nothing still gets one event, which
// is what tells the collector that everything it saw before is gone.
func Completed(plugin, scanID string, started, finished time.Time, seen map[string]bool, errs int, unreadable []string, coverage []event.Coverage) []*event.Event {
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := (len(ids) + event.MaxSeenPerEvent - 1) / event.MaxSeenPerEvent
	if parts == 0 {
		parts = 1
	}
	out := make([]*event.Event, 0, parts)
	for i := 0; i < parts; i++ {
		lo := i * event.MaxSeenPerEvent
		hi := min(lo+event.MaxSeenPerEvent, len(ids))
		e := &event.Event{
			Type: event.TypeScanCompleted, Plugin: plugin, ScanID: scanID,
			Scan: &event.Scan{
				Full: true, StartedAt: started.UTC(), FinishedAt: finished.UTC(),
				Seen: append([]string{}, ids[lo:hi]...), Part: i + 1, Parts: parts, Errors: errs,
			},
		}
		if i == 0 {
			e.Scan.Unreadable, e.Scan.Coverage = unreadable, coverage
		}
		out = append(out, e)
	}
	return out
}
