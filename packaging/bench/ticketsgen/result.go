package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/internal/spool"
)

// requestsPerTicket is what opening one ticket needs: the Find by
// correlation key the syncer makes before every create, and the Create.
const requestsPerTicket = 2

type result struct {
	n, rate, burst int
	// created: the server holds n incidents; recorded: the store holds n
	// ticket records; round: the rounds returned with nothing pending
	// (they also poll every open ticket's state once).
	created, recorded, round time.Duration
	rounds, opened           int
	delays                   []string
	allowed                  map[string]int
	rejected                 int
	remote                   map[string]int // correlation_id -> incidents
	records                  int
	openEvents               uint64
	peakRSS, outboxFile      int64
	outboxPeak               spool.Stats
	peakHeap                 uint64
}

// bound is the shortest time the rate allows for n tickets: the full
// bucket's burst is free, every further request waits its token.
func (r *result) bound(perTicket int) time.Duration {
	need := max(perTicket*r.n-r.burst, 0)
	return time.Duration(float64(need) / float64(r.rate) * float64(time.Second))
}

func (r *result) duplicates() int {
	d := 0
	for _, c := range r.remote {
		d += c - 1
	}
	return d + max(r.records-len(r.remote), 0) + max(int(r.openEvents)-len(r.remote), 0)
}

func (r *result) missing() int { return max(r.n-len(r.remote), 0) }

func correlationIDs(w *httptest.ResponseRecorder) (map[string]int, error) {
	if w.Code != http.StatusOK {
		return nil, fmt.Errorf("list incidents: HTTP %d: %s", w.Code, w.Body.String())
	}
	var out struct {
		Result []struct {
			Key string `json:"correlation_id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	keys := map[string]int{}
	for _, r := range out.Result {
		keys[r.Key]++
	}
	return keys, nil
}

// readMemory takes the process's peak resident set (it holds the
// contract server's incidents too) and the outbox file's size (bbolt does
// not shrink it, so it is the peak).
func (r *result) readMemory(ob *spool.Spool) {
	r.peakRSS = statusKB("VmHWM") << 10
	if fi, err := os.Stat(ob.Path()); err == nil {
		r.outboxFile = fi.Size()
	}
}

// sample keeps the outbox's fullest state and, when heap is set, the
// largest Go heap in use seen (ReadMemStats stops the world: not often).
func (r *result) sample(st spool.Stats, heap bool) {
	if st.Bytes > r.outboxPeak.Bytes {
		r.outboxPeak = st
	}
	if heap {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		r.peakHeap = max(r.peakHeap, m.HeapInuse)
	}
}

func statusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func pct(a, b time.Duration) string { return fmt.Sprintf("%.0f%%", 100*a.Seconds()/b.Seconds()) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func (r *result) markdown(w io.Writer, c config) {
	methods := make([]string, 0, len(r.allowed))
	total := 0
	for m, n := range r.allowed {
		methods = append(methods, fmt.Sprintf("%s %d", m, n))
		total += n
	}
	sort.Strings(methods)
	delays := "none"
	if len(r.delays) > 0 {
		delays = fmt.Sprintf("%d (first: %s)", len(r.delays), r.delays[0])
	}
	fmt.Fprintf(w, `## Ticketing

`+"`NHI_BENCH_TICKETS=%d make bench`"+` (or `+"`bash packaging/bench/tickets.sh`"+`), %s, %d cores, load %s;
ClickHouse store, ServiceNow contract server (sntest) behind a token bucket of %d requests/s (burst %d, 429 with Retry-After beyond),
ticketsync with the default retrier, outbox in a strict spool. Lower bound: (%d requests per ticket (Find by correlation_id, Create) × %d tickets − the burst) / %d per second.

| | time | vs. the bound |
|---|---|---|
| lower bound the rate sets for %d tickets | %s | 100%% |
| every request has its incident on the server | %s | **%s** |
| … and its ticket recorded in the store | %s | %s |
| the rounds done, nothing pending (they also poll each ticket once: +1 GET each; bound %s) | %s | %s |

Requests let through: %d (%s); answered 429: %d. Sync rounds: %d; rounds that stopped on the system: %s.
Incidents on the server: %d for %d distinct keys of %d requested; ticket records %d, "open" events %d: **%d duplicates, %d missing**.
Memory: peak RSS %s (the process also holds the contract server's incidents), Go heap in use at most %s;
outbox %d entries, %s at its fullest, file %s.
`, r.n, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), loadavg(), r.rate, r.burst,
		requestsPerTicket, r.n, r.rate, r.n,
		secs(r.bound(requestsPerTicket)),
		secs(r.created), pct(r.created, r.bound(requestsPerTicket)),
		secs(r.recorded), pct(r.recorded, r.bound(requestsPerTicket)),
		secs(r.bound(requestsPerTicket+1)), secs(r.round), pct(r.round, r.bound(requestsPerTicket+1)),
		total, strings.Join(methods, ", "), r.rejected, r.rounds, delays,
		sumCounts(r.remote), len(r.remote), r.n, r.records, r.openEvents, r.duplicates(), r.missing(),
		mb(r.peakRSS), mb(int64(r.peakHeap)), r.outboxPeak.Depth, mb(r.outboxPeak.Bytes), mb(r.outboxFile))
}

func sumCounts(m map[string]int) int {
	s := 0
	for _, c := range m {
		s += c
	}
	return s
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
