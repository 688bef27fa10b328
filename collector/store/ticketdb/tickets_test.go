package ticketdb

import (
	"context"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/storetest"
)

// TestPolicyChanged: the first policy changes nothing; a new one is in
// force from when it was first seen, also when it comes back later.
func TestPolicyChanged(t *testing.T) {
	db := New(storetest.Migrated(t))
	ctx := context.Background()
	t1, t2, t3 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		digest string
		at     time.Time
		want   time.Time
	}{{"v1", t1, time.Time{}}, {"v1", t2, time.Time{}}, {"v2", t2, t2}, {"v2", t3, t2}} {
		got, err := db.PolicyChanged(ctx, c.digest, "policy.yaml", c.at)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("PolicyChanged(%s, %s) = %s, %v; want %s", c.digest, c.at, got, err, c.want)
		}
	}
}
