// Package kubernetes is the built-in plugin that reports Kubernetes
// service-account tokens on a host: the token mounted into a container
// (/var/run/secrets/kubernetes.io/serviceaccount/token) and, on a node, the
// kubelet's projected and secret token volumes of every pod
// (/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected/*/token). The JWT
// claims are decoded without verification: principal
// system:serviceaccount:NS:NAME, exp as expires_at, iat as created_at.
// Kubeconfig files are the credfiles plugin's.
package kubernetes

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/fileuse"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/options"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "kubernetes"

// Plugin finds service-account tokens.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", Description: "Kubernetes service-account tokens (mounted and kubelet volumes)"}
}

// mounted are where a container finds its own token. /var/run is usually a
// symlink to /run; it is read only when it is a real directory, so that an
// absolute link in an image never leads out of the root.
var mounted = []string{"/run/secrets/kubernetes.io/serviceaccount", "/var/run/secrets/kubernetes.io/serviceaccount"}

// volumeGlobs are the kubelet's token volumes on a node.
var volumeGlobs = []string{
	"/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected/*",
	"/var/lib/kubelet/pods/*/volumes/kubernetes.io~secret/*",
}

// Scan implements sdk.Plugin.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if err := options.Check(Name, req.Options); err != nil {
		return err
	}
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	var problems hostfs.Problems
	s := &scanner{root: hostfs.New(req.Root).Reporting(&problems), fp: fp, now: fileuse.Clock(req.Now), emit: emit}
	var errs []error
	for _, dir := range tokenDirs(s.root) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.scanDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, sdk.WarnAll(emit, &problems))
	return errors.Join(errs...)
}

// tokenDirs lists the host directories that may hold tokens.
func tokenDirs(root hostfs.Root) []string {
	var out []string
	for _, d := range mounted {
		if fi, err := os.Lstat(root.Path("/var/run")); strings.HasPrefix(d, "/var/run/") && (err != nil || fi.Mode()&os.ModeSymlink != 0) {
			continue
		}
		if fi, err := os.Stat(root.Path(d)); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	for _, g := range volumeGlobs {
		matches, _ := filepath.Glob(root.Path(g))
		sort.Strings(matches)
		for _, m := range matches {
			out = append(out, root.HostPath(m))
		}
	}
	return out
}

// Handles reports whether a host path is a token this plugin reads, so that
// a content scanner can leave it to the parser that knows what it is.
func Handles(hostPath string) bool {
	if path.Base(hostPath) != "token" {
		return false
	}
	for _, dir := range mounted {
		if path.Dir(hostPath) == dir {
			return true
		}
	}
	if !strings.HasPrefix(hostPath, "/var/lib/kubelet/pods/") {
		return false
	}
	return strings.Contains(hostPath, "/volumes/kubernetes.io~projected/") || strings.Contains(hostPath, "/volumes/kubernetes.io~secret/")
}
