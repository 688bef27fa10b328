package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/cmd/nhictl/report"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// reportNow is the fixture's last analysis: the report's clock.
const reportNow = "2026-03-11T00:00:00Z"

// TestReportInChromium builds the analysed fixture, adds two agents' heartbeats,
// writes the report and renders it in headless Chromium: the numbers and
// rules are on the page, every chart drew ink, the screenshot is not
// blank, no script failed, and a heading click sorts the findings table.
func TestReportInChromium(t *testing.T) {
	ctx := context.Background()
	root, pol, st := analysedFixture(t, ctx)
	now, _ := time.Parse(time.RFC3339, reportNow)
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{
		heartbeatAt("agent-prod-web-1", "prod-web-1", now.Add(-time.Minute), 42, 0),
		heartbeatAt("agent-build-1", "build-1", now.Add(-2*time.Hour), 7, 3),
	}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := (&reportCmd{HTML: file, Policy: pol, Now: reportNow}).run(ctx, root); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("NHI_REPORT_KEEP"); dir != "" { // to look at the fixture's report
		if err := os.WriteFile(filepath.Join(dir, "report.html"), page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noSecret(t, "report", page)
	selfContained(t, page)
	chartsGolden(t, page)

	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chromium := devservices.Chromium(t)
	dom := render(t, chromium, "file://"+file+"#sort=findings-list:principal:desc,agents-list:spool:desc,tickets-list:fix", "--dump-dom")
	checkRendered(t, dom, page)
	checkText(t, dom)
	checkSorted(t, dom, all)
	checkNumericSorts(t, dom)
	shot := filepath.Join(t.TempDir(), "report.png")
	render(t, chromium, "file://"+file, "--screenshot="+shot, "--window-size=1280,2400")
	checkScreenshot(t, shot)
}

// analysedFixture runs the fixture's phases through nhictl analyze in a
// database of its own, dropped when the test ends.
func analysedFixture(t *testing.T, ctx context.Context) (*cli, string, *store.Store) {
	t.Helper()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhictl_report"), User: "default"}
	st, err := root.connect(ctx) // the test creates the database
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()) //nolint:errcheck
		st.Close()
	})
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pol := analyzetest.PolicyFile(t)
	outbox := filepath.Join(t.TempDir(), "outbox.db")
	for _, ph := range analyzetest.Phases() {
		if len(ph.Events) > 0 {
			if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if err := (&analyzeCmd{Policy: pol, Now: ph.Now.Format(time.RFC3339), Outbox: outbox}).run(ctx, root, &out); err != nil {
			t.Fatal(err)
		}
	}
	return root, pol, st
}

func heartbeatAt(agent, host string, at time.Time, depth, dropped int64) *event.Event {
	e := &event.Event{Type: event.TypeAgentHeartbeat, Time: at,
		Heartbeat: &event.Heartbeat{Version: "1.4.2", OS: "linux", SpoolDepth: depth, Dropped: dropped}}
	e.Complete(agent, host, at)
	return e
}

// selfContained: nothing on the page loads from elsewhere.
func selfContained(t *testing.T, page []byte) {
	t.Helper()
	if !bytes.Contains(page, []byte(report.ChartJS())) {
		t.Fatal("page lacks the vendored Chart.js")
	}
	// The library is checked as a whole above (and pinned by its hash); the
	// rest is ours: no element or style may fetch anything.
	ours := bytes.Replace(page, []byte(report.ChartJS()), nil, 1)
	for _, re := range []string{`(?i)<script[^>]+src=`, `(?i)<link\b`, `(?i)<img\b`, `(?i)<iframe\b`, `(?i)url\(`, `(?i)fetch\(`, `XMLHttpRequest`, `sourceMappingURL`} {
		if loc := regexp.MustCompile(re).FindIndex(ours); loc != nil {
			t.Fatalf("page loads from elsewhere (%s): %q", re, ours[loc[0]:min(loc[1]+60, len(ours))])
		}
	}
	if !bytes.Contains(page, []byte("Chart.js v4.6.1")) || !bytes.Contains(page, []byte("default-src 'none'")) {
		t.Fatal("page lacks the inlined Chart.js or its Content-Security-Policy")
	}
}

// chartsGolden holds the chart data the page embeds for the fixture
// equal to testdata/report-charts.golden.json (go test -update rewrites it).
func chartsGolden(t *testing.T, page []byte) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script>const NHI_CHARTS = (.*?);</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatal("page holds no chart data")
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(m[1]), "", "  "); err != nil {
		t.Fatalf("chart data is not JSON: %v", err)
	}
	out.WriteByte('\n')
	golden(t, filepath.Join("testdata", "report-charts.golden.json"), out.Bytes())
}

