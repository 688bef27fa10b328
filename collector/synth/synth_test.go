package synth

import (
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func TestEventsAreValidUniqueAndRealistic(t *testing.T) {
	f := NewFleet(1, 100, 1000)
	ids := map[string]bool{}
	types := map[event.Type]int{}
	size := 0
	const n = 5000
	for i := 0; i < n; i++ {
		b := f.Encoded()
		e, err := event.Decode(b)
		if err != nil {
			t.Fatalf("event %d does not decode: %v\n%s", i, err, b)
		}
		if ids[e.EventID] {
			t.Fatalf("event id %s repeated", e.EventID)
		}
		ids[e.EventID] = true
		types[e.Type]++
		size += len(b)
	}
	if types[event.TypeNHIObserved] < n/2 || types[event.TypeUsageEvidence] == 0 || types[event.TypeScanCompleted] == 0 || types[event.TypeAgentHeartbeat] == 0 {
		t.Fatalf("type mix %v", types)
	}
	if avg := size / n; avg < 300 || avg > 700 {
		t.Fatalf("average event is %d bytes, want a realistic 300 to 700", avg)
	}
}
