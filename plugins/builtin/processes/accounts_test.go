package processes

import (
	"testing"
	"time"
)

func TestAccountUse(t *testing.T) {
	a := newAccountUse(map[string]bool{"postgres": true, "alice": false})
	for _, p := range []proc{
		{pid: 10, user: "postgres", exe: "/usr/lib/postgresql/16/bin/postgres"},
		{pid: 11, user: "postgres", exe: "/usr/lib/postgresql/16/bin/postgres"},
		{pid: 12, user: "postgres", name: "pg_dump"},
		{pid: 20, user: "alice", exe: "/usr/bin/bash"},
		{pid: 1, user: "root", exe: "/sbin/init"},
	} {
		a.add(p)
	}
	now := time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)
	ev := a.events(now)
	if len(ev) != 1 {
		t.Fatalf("want one event (postgres), got %d", len(ev))
	}
	e := ev[0]
	if e.Principal != "postgres" || e.Source != "/proc/10" || !e.UsedAt.Equal(now) ||
		e.Attrs["processes"] != "3" || e.Attrs["executables"] != "/usr/lib/postgresql/16/bin/postgres,pg_dump" {
		t.Fatalf("got %+v", e)
	}
}
