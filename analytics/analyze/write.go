package analyze

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
)

// writer stores changed findings beside the analysis: an insert is mostly
// the server's latency (a new part for each table), which the rules' work
// overlaps. One chunk is written while the next fills; a failed write stops
// the analysis at its next hand-over.
type writer struct {
	db         *findingdb.DB
	version    uint64
	analysisID string
	chunks     chan chunk
	failed     chan struct{}
	done       chan struct{}
	once       sync.Once
	written    int
	err        error
	// waited is how long the analysis waited on the writer.
	waited time.Duration
}

// chunk is changed findings and their transitions, written together.
type chunk struct {
	rows []findings.Finding
	ts   []findings.Transition
}

// errWriteFailed stands in for the writer's error until finish returns it.
var errWriteFailed = errors.New("analyze: an earlier write failed")

func startWriter(ctx context.Context, db *findingdb.DB, version uint64, analysisID string) *writer {
	w := &writer{db: db, version: version, analysisID: analysisID,
		chunks: make(chan chunk), failed: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	for c := range w.chunks {
		if w.err != nil {
			continue
		}
		if err := w.db.WriteFindings(ctx, w.version, c.rows, c.ts, w.analysisID); err != nil {
			w.err = fmt.Errorf("analyze: write %d findings: %w", len(c.rows), err)
			close(w.failed)
			continue
		}
		w.written += len(c.rows)
	}
}

// hand gives the writer a chunk, waiting while the previous one is written.
func (w *writer) hand(c chunk) error {
	start := time.Now()
	defer func() { w.waited += time.Since(start) }()
	select {
	case <-w.failed:
		return errWriteFailed
	default:
	}
	select {
	case w.chunks <- c:
		return nil
	case <-w.failed:
		return errWriteFailed
	}
}

// finish waits for the last chunk and says how many rows were written and
// the first write's error; it may be called again, as Run's deferred call does.
func (w *writer) finish() (int, error) {
	start := time.Now()
	w.once.Do(func() { close(w.chunks) })
	<-w.done
	w.waited += time.Since(start)
	return w.written, w.err
}
