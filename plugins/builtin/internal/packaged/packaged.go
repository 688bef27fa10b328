// Package packaged tells the files a host's package managers installed
// from the operator's own: language package caches and toolchains (the Go
// module cache and GOROOT, pip/pyenv/conda site-packages, npm/yarn caches
// and node_modules, the cargo registry, Maven's repository, gem paths) and
// the files dpkg installed and nobody changed since. Their keys and tokens
// are vendors' test fixtures and identifiers, not credentials, and a live
// scan of a build machine is mostly made of them. The file-walking plugins
// skip them by default and count what they skipped, by reason.
package packaged

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Reasons a path is skipped, as counted in a plugin's summary.
const (
	ReasonPackageCache = "package_cache"
	ReasonOSPackage    = "os_package"
)

// Option names, shared by the plugins that walk files.
const (
	OptPackageCaches = "skip_package_caches"
	OptOSPackages    = "skip_os_packages"
)

// cacheNames are directories skipped wherever they are, by name.
var cacheNames = map[string]bool{"node_modules": true, "site-packages": true, "dist-packages": true,
	".npm": true, ".pnpm-store": true, "go-build": true}

// cacheSuffixes are directories skipped by their last path elements
// (shell globs per element). Credential files next to them stay scanned:
// ~/.m2/settings.xml, ~/.cargo/credentials.toml, ~/.gem/credentials,
// ~/.npmrc.
var cacheSuffixes = []string{
	"go/pkg/mod", "sdk/go1.*", "conda/pkgs", "mambaforge/pkgs", ".cache/pip", ".cache/yarn", ".yarn/cache", ".yarn/berry/cache",
	".pyenv/versions", ".conda/pkgs", "miniconda*/pkgs", "anaconda*/pkgs", "miniforge*/pkgs", ".nvm/versions",
	".cargo/registry", ".cargo/git", ".rustup/toolchains", ".m2/repository", ".gradle/caches", ".gradle/wrapper",
	".gem/ruby", ".gem/specs", ".rbenv/versions", ".rvm/gems", ".rvm/rubies", "lib/ruby/gems",
}

// toolchainDirs are toolchains installed by host path (GOROOT, a Python
// built from source).
var toolchainDirs = []string{"/usr/local/go", "/usr/lib/go", "/usr/lib/go-*", "/opt/go", "/usr/local/lib/python*",
	"/usr/local/lib/node_modules", "/var/lib/gems"}

// Skipper decides, for one scan, which paths are packaged, and counts them.
type Skipper struct {
	caches bool
	// owned maps the dpkg-installed files under the scanned paths to their
	// packaged MD5 ("" when dpkg lists none).
	owned map[string]string
	root  hostfs.Root

	mu     sync.Mutex
	counts map[string]int
}

// New reads the options (both default to true) and, when OS packages are
// skipped, dpkg's file lists for the files under the scanned paths. A host
// without dpkg (or whose lists cannot be read) skips none: rpm's database
// is not read, so on rpm hosts every file is scanned.
func New(root hostfs.Root, opts map[string]string, scanned []string) (*Skipper, error) {
	caches, err := boolOption(opts, OptPackageCaches)
	if err != nil {
		return nil, err
	}
	osPkgs, err := boolOption(opts, OptOSPackages)
	if err != nil {
		return nil, err
	}
	s := &Skipper{caches: caches, root: root, counts: map[string]int{}}
	if osPkgs {
		s.owned = dpkgOwned(root, scanned)
	}
	return s, nil
}

func boolOption(opts map[string]string, name string) (bool, error) {
	v, ok := opts[name]
	if !ok || v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("option %s: %w", name, err)
	}
	return b, nil
}

// Dir reports whether a directory is a package cache or toolchain, and
// counts it.
func (s *Skipper) Dir(host string) bool {
	if s == nil || !s.caches || !IsCache(host) && !s.goroot(host) {
		return false
	}
	s.count(ReasonPackageCache)
	return true
}

// goroot reports a Go toolchain installed anywhere (/opt/go1.22, a
// toolchain in a home): a directory named go* holding VERSION and
// src/runtime. Only go* directories cost a stat.
func (s *Skipper) goroot(host string) bool {
	if !strings.HasPrefix(path.Base(host), "go") {
		return false
	}
	v, err := s.root.Stat(host + "/VERSION")
	if err != nil || !v.Mode().IsRegular() {
		return false
	}
	rt, err := s.root.Stat(host + "/src/runtime")
	return err == nil && rt.IsDir()
}

