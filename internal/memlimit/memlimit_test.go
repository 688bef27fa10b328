package memlimit

import "testing"

// The default applies when the flag is 0, an explicit value wins, -1 and
// GOMEMLIMIT leave the runtime alone.
func TestChoose(t *testing.T) {
	const def = 192 << 20
	if got := Choose(0, def); got != def {
		t.Errorf("default: %d, want %d", got, def)
	}
	if got := Choose(300<<20, def); got != 300<<20 {
		t.Errorf("explicit: %d, want 300 MiB", got)
	}
	if got := Choose(-1, def); got != 0 {
		t.Errorf("-1: %d, want no limit", got)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := Choose(300<<20, def); got != 0 {
		t.Errorf("with GOMEMLIMIT set: %d, want none set by the flag", got)
	}
}
