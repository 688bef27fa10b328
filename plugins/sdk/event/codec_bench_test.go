package event_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/event/internal/wirepb"
)

// typical is an nhi_observed event as the credfiles plugin emits it.
func typical() *event.Event {
	mod := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(),
		Kind: event.KindAWSAccessKey, Principal: "AKIA2E4A7F3B244CQWXY",
		Fingerprint: strings.Repeat("9a", 32), Location: "/home/alice/.aws/credentials",
		Key: "aws_secret_access_key", FileOwner: "alice", FileMode: "0600", Account: "alice",
		ModifiedAt: &mod, OwnerHints: []string{"aws_profile:default"},
		Attrs: map[string]string{"profile": "default", "region": "eu-west-1"}}
	e.Complete("4f7d0c1e-agent", "web-01.prod.example.net", time.Now())
	return e
}

func toProto(e *event.Event) *wirepb.Event {
	return &wirepb.Event{SchemaVersion: int32(e.SchemaVersion), EventId: e.EventID, Type: string(e.Type),
		AgentId: e.AgentID, Host: e.Host, TimeUnixNano: e.Time.UnixNano(), Plugin: e.Plugin, ScanId: e.ScanID,
		NhiId: e.NHIID, Kind: string(e.Kind), Principal: e.Principal, Fingerprint: e.Fingerprint,
		Location: e.Location, Key: e.Key, FileOwner: e.FileOwner, FileMode: e.FileMode, Account: e.Account,
		ModifiedAtUnixNano: e.ModifiedAt.UnixNano(), OwnerHints: e.OwnerHints, Attrs: e.Attrs}
}

func BenchmarkCodecJSONEncode(b *testing.B) {
	e := typical()
	var n int
	for b.Loop() {
		out, err := event.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/event")
}

func BenchmarkCodecJSONDecode(b *testing.B) {
	raw, _ := event.Encode(typical())
	for b.Loop() {
		if _, err := event.Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodecJSONDecodeNoValidate isolates parsing from validation.
func BenchmarkCodecJSONDecodeNoValidate(b *testing.B) {
	raw, _ := event.Encode(typical())
	for b.Loop() {
		var e event.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecProtoEncode(b *testing.B) {
	m := toProto(typical())
	var n int
	for b.Loop() {
		out, err := proto.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/event")
}

func BenchmarkCodecProtoDecode(b *testing.B) {
	raw, _ := proto.Marshal(toProto(typical()))
	for b.Loop() {
		var m wirepb.Event
		if err := proto.Unmarshal(raw, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodecBatchZstd reports the size per event of a 1000-event batch
// compressed with zstd, as a Kafka producer batch would be, for both encodings.
func BenchmarkCodecBatchZstd(b *testing.B) {
	var js, pb []byte
	for i := 0; i < 1000; i++ {
		e := typical()
		e.Principal = fmt.Sprintf("AKIA2E4A7F3B%08d", i)
		e.Location = fmt.Sprintf("/home/user%d/.aws/credentials", i%50)
		e.NHIID = event.IdentityKey(e.Kind, e.Principal, "", e.Host)
		e.Fingerprint = ""
		j, _ := json.Marshal(e)
		p, _ := proto.Marshal(toProto(e))
		js, pb = append(js, j...), append(pb, p...)
	}
	enc, _ := zstd.NewWriter(nil)
	var zj, zp []byte
	for b.Loop() {
		zj = enc.EncodeAll(js, zj[:0])
		zp = enc.EncodeAll(pb, zp[:0])
	}
	b.ReportMetric(float64(len(zj))/1000, "json-zstd-bytes/event")
	b.ReportMetric(float64(len(zp))/1000, "proto-zstd-bytes/event")
}
