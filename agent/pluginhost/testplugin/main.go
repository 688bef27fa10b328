// Command testplugin is a discovery plugin for the plugin host's tests only.
// Its behaviour comes from the scan options: mode "ok" emits count events,
// "panic" emits two and panics, "hang" emits one and never returns, "hog"
// allocates memory without bound, "burn" spins on the CPU until cancelled.
// Without a mode option, NHI_TESTPLUGIN_MODE gives it: `nhi-agent scan`
// passes no options.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type testPlugin struct{}

func (testPlugin) Info() sdk.Info { return sdk.Info{Name: "testplugin", Version: "0.0.1"} }

func (p testPlugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	mode := req.Options["mode"]
	if mode == "" {
		mode = os.Getenv("NHI_TESTPLUGIN_MODE")
	}
	req.Logger().Warn("scan started", "mode", mode, "full", req.Full)
	emitN := func(n int) error {
		for i := 0; i < n; i++ {
			e := &event.Event{Type: event.TypeNHIObserved, Kind: event.KindOSServiceAccount,
				Principal: fmt.Sprintf("svc-%s-%d", mode, i), Location: "/etc/passwd"}
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	}
	switch mode {
	case "panic":
		_ = emitN(2)
		panic("testplugin: deliberate panic")
	case "hang":
		_ = emitN(1)
		select {} // ignores ctx, as a stuck plugin would
	case "hog":
		var keep [][]byte
		for {
			b := make([]byte, 8<<20)
			for i := range b {
				b[i] = byte(i)
			}
			keep = append(keep, b)
			time.Sleep(5 * time.Millisecond)
		}
	case "burn":
		// CPU-bound until the scan is cancelled: what the CPU budget is for.
		for i := 0; ctx.Err() == nil; i++ {
			if i%50_000_000 == 0 {
				_ = emitN(1)
			}
		}
		return ctx.Err()
	case "fail":
		return fmt.Errorf("testplugin: a reported scan error")
	}
	n, _ := strconv.Atoi(req.Options["count"])
	return emitN(max(n, 1))
}

func main() {
	sdk.Serve(testPlugin{})
}