// render runs headless Chromium on url and returns what it printed on
// stdout; any console message or uncaught exception fails the test.
func render(t *testing.T, chromium, url string, args ...string) string {
	t.Helper()
	stdout, stderr := runChromium(t, chromium, url, args...)
	if lines := consoleLines(stderr); len(lines) > 0 {
		t.Fatalf("console messages while rendering %s:\n%s", url, strings.Join(lines, "\n"))
	}
	return stdout
}

func runChromium(t *testing.T, chromium, url string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"}, args...)
	cmd := exec.CommandContext(ctx, chromium, append(argv, url)...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errs.String())
	}
	return out.String(), errs.String()
}

// consoleLines are Chromium's log lines of the page's console (console.*,
// uncaught exceptions, Content-Security-Policy refusals).
func consoleLines(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			out = append(out, line)
		}
	}
	return out
}

// TestChromiumShowsConsoleErrors: the console check above can fail — a page
// that logs an error and throws is seen on both counts.
func TestChromiumShowsConsoleErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "boom.html")
	if err := os.WriteFile(file, []byte(`<!DOCTYPE html><html><body><script>console.error("nhi-check"); throw new Error("nhi-boom");</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr := runChromium(t, devservices.Chromium(t), "file://"+file, "--dump-dom")
	lines := strings.Join(consoleLines(stderr), "\n")
	if !strings.Contains(lines, `"nhi-check"`) || !strings.Contains(lines, "Uncaught Error: nhi-boom") {
		t.Fatalf("chromium's log lacks the page's console error or exception:\n%s", stderr)
	}
}

// TestEmptyReportInChromium: a database with nothing yet still gives a page
// that renders without errors, every chart saying "No data.".
func TestEmptyReportInChromium(t *testing.T) {
	file := filepath.Join(t.TempDir(), "empty.html")
	if err := writeReport(file, report.Build(report.Input{Now: time.Now(), Database: "empty"})); err != nil {
		t.Fatal(err)
	}
	dom := render(t, devservices.Chromium(t), "file://"+file+"#sort=findings-list:severity", "--dump-dom")
	body := attrMap(regexp.MustCompile(`<body[^>]*>`).FindString(dom))
	if body["data-ready"] != "1" || body["data-errors"] != "0" || body["data-charts"] != "0" ||
		strings.Count(dom, "No data.") < 8 || !strings.Contains(dom, `data-sorted="severity:asc"`) {
		t.Fatalf("empty report: body %v, %d empty charts", body, strings.Count(dom, "No data."))
	}
}

var (
	canvasRe = regexp.MustCompile(`<canvas [^>]*>`)
	attrRe   = regexp.MustCompile(`([\w-]+)="([^"]*)"`)
)

// checkRendered: the script ran to its end without errors and every chart
// the page holds data for drew on its canvas.
func checkRendered(t *testing.T, dom string, page []byte) {
	t.Helper()
	body := regexp.MustCompile(`<body[^>]*>`).FindString(dom)
	attrs := attrMap(body)
	if attrs["data-ready"] != "1" || attrs["data-errors"] != "0" {
		t.Fatalf("page script: %s\nerrors: %s", body, regexp.MustCompile(`(?s)<ul id="page-errors".*?</ul>`).FindString(dom))
	}
	canvases := canvasRe.FindAllString(dom, -1)
	// Each chart with data has a canvas; the fixture has data for all of
	// them: identities (3), findings (2), controls (5 frameworks), tickets (2), agents (3).
	if want := strconv.Itoa(len(canvases)); attrs["data-charts"] != want || len(canvases) != 15 {
		t.Fatalf("%s charts drawn, %d canvases", attrs["data-charts"], len(canvases))
	}
	for _, c := range canvases {
		a := attrMap(c)
		if ink, _ := strconv.Atoi(a["data-ink"]); a["data-drawn"] != "1" || ink < 500 {
			t.Fatalf("chart %s did not draw: %s", a["data-chart"], c)
		}
	}
	if n := strings.Count(string(page), "<canvas "); n != len(canvases) {
		t.Fatalf("page has %d canvases, rendered DOM %d", n, len(canvases))
	}
}

func attrMap(tag string) map[string]string {
	m := map[string]string{}
	for _, kv := range attrRe.FindAllStringSubmatch(tag, -1) {
		m[kv[1]] = kv[2]
	}
	return m
}

