// Command nfpm builds the .deb and .rpm packages of NHI Radar with
// github.com/goreleaser/nfpm/v2 as a library: `make package` runs it after
// `make build`. A Go program rather than nfpm.yaml files, because the
// agent's default configuration pins the SHA-256 of the very plugin
// binaries being packaged, and the unit file is rendered from the service
// code that `nhi-agent install` uses.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
)

func main() {
	var o options
	flag.StringVar(&o.Bin, "bin", "bin", "directory holding the built binaries")
	flag.StringVar(&o.Out, "out", "dist", "directory the packages are written to")
	flag.StringVar(&o.Policy, "policy", "packaging/policy", "directory holding policy.yaml and owners.csv")
	flag.StringVar(&o.Version, "version", "dev", "version (git describe); made into a package version")
	flag.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH of the binaries")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	paths, err := Build(o)
	if err != nil {
		log.Error("package", "err", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
