package governance

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/ticket/webhook"
)

// HookPath is where ticket systems push ticket changes.
const HookPath = "/hooks/tickets"

// maxHookBody bounds a push: a ticket id and a state.
const maxHookBody = 64 << 10

// Hook is one push: which ticket changed, and to what if the system says.
type Hook struct {
	System     string `json:"system"`
	ExternalID string `json:"external_id"`
	State      string `json:"state,omitempty"`
}

// HookHandler receives pushes signed like the webhook connector's calls
// (X-NHI-Signature: sha256=<HMAC of the body under the shared secret>),
// records them, and so makes the analyser poll the tickets at its next
// look (every collector may receive a push; only the analyser rounds).
// The push is a hint, never trusted for the state itself: the round asks
// the system.
func HookHandler(st func() *store.Store, secret []byte, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST a signed JSON body", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody+1))
		if err != nil || len(body) > maxHookBody {
			http.Error(w, "body over 64 KiB", http.StatusRequestEntityTooLarge)
			return
		}
		if !webhook.Verify(secret, body, r.Header.Get(webhook.SignatureHeader)) {
			http.Error(w, "missing or wrong "+webhook.SignatureHeader, http.StatusUnauthorized)
			return
		}
		var h Hook
		if err := json.Unmarshal(body, &h); err != nil || h.System == "" || h.ExternalID == "" {
			http.Error(w, `want {"system": …, "external_id": …}`, http.StatusBadRequest)
			return
		}
		s := st()
		if s == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if err := recordHook(r, s, h); err != nil {
			log.Warn("ticket push not recorded; the next round polls anyway", "system", h.System, "ticket", h.ExternalID, "err", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

func recordHook(r *http.Request, st *store.Store, h Hook) error {
	b, err := st.Conn().PrepareBatch(r.Context(), "INSERT INTO "+st.Table("ticket_hooks")+" (system, external_id, state, at)")
	if err != nil {
		return err
	}
	if err := b.Append(h.System, h.ExternalID, h.State, time.Now().UTC()); err != nil {
		return errors.Join(err, b.Abort())
	}
	return b.Send()
}
