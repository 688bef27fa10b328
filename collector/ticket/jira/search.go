package jira

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// pageSize bounds each search page; a key normally has one issue.
const pageSize = 50

// maxReconcile is how many ids search/jql accepts in reconcileIssues.
const maxReconcile = 50

type searchRequest struct {
	JQL             string   `json:"jql"`
	MaxResults      int      `json:"maxResults"`
	Fields          []string `json:"fields"`
	NextPageToken   string   `json:"nextPageToken,omitempty"`
	ReconcileIssues []int64  `json:"reconcileIssues,omitempty"`
}

type searchResult struct {
	Issues        []issue `json:"issues"`
	NextPageToken string  `json:"nextPageToken"`
	IsLast        bool    `json:"isLast"`
}

// Find returns the newest issue carrying key's label, or nil. It only uses
// POST /rest/api/3/search/jql (the legacy /search answers 410) and passes
// the ids this connector knows for key as reconcileIssues, because the
// search index lags behind writes.
func (c *Connector) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	if key == "" {
		return nil, fmt.Errorf("jira find: empty correlation key")
	}
	label := Label(key)
	req := searchRequest{JQL: c.jql(label), MaxResults: pageSize, Fields: readFields, ReconcileIssues: c.reconcile(ctx, key)}
	for page := 0; page < c.cfg.MaxSearchPages; page++ {
		var res searchResult
		if err := c.do(ctx, "find", http.MethodPost, c.base+"/rest/api/3/search/jql", req, &res); err != nil {
			return nil, err
		}
		if is := firstLabelled(res.Issues, label); is != nil {
			t := c.toTicket(*is)
			return &t, nil
		}
		if res.IsLast || res.NextPageToken == "" {
			return nil, nil
		}
		req.NextPageToken = res.NextPageToken
	}
	return nil, fmt.Errorf("jira find %s: no exact label match in %d pages of %d; refusing to guess", key, c.cfg.MaxSearchPages, pageSize)
}

// jql is bounded (a project and a label) as search/jql requires; Label
// only yields [A-Za-z0-9._-], so quoting cannot be broken.
func (c *Connector) jql(label string) string {
	return fmt.Sprintf(`project = %q AND labels = %q ORDER BY created DESC`, c.cfg.Project, label)
}

// firstLabelled skips issues whose label differs in case only: the JQL
// match is case-insensitive, the correlation label is not.
func firstLabelled(issues []issue, label string) *issue {
	for i := range issues {
		if slices.Contains(issues[i].Fields.Labels, label) {
			return &issues[i]
		}
	}
	return nil
}

// reconcile turns the known ids into the numeric ids search/jql takes,
// newest last and at most maxReconcile of them.
func (c *Connector) reconcile(ctx context.Context, key string) []int64 {
	var ids []int64
	for _, s := range c.knownIDs(key) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			c.log.WarnContext(ctx, "jira: remembered id is not a numeric issue id; not reconciled", "key", key, "id", s)
			continue
		}
		ids = append(ids, n)
	}
	if len(ids) > maxReconcile {
		ids = ids[len(ids)-maxReconcile:]
	}
	return ids
}
