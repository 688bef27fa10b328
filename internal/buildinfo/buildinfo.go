// Package buildinfo holds the version and commit stamped into every NHI
// Radar binary at build time, so that one -ldflags line stamps them all:
//
//	-X github.com/nhiradar/nhiradar/internal/buildinfo.Version=1.2.3
//	-X github.com/nhiradar/nhiradar/internal/buildinfo.Commit=abc1234
package buildinfo

import (
	"fmt"
	"io"
	"os"
)

// Version and Commit are set by the linker; "dev" and "unknown" mark a
// binary built without the Makefile (go run, go test).
var (
	Version = "dev"
	Commit  = "unknown"
)

// String is what --version prints: the program, its version and commit.
func String(program string) string {
	return fmt.Sprintf("%s %s (commit %s)", program, Version, Commit)
}

// HandleFlag prints the version and exits when args is exactly
// ["--version"]. Plugins call it before serving: go-plugin would otherwise
// answer a person who runs one by hand with its handshake error.
func HandleFlag(program string, args []string, w io.Writer) bool {
	if len(args) != 1 || (args[0] != "--version" && args[0] != "version") {
		return false
	}
	fmt.Fprintln(w, String(program))
	return true
}

// ExitOnFlag is HandleFlag for a main function.
func ExitOnFlag(program string) {
	if HandleFlag(program, os.Args[1:], os.Stdout) {
		os.Exit(0)
	}
}
