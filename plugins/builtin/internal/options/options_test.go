package options

import "testing"

func TestCheck(t *testing.T) {
	if err := Check("p", map[string]string{"journal": "off"}, "journal"); err != nil {
		t.Fatal(err)
	}
	if err := Check("p", nil); err != nil {
		t.Fatal(err)
	}
	err := Check("p", map[string]string{"jornal": "off", "b": "1"}, "journal")
	if err == nil || err.Error() != `p: unknown option "b", "jornal" (known: journal)` {
		t.Fatalf("got %v", err)
	}
}
