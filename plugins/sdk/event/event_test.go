package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func observed() *Event {
	mod := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	e := &Event{
		Type: TypeNHIObserved, Plugin: "credfiles", ScanID: NewID(),
		Kind: KindAWSAccessKey, Principal: "AKIA2E4A7F3B244CQWXY",
		Fingerprint: strings.Repeat("ab", 32), Location: "/home/alice/.aws/credentials",
		Key: "aws_secret_access_key", FileOwner: "alice", FileMode: "0600", Account: "alice",
		ModifiedAt: &mod, OwnerHints: []string{"aws_profile:default"}, Attrs: map[string]string{"profile": "default"},
	}
	e.Complete("agent-1", "web-01", time.Now())
	return e
}

func TestRoundTrip(t *testing.T) {
	e := observed()
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.EventID != e.EventID || got.NHIID != e.NHIID || got.Principal != e.Principal || !got.ModifiedAt.Equal(*e.ModifiedAt) || got.Attrs["profile"] != "default" {
		t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", got, e)
	}
}

func TestIdentityKey(t *testing.T) {
	fp := strings.Repeat("cd", 32)
	if IdentityKey(KindAWSAccessKey, "AKIA1", fp, "a") != IdentityKey(KindAWSAccessKey, "AKIA2", fp, "b") {
		t.Error("the same secret on two hosts must be one identity")
	}
	if IdentityKey(KindOSServiceAccount, "backup", "", "a") == IdentityKey(KindOSServiceAccount, "backup", "", "b") {
		t.Error("an OS account is one identity per host")
	}
	if IdentityKey(KindSSHAuthorizedKey, "SHA256:x", "", "a") != IdentityKey(KindSSHAuthorizedKey, "SHA256:x", "", "b") {
		t.Error("the same public key on two hosts must be one identity")
	}
}

func TestValidate(t *testing.T) {
	future := time.Now().Add(48 * time.Hour)
	cases := []struct {
		name  string
		edit  func(*Event)
		field string
	}{
		{"schema version from the future", func(e *Event) { e.SchemaVersion = SchemaVersion + 1 }, "schema_version"},
		{"missing event id", func(e *Event) { e.EventID = "" }, "event_id"},
		{"missing host", func(e *Event) { e.Host = "" }, "host"},
		{"unknown type", func(e *Event) { e.Type = "nhi_deleted" }, "type"},
		{"unknown kind", func(e *Event) { e.Kind = "password_in_a_drawer" }, "kind"},
		{"no principal nor fingerprint", func(e *Event) { e.Principal, e.Fingerprint = "", "" }, "principal"},
		{"raw value as fingerprint", func(e *Event) { e.Fingerprint = "hunter2" }, "fingerprint"},
		{"stale nhi id", func(e *Event) { e.Fingerprint = strings.Repeat("ef", 32) }, "nhi_id"},
		{"time in the future", func(e *Event) { e.Time = future }, "time"},
		{"oversized field", func(e *Event) { e.Location = strings.Repeat("x", MaxFieldBytes+1) }, "location"},
		{"bad file mode", func(e *Event) { e.FileMode = "rw-------" }, "file_mode"},
		{"usage fields on an observation", func(e *Event) { e.Source = "/var/log/auth.log" }, "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := observed()
			c.edit(e)
			err := e.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Fatalf("Validate() = %v, want a ValidationError on %s", err, c.field)
			}
		})
	}
}

func TestValidateOtherTypes(t *testing.T) {
	now := time.Now()
	usage := &Event{Type: TypeUsageEvidence, Plugin: "authlog", Kind: KindSSHAuthorizedKey, Principal: "SHA256:abc",
		Evidence: EvidenceSSHLogin, Source: "/var/log/auth.log", UsedAt: &now, Actor: "203.0.113.7"}
	usage.Complete("a", "h", now)
	scan := &Event{Type: TypeScanCompleted, Plugin: "credfiles", ScanID: NewID(),
		Scan: &Scan{Full: true, StartedAt: now, FinishedAt: now, Seen: []string{NewID()}, Part: 1, Parts: 1}}
	scan.Complete("a", "h", now)
	hb := &Event{Type: TypeAgentHeartbeat, Heartbeat: &Heartbeat{Version: "1.0.0"}}
	hb.Complete("a", "h", now)
	for _, e := range []*Event{usage, scan, hb} {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
	}
	scan.Scan.Part = 2
	if err := scan.Validate(); err == nil {
		t.Error("part 2 of 1 accepted")
	}
	usage.UsedAt = nil
	if err := usage.Validate(); err == nil {
		t.Error("usage evidence without used_at accepted")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(observed())
	cases := map[string][]byte{
		"not json":      []byte("AKIA... not json"),
		"unknown field": []byte(strings.Replace(string(good), `"key":`, `"secret":"x","key":`, 1)),
		"trailing data": append(append([]byte{}, good...), []byte(` {}`)...),
		"too large":     make([]byte, MaxEventBytes+1),
		"empty object":  []byte(`{}`),
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(observed())
	f.Add(good)
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`{"scan":{"seen":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must be valid and encode again.
		if _, err := Encode(e); err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
	})
}

// TestFarExpiryIsClampedNotDropped: a certificate valid until 2123 is an
// identity like any other: its expiry is clamped to what the store holds
// and the real date kept in attrs.
func TestFarExpiryIsClampedNotDropped(t *testing.T) {
	far := time.Date(2123, 5, 1, 0, 0, 0, 0, time.UTC)
	e := &Event{Type: TypeNHIObserved, Plugin: "credfiles", Kind: KindPrivateKey, Fingerprint: strings.Repeat("ab", 32),
		Location: "/etc/ssl/private/long.pem", ExpiresAt: &far}
	e.Complete("agent-1", "host-1", time.Now())
	if err := e.Validate(); err != nil {
		t.Fatalf("a far expiry made the event invalid: %v", err)
	}
	if !e.ExpiresAt.Before(maxStored) || e.Attrs["expires_at"] != "2123-05-01T00:00:00Z" {
		t.Errorf("expiry %s, attrs %v; want clamped with the real date kept", e.ExpiresAt, e.Attrs)
	}
}

// TestNormalizeDerivesKeyAndEscapes: a reader derives the identity key
// itself and escapes what would rewrite a terminal.
func TestNormalizeDerivesKeyAndEscapes(t *testing.T) {
	e := &Event{Type: TypeNHIObserved, Kind: KindAWSAccessKey, Principal: "AKIA2E4A7F3B244CQWXY", Host: "web-1",
		NHIID: strings.Repeat("0", 32), Location: "/home/eve/.aws/cred\u202eslaitnederc\nx"}
	e.Normalize()
	if want := IdentityKey(KindAWSAccessKey, "AKIA2E4A7F3B244CQWXY", "", "web-1"); e.NHIID != want {
		t.Errorf("nhi_id %s kept from the sender, want %s", e.NHIID, want)
	}
	if e.Location != `/home/eve/.aws/cred\u202eslaitnederc\nx` {
		t.Errorf("location %q", e.Location)
	}
	if Escape("/etc/ssl/clé.pem") != "/etc/ssl/clé.pem" {
		t.Error("ordinary non-ASCII must be kept")
	}
}