// IsCache reports whether a host directory is a language package cache or
// toolchain.
func IsCache(host string) bool {
	if cacheNames[path.Base(host)] {
		return true
	}
	for _, d := range toolchainDirs {
		if ok, _ := path.Match(d, host); ok {
			return true
		}
	}
	parts := strings.Split(host, "/")
	for _, suf := range cacheSuffixes {
		want := strings.Split(suf, "/")
		if len(parts) < len(want) {
			continue
		}
		if matchAll(want, parts[len(parts)-len(want):]) {
			return true
		}
	}
	return false
}

func matchAll(pats, elems []string) bool {
	for i, p := range pats {
		if ok, _ := path.Match(p, elems[i]); !ok {
			return false
		}
	}
	return true
}

// File reports whether a regular file is as its OS package installed it,
// and counts it. A packaged file whose content changed (a conffile the
// operator edited, such as exim's passwd.client) is the operator's: it is
// scanned.
func (s *Skipper) File(host string) bool {
	if s == nil || s.owned == nil {
		return false
	}
	sum, ok := s.owned[host]
	if !ok || sum == unknownSum {
		return false
	}
	if sum != "" {
		b, err := s.root.ReadFile(host, 16<<20)
		if err != nil {
			return false // the scan reads it and notes what went wrong
		}
		got := md5.Sum(b)
		if hex.EncodeToString(got[:]) != sum {
			return false
		}
	}
	s.count(ReasonOSPackage)
	return true
}

func (s *Skipper) count(reason string) {
	s.mu.Lock()
	s.counts[reason]++
	s.mu.Unlock()
}

// LogAttrs are the skip counts for a plugin's summary line:
// skipped_package_cache (directories), skipped_os_package (files).
func (s *Skipper) LogAttrs() []slog.Attr {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return []slog.Attr{slog.Int("skipped_"+ReasonPackageCache, s.counts[ReasonPackageCache]),
		slog.Int("skipped_"+ReasonOSPackage, s.counts[ReasonOSPackage])}
}

// Counts returns a copy of the skip counts by reason.
func (s *Skipper) Counts() map[string]int {
	out := map[string]int{}
	if s == nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// unknownSum marks a conffile whose packaged checksum dpkg does not
// record ("newconffile"): it may hold the operator's edits, so it is
// scanned.
const unknownSum = "-"

// dpkgInfo is where dpkg keeps each package's file list (<pkg>.list) and
// checksums (<pkg>.md5sums, paths without the leading '/').
const dpkgInfo = "/var/lib/dpkg/info"

// dpkgOwned returns the dpkg-installed files under the scanned paths with
// their packaged MD5 (from *.md5sums, and for conffiles from the status
// file). Only files under the scanned paths are kept: a few hundred
// entries on a typical host, not the whole database.
func dpkgOwned(root hostfs.Root, scanned []string) map[string]string {
	// Only names are listed here; every file is read through the root,
	// which refuses links out of it.
	entries, err := os.ReadDir(root.Path(dpkgInfo))
	if err != nil {
		return nil // not a dpkg host
	}
	under := func(p string) bool {
		for _, s := range scanned {
			if p == s || strings.HasPrefix(p, strings.TrimSuffix(s, "/")+"/") {
				return true
			}
		}
		return false
	}
	owned := map[string]string{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".list") {
			eachLine(root, dpkgInfo+"/"+e.Name(), func(l string) {
				if under(l) {
					owned[l] = ""
				}
			})
		}
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md5sums") {
			eachLine(root, dpkgInfo+"/"+e.Name(), func(l string) {
				sum, p, ok := strings.Cut(l, "  ")
				if _, known := owned["/"+p]; ok && known {
					owned["/"+p] = sum
				}
			})
		}
	}
	conffileSums(root, owned)
	return owned
}

// conffileSums takes the packaged MD5 of conffiles from dpkg's status file
// (" /etc/x <md5>" lines under "Conffiles:"), which *.md5sums leave out.
func conffileSums(root hostfs.Root, owned map[string]string) {
	eachLine(root, "/var/lib/dpkg/status", func(l string) {
		if !strings.HasPrefix(l, " /") {
			return
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			return
		}
		if _, known := owned[f[0]]; known {
			owned[f[0]] = f[1]
			if len(f[1]) != 32 {
				owned[f[0]] = unknownSum
			}
		}
	})
}

// eachLine reads a dpkg database file line by line; a file that cannot be
// read is noted on the root and contributes nothing.
func eachLine(root hostfs.Root, p string, fn func(string)) {
	_ = root.EachLine(p, 64<<20, 64<<10, func(_ int, l []byte) error {
		fn(strings.TrimRight(string(l), "\r\n"))
		return nil
	})
}
