package detect

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func numbered(n int) func(yield func(*Finding) bool) {
	return func(yield func(*Finding) bool) {
		for i := range n {
			if !yield(&Finding{Observation: findings.Observation{NHIID: fmt.Sprint(i)}}) {
				return
			}
		}
	}
}

// A rule's findings reach the analysis in bounded batches, every one once,
// in the order the rule raised them.
func TestInBatches(t *testing.T) {
	var sizes []int
	var got []string
	n, _, err := inBatches(numbered(7), 3, func(b []*Finding) error {
		sizes = append(sizes, len(b))
		for _, f := range b {
			got = append(got, f.NHIID)
		}
		return nil
	})
	if err != nil || n != 7 || fmt.Sprint(sizes) != "[3 3 1]" || fmt.Sprint(got) != "[0 1 2 3 4 5 6]" {
		t.Fatalf("handed %d in %v (%v), err %v", n, sizes, got, err)
	}
}

// A failed hand-over (the write of changed findings) stops the rule there
// and is returned, not swallowed.
func TestInBatchesStopsAtError(t *testing.T) {
	boom := errors.New("store down")
	calls := 0
	_, _, err := inBatches(numbered(10), 2, func([]*Finding) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("err %v after %d hand-overs, want the store's error after 1", err, calls)
	}
}
