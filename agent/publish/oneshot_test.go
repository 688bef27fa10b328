package publish

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func observed(name string) *event.Event {
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "accounts", Kind: event.KindOSServiceAccount,
		Principal: name, Location: "/etc/passwd"}
	e.Complete("agent-1", "web-01", time.Now())
	return e
}

// TestOneShotDeliversWhatTheServiceSpools: a one-shot scan's events reach
// Kafka as the records the service spools (key, value, no headers), and
// Close returns only once every one was acknowledged.
func TestOneShotDeliversWhatTheServiceSpools(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_oneshot")
	o, err := StartOneShot(context.Background(), Config{Brokers: []string{broker}, Topic: topic, MaxAttempts: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []*event.Event
	for _, name := range []string{"backup", "deploy", "postgres"} {
		e := observed(name)
		want = append(want, e)
		if err := o.Put(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Close(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	msgs := readAll(t, broker, topic, len(want))
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		r, err := Record(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != string(r.Key) || string(m.Value) != string(r.Value) || len(m.Headers) != 0 {
			t.Errorf("message %d: key %q headers %v value %s; want key %q, no headers, value %s", i, m.Key, m.Headers, m.Value, r.Key, r.Value)
		}
	}
}

// TestOneShotReportsUndelivered: with no broker, Close gives up after its
// timeout and says how many events were not delivered.
func TestOneShotReportsUndelivered(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	o, err := StartOneShot(context.Background(), Config{Brokers: []string{dead}, Topic: "t", MaxAttempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if err := o.Put(context.Background(), observed(name)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err = o.Close(context.Background(), time.Second)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 events not delivered") {
		t.Fatalf("close without a broker: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("close took %s with a 1s timeout", d)
	}
	if _, err := StartOneShot(context.Background(), Config{Topic: "t"}, nil); err == nil {
		t.Fatal("a one-shot without brokers started")
	}
}
