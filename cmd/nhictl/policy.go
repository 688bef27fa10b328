package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nhiradar/nhiradar/analytics/policy"
)

type policyCmd struct {
	Check policyCheckCmd `cmd:"" help:"Check a policy file; print what it holds, or every mistake with file:line."`
}

type policyCheckCmd struct {
	File string `arg:"" help:"The policy.yaml to check."`
	Now  string `help:"Count exceptions expired at this time (RFC 3339; default now)." placeholder:"TIME"`
}

// errReported says the mistakes are already printed; main only sets the exit status.
var errReported = errors.New("policy has errors")

func (c *policyCheckCmd) Run() error {
	now := time.Now()
	if c.Now != "" {
		t, err := time.Parse(time.RFC3339, c.Now)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		now = t
	}
	return checkPolicy(os.Stdout, c.File, now)
}

// checkPolicy prints the summary of a good policy, or each error of a bad one.
func checkPolicy(w io.Writer, file string, now time.Time) error {
	p, err := policy.Load(file)
	var es policy.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(w, e.Error())
		}
		return errReported
	}
	if err != nil {
		return err
	}
	s := p.Summarize(now)
	fmt.Fprintf(w, "%s: ok — %d owners, %d owner rules, %d rules configured, %d exceptions (%d expired)\n",
		file, s.Owners, s.OwnerRules, s.Rules, s.Exceptions, s.Expired)
	return nil
}