// checkText: the numbers of the fixture (see testdata/analyze.golden) and
// the rules and controls are on the page.
func checkText(t *testing.T, dom string) {
	t.Helper()
	for _, want := range []string{
		`<span class="n" id="sum-identities">6</span>`, `<span class="n" id="sum-opened">12</span>`,
		`<span class="n" id="sum-verified">6</span>`, `<span class="n" id="sum-reopened">3</span>`,
		`<span class="n" id="sum-agents">2</span>`, "1 stale, 1 dropping events",
		"owner_departed", "secret_in_command_line", "cross_environment", "OWASP-NHI:NHI7", "PCI-DSS-4.0:8.6.2",
		"Active findings by control: NIST CSF 2.0", "Time to verified fix", "median time to verified fix: ",
		"prod-web-1", "1.4.2", "2h0m0s <b>stale</b>", "Agents by version",
	} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered page lacks %q", want)
		}
	}
}

var rowRe = regexp.MustCompile(`<tr data-id="(f-[^"]+)"`)

// checkSorted: #sort=findings-list:principal:desc clicked the Principal
// heading twice; the rows are in descending principal order, ties in the
// page's order, and the heading says so.
func checkSorted(t *testing.T, dom string, all []findings.Finding) {
	t.Helper()
	var got []string
	table := regexp.MustCompile(`(?s)<table class="sortable" id="findings-list".*?</table>`).FindString(dom)
	for _, m := range rowRe.FindAllStringSubmatch(table, -1) {
		got = append(got, m[1])
	}
	rows := report.Build(report.Input{Findings: all}).Findings // the page's order before sorting
	sort.SliceStable(rows, func(i, j int) bool { return strings.ToLower(rows[i].Principal) > strings.ToLower(rows[j].Principal) })
	var want []string
	for _, r := range rows {
		want = append(want, r.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("sorted rows\n got %v\nwant %v", got, want)
	}
	if len(got) != len(all) || !strings.Contains(table, `data-sorted="principal:desc"`) ||
		!strings.Contains(table, `data-key="principal" tabindex="0" aria-sort="descending"`) {
		t.Fatal("table does not say it is sorted by principal, descending")
	}
}

// checkNumericSorts: columns with numbers sort as numbers (42 before 7
// descending, where text would put 7 first), blanks after numbers.
func checkNumericSorts(t *testing.T, dom string) {
	t.Helper()
	agents := regexp.MustCompile(`<tr data-agent="([^"]+)"`).FindAllStringSubmatch(dom, -1)
	if len(agents) != 2 || agents[0][1] != "agent-prod-web-1" || !strings.Contains(dom, `data-sorted="spool:desc"`) {
		t.Fatalf("agents by spool depth, descending: %v", agents)
	}
	fix := regexp.MustCompile(`<td data-sort="([0-9.]*)">[0-9.]*</td><td>\[NHI Radar\]`).FindAllStringSubmatch(dom, -1)
	var days []string
	for _, m := range fix {
		days = append(days, m[1])
	}
	// Six verified tickets (the fixture's), ascending, then the rest blank.
	got := strings.Join(days, " ")
	if len(days) != 12 || !strings.HasSuffix(got, strings.Repeat(" ", 6)) || !sort.SliceIsSorted(days[:6], func(i, j int) bool {
		a, _ := strconv.ParseFloat(days[i], 64)
		b, _ := strconv.ParseFloat(days[j], 64)
		return a < b
	}) || days[0] == "" || days[5] == "" {
		t.Fatalf("tickets by days to verified fix: %q", days)
	}
}

// checkScreenshot: the page painted text and coloured charts, not a blank
// (or one-colour) image.
func checkScreenshot(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var n, coloured float64
	var sum, sq float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			lum := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum, sq, n = sum+lum, sq+lum*lum, n+1
			if max(r, g, bl)-min(r, g, bl) > 80*257 {
				coloured++
			}
		}
	}
	variance := sq/n - (sum/n)*(sum/n)
	if sd := math.Sqrt(variance); sd < 10 || coloured/n < 0.01 {
		t.Fatalf("screenshot %dx%d looks blank: luminance sd %.1f, %.2f%% coloured pixels", b.Dx(), b.Dy(), sd, 100*coloured/n)
	}
}

// TestReportCLIParses: report needs --html; --policy and --now are optional.
func TestReportCLIParses(t *testing.T) {
	var c cli
	k, err := kong.New(&c, options()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse([]string{"report", "--html", "out.html", "--now", reportNow}); err != nil ||
		filepath.Base(c.Report.HTML) != "out.html" || c.Report.Now != reportNow {
		t.Fatalf("report flags: %v %+v", err, c.Report)
	}
	var fresh cli
	if k, err = kong.New(&fresh, options()...); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse([]string{"report"}); err == nil || !strings.Contains(err.Error(), "--html") {
		t.Fatalf("report without --html: %v", err)
	}
}
