// Package accounts is the built-in plugin that reports the host's OS service
// accounts. It reads /etc/passwd, /etc/group, /etc/login.defs, sudoers (with
// its includes) and what runs as each account (systemd units, cron tables,
// and on the live host daemon processes), tells service accounts from people
// and reports each service account as os_service_account with the signals
// that classified it and its sudo rights in attrs. People are not reported.
package accounts

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/options"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Name is the plugin's name in events and configuration.
const Name = "accounts"

// Plugin reports service accounts.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", Description: "OS service accounts, their sudo rights and what runs as them"}
}

// Scan implements sdk.Plugin.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if err := options.Check(Name, req.Options); err != nil {
		return err
	}
	var problems hostfs.Problems
	root := hostfs.New(req.Root).Reporting(&problems)
	list, err := Classify(root)
	if err != nil {
		return fmt.Errorf("%s: read /etc/passwd: %w", Name, err)
	}
	rules := Sudoers(root)
	for _, a := range list {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !a.Service {
			continue
		}
		if err := emit(accountEvent(root, a, rules)); err != nil {
			return err
		}
	}
	return sdk.WarnAll(emit, &problems)
}

func accountEvent(root hostfs.Root, a Account, rules []Rule) *event.Event {
	attrs := map[string]string{
		"uid": strconv.Itoa(a.UID), "gid": strconv.Itoa(a.GID), "shell": a.Shell, "home": a.Home,
		"classified_by": strings.Join(a.Reasons, ","),
	}
	if len(a.Groups) > 0 {
		attrs["groups"] = strings.Join(a.Groups, ",")
	}
	if fi, err := os.Stat(root.Path(a.Home)); err == nil && fi.IsDir() {
		attrs["home_exists"] = "true"
	} else {
		attrs["home_exists"] = "false"
	}
	sudoAttrs(attrs, a, rules)
	e := &event.Event{
		Type: event.TypeNHIObserved, Plugin: Name, Kind: event.KindOSServiceAccount,
		Principal: a.Name, Location: "/etc/passwd", Key: a.Name, Account: a.Name, Attrs: attrs,
	}
	if full, _, _ := strings.Cut(a.Gecos, ","); full != "" && full != a.Name {
		e.OwnerHints = []string{"gecos:" + full}
	}
	return e
}

// sudoAttrs records the rules that grant the account sudo rights and the
// rules that let others become it.
func sudoAttrs(attrs map[string]string, a Account, rules []Rule) {
	var grants, becomes []string
	nopasswd := false
	for _, r := range rules {
		if appliesTo(r.Who, a) {
			grants = append(grants, r.Text)
			nopasswd = nopasswd || r.NoPasswd
		}
		for _, u := range r.RunAs {
			if u == a.Name {
				becomes = append(becomes, strings.Join(r.Who, ","))
			}
		}
	}
	if len(grants) > 0 {
		attrs["sudo"] = strings.Join(grants, "; ")
		attrs["sudo_nopasswd"] = strconv.FormatBool(nopasswd)
	}
	if len(becomes) > 0 {
		sort.Strings(becomes)
		attrs["sudo_runas_by"] = strings.Join(becomes, ",")
	}
}

func appliesTo(who []string, a Account) bool {
	for _, w := range who {
		if w == a.Name || w == "ALL" {
			return true
		}
		if g, ok := strings.CutPrefix(w, "%"); ok {
			for _, mine := range a.Groups {
				if mine == g {
					return true
				}
			}
		}
	}
	return false
}
