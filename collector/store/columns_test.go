package store

import (
	"reflect"
	"testing"

	"github.com/nhiradar/nhiradar/collector/synth"
)

// TestColumnsMatchEventRow: the column path InsertEvents uses and the row
// EventRow gives (the benchmark's reference rows) hold the same values.
func TestColumnsMatchEventRow(t *testing.T) {
	f := synth.NewFleet(5, 10, 100)
	var c columns
	var rows [][]any
	for i := 0; i < 300; i++ {
		e := f.Next()
		if err := c.add(e); err != nil {
			t.Fatal(err)
		}
		r, err := EventRow(e)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	cols := c.slices()
	if len(cols) != len(EventColumns()) {
		t.Fatalf("%d column slices for %d columns", len(cols), len(EventColumns()))
	}
	for j, col := range cols {
		v := reflect.ValueOf(col)
		for i, r := range rows {
			if got := v.Index(i).Interface(); !reflect.DeepEqual(got, r[j]) {
				t.Fatalf("row %d column %s: columns %#v, EventRow %#v", i, EventColumns()[j], got, r[j])
			}
		}
	}
}

// Every column of a prepared batch is sized for the batch up front.
func TestNewColumnsSizesEveryColumn(t *testing.T) {
	cols := newColumns(7)
	for i, s := range cols.slices() {
		if c := reflect.ValueOf(s).Cap(); c != 7 {
			t.Errorf("column %d (%T) has capacity %d, want 7", i, s, c)
		}
	}
}
