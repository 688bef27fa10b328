//go:build !linux

package spool

// dontNeed is a no-op where the agent does not run as a measured service.
func dontNeed(uintptr, int64) error { return nil }
