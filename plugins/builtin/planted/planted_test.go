package planted

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var scanNow = plantedhost.Now

var orgKey = []byte("planted-host-organisation-key-01")

// plugins returns every built-in plugin once, by name.
func plugins() []sdk.Plugin {
	seen := map[string]bool{}
	var out []sdk.Plugin
	for _, p := range append(builtin.All(), builtin.Host()...) {
		if name := p.Info().Name; !seen[name] {
			seen[name] = true
			out = append(out, p)
		}
	}
	return out
}

// result is what one run over the planted host produced.
type result struct {
	events []*event.Event
	// toAgent are the plugin-to-agent reports: warnings and coverage.
	toAgent []*event.Event
	errs    []string
	log     string
}

// scanPlanted copies the tree, sets its times and runs every plugin that
// reads files, completing and validating events as the agent does.
func scanPlanted(t *testing.T) result {
	t.Helper()
	root := plantedhost.Copy(t)

	var logBuf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	var res result
	for _, p := range plugins() {
		info := p.Info()
		if info.LiveOnly {
			continue
		}
		emit := func(e *event.Event) error {
			if event.ToAgent(e.Type) {
				e.Plugin = info.Name
				res.toAgent = append(res.toAgent, e)
				return nil
			}
			e.Plugin = info.Name
			e.Complete("planted-agent", "planted-host", scanNow)
			if err := e.Validate(); err != nil {
				t.Errorf("%s emitted an invalid event: %v", info.Name, err)
			}
			res.events = append(res.events, e)
			return nil
		}
		req := sdk.ScanRequest{Root: root, Full: true, FingerprintKey: orgKey, Now: scanNow, StateDir: t.TempDir()}
		if err := p.Scan(context.Background(), req, emit); err != nil {
			res.errs = append(res.errs, err.Error())
			t.Errorf("%s: %v", info.Name, err)
		}
	}
	res.log = logBuf.String()
	return res
}

func TestPlantedHost(t *testing.T) {
	res := scanPlanted(t)
	exps := loadExpectations(t)
	matched := make([]bool, len(exps))
	for _, e := range res.events {
		fields := flatten(t, e)
		ok := false
		for i, x := range exps {
			if x.accepts(fields) {
				matched[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("unexpected (precision): %s %s %s principal=%q location=%q evidence=%q",
				e.Plugin, e.Type, e.Kind, e.Principal, e.Location, e.Evidence)
		}
	}
	covered := false
	for _, e := range res.toAgent {
		if e.Type == event.TypeScanWarning {
			t.Errorf("the planted host is healthy, yet %s warned about %s: %s", e.Plugin, e.Location, e.Attrs["reason"])
		}
		covered = covered || (e.Type == event.TypeScanCoverage && e.Location == "/var/log/auth.log")
	}
	if !covered {
		t.Error("authlog reported no coverage for /var/log/auth.log")
	}
	for i, x := range exps {
		if !matched[i] {
			t.Errorf("missed (recall): %s:%d %v", x.file, x.line, x.fields)
		}
	}
	t.Logf("%d events, %d expectations", len(res.events), len(exps))
}

func TestPlantedNoSecretLeaves(t *testing.T) {
	res := scanPlanted(t)
	secrets := plantedhost.Secrets(t)
	if len(secrets) < 5 {
		t.Fatalf("only %d planted secrets found in the tree: the leak check would prove nothing", len(secrets))
	}
	var out bytes.Buffer
	for _, e := range res.events {
		b, _ := json.Marshal(e)
		out.Write(append(b, '\n'))
	}
	out.WriteString(strings.Join(res.errs, "\n"))
	out.WriteString(res.log)
	for _, s := range secrets {
		if bytes.Contains(out.Bytes(), []byte(s)) {
			t.Errorf("a planted secret (%d bytes, starting %.4q) appears in events, errors or logs", len(s), s)
		}
	}
}

// TestPlantedModifiedTimes checks that the times set on the tree come back
// as modified_at on what was found in those files.
func TestPlantedModifiedTimes(t *testing.T) {
	res := scanPlanted(t)
	times := plantedhost.Times(t)
	checked := 0
	for _, e := range res.events {
		want, ok := times[e.Location]
		if !ok || e.Type != event.TypeNHIObserved || e.ModifiedAt == nil {
			continue
		}
		checked++
		if !e.ModifiedAt.Equal(want.Mtime) {
			t.Errorf("%s: modified_at %s, want %s", e.Location, e.ModifiedAt, want.Mtime)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d events had a planted modification time", checked)
	}
}

// flatten returns an event as its JSON shows it.
func flatten(t *testing.T, e *event.Event) map[string]any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// expectation is one line of testdata/expected/*.jsonl.
type expectation struct {
	file   string
	line   int
	fields map[string]any
}

// accepts reports whether every field of the expectation is in the event:
// equal values, and for objects (attrs) every listed key equal.
func (x expectation) accepts(fields map[string]any) bool {
	return subset(x.fields, fields)
}

func subset(want, got any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		// An empty string expects the field absent: events omit empty fields.
		if v == "" && (gm[k] == nil || gm[k] == "") {
			continue
		}
		if !subset(v, gm[k]) {
			return false
		}
	}
	return true
}

func loadExpectations(t *testing.T) []expectation {
	t.Helper()
	files, _ := filepath.Glob("testdata/expected/*.jsonl")
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no testdata/expected/*.jsonl")
	}
	var out []expectation
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s:%d: %v", f, n+1, err)
			}
			if m["type"] == nil {
				m["type"] = "nhi_observed" // the common case may leave it out
			}
			out = append(out, expectation{file: filepath.Base(f), line: n + 1, fields: m})
		}
	}
	return out
}
