// Package processes is the built-in plugin that looks at the running
// processes of the live host: secrets in their environment variables and
// command-line arguments (by name, such as *_TOKEN or --db-password, and by
// known token formats; placeholders ignored), with the process's user and
// executable, and the credential files they hold open. Each secret is one
// nhi_observed event plus a usage_evidence event of type process (the
// identity is in use right now); each open credential file is usage
// evidence of type open_file; each service account with running processes
// is usage evidence of type process. It reads /proc through gopsutil and is
// LiveOnly: a rebased root has no processes.
package processes

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/process"

	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/options"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "processes"

// Plugin inspects running processes.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", LiveOnly: true,
		Description: "secrets in process environments and arguments, credential files held open"}
}

// proc is what the plugin reads of one process.
type proc struct {
	pid     int32
	user    string
	exe     string
	name    string
	started time.Time
	env     []string
	args    []string
	files   []string
}

// Scan implements sdk.Plugin. Option "pids" (comma-separated) limits the
// scan to those processes.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if err := options.Check(Name, req.Options, "pids"); err != nil {
		return err
	}
	root := hostfs.New(req.Root)
	if !root.Live() {
		return nil
	}
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return fmt.Errorf("%s: list processes: %w", Name, err)
	}
	only := pidFilter(req.Options["pids"])
	sort.Slice(procs, func(i, j int) bool { return procs[i].Pid < procs[j].Pid })
	r := newReporter(root, fp, now, emit)
	uses := newAccountUse(serviceAccounts(root))
	self := int32(os.Getpid())
	for _, p := range procs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.Pid == self || (only != nil && !only[p.Pid]) {
			continue
		}
		pr := read(ctx, p)
		uses.add(pr)
		if err := r.process(pr); err != nil {
			return err
		}
	}
	for _, e := range uses.events(now) {
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}

// serviceAccounts returns the names of the host's service accounts, as the
// accounts plugin classifies them.
func serviceAccounts(root hostfs.Root) map[string]bool {
	out := map[string]bool{}
	list, _ := accounts.Classify(root)
	for _, a := range list {
		out[a.Name] = a.Service
	}
	return out
}

// read gathers a process's details. A process that exits or is not ours
// to read gives what could be read; errors are not reported, as processes
// come and go during any scan.
func read(ctx context.Context, p *process.Process) proc {
	pr := proc{pid: p.Pid}
	pr.user, _ = p.UsernameWithContext(ctx)
	pr.exe, _ = p.ExeWithContext(ctx)
	pr.name, _ = p.NameWithContext(ctx)
	if ms, err := p.CreateTimeWithContext(ctx); err == nil && ms > 0 {
		pr.started = time.UnixMilli(ms).UTC()
	}
	pr.env, _ = p.EnvironWithContext(ctx)
	pr.args, _ = p.CmdlineSliceWithContext(ctx)
	if files, err := p.OpenFilesWithContext(ctx); err == nil {
		for _, f := range files {
			pr.files = append(pr.files, f.Path)
		}
	}
	return pr
}

func pidFilter(s string) map[int32]bool {
	if s == "" {
		return nil
	}
	out := map[int32]bool{}
	for _, f := range splitComma(s) {
		if n, err := strconv.Atoi(f); err == nil {
			out[int32(n)] = true
		}
	}
	return out
}

func splitComma(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
