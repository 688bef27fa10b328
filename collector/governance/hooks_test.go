package governance

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/ticket/webhook"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// TestHookPush: only a push signed with the shared secret is recorded,
// and a recorded push moves the analyser's mark, so the tickets are
// polled at its next look rather than at the interval.
func TestHookPush(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_hooks")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()); st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	secret := []byte("hook-shared-secret-0001")
	h := HookHandler(func() *store.Store { return st }, secret, slog.Default())
	post := func(body, sig string) int {
		r := httptest.NewRequest(http.MethodPost, HookPath, strings.NewReader(body))
		if sig != "" {
			r.Header.Set(webhook.SignatureHeader, sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	before, err := LatestFullScans(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	good := `{"system":"servicenow","external_id":"INC0010042","state":"resolved"}`
	for _, c := range []struct {
		body, sig string
		want      int
	}{
		{good, "", http.StatusUnauthorized},
		{good, webhook.Sign([]byte("wrong"), []byte(good)), http.StatusUnauthorized},
		{`{"system":""}`, webhook.Sign(secret, []byte(`{"system":""}`)), http.StatusBadRequest},
		{string(bytes.Repeat([]byte("x"), maxHookBody+1)), "", http.StatusRequestEntityTooLarge},
	} {
		if got := post(c.body, c.sig); got != c.want {
			t.Errorf("push %.40q: %d, want %d", c.body, got, c.want)
		}
	}
	if mid, _ := LatestFullScans(ctx, st); mid != before {
		t.Fatal("a refused push moved the mark")
	}
	if got := post(good, webhook.Sign(secret, []byte(good))); got != http.StatusAccepted {
		t.Fatalf("signed push: %d, want 202", got)
	}
	if after, _ := LatestFullScans(ctx, st); after == before {
		t.Error("a recorded push did not move the mark: the analyser would wait for its interval")
	}
}
