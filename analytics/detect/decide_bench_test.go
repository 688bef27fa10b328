package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/policy"
)

// benchFleet is a fleet shaped like packaging/bench/analyticsbench's:
// identities over hosts of three environments, a third used, with usage
// sources on a fifth of the hosts.
func benchFleet(b *testing.B, n, hosts int) (*Env, []usageSource) {
	b.Helper()
	p, err := policy.Load("../../packaging/bench/analyticsbench/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	envs := []string{"prod", "stg", "dev"}
	in := newInterner()
	var blocks identityBlocks
	kinds := []string{"aws_access_key", "generic_secret", "private_key", "ssh_authorized_key", "os_service_account"}
	for i := 0; i < n; i++ {
		id := blocks.next()
		h := fmt.Sprintf("%s-web-%04d", envs[i%3], i%hosts)
		id.NHIID, id.Kind, id.Principal = fmt.Sprintf("nhi-%08x", i*2654435761%(1<<32)), kinds[i%len(kinds)], fmt.Sprintf("p%d", i)
		id.Hosts, id.Locations = []string{h}, []string{fmt.Sprintf("/home/u%d/.aws/credentials", i%50)}
		id.StillPresent, id.Secret = true, id.Kind != "ssh_authorized_key" && id.Kind != "os_service_account"
		id.FirstSeen = StampOf(now.Add(-time.Duration(i%400) * 24 * time.Hour))
		id.ModifiedAt = StampOf(now.Add(-time.Duration(i%700) * 24 * time.Hour))
		if i%3 == 0 {
			id.LastUsed, id.LastEvidence, id.LastSource = StampOf(now.Add(-time.Duration(i%300)*24*time.Hour)), "file_access", "atime"
		}
		in.identity(id)
		id.PresentHosts = id.Hosts
	}
	var sources []usageSource
	for h := 0; h < hosts; h += 5 {
		for _, e := range envs {
			sources = append(sources, usageSource{Host: fmt.Sprintf("%s-web-%04d", e, h), Evidence: "file_access", Source: "atime",
				First: now.Add(-800 * 24 * time.Hour), Last: now})
		}
	}
	return NewEnv(p, now, blocks.sorted()), sources
}

// fresh forgets what an analysis decides once per identity (thresholds),
// so that each run pays for it as an analysis does.
func fresh(b *testing.B, env *Env) {
	b.StopTimer()
	for _, id := range env.sorted() {
		id.limits = nil
	}
	clear(env.limits)
	b.StartTimer()
}

func BenchmarkDormantDecisions(b *testing.B) {
	env, sources := benchFleet(b, 200000, 5000)
	b.ResetTimer()
	for range b.N {
		fresh(b, env)
		n := 0
		for range evalDormant(env, sources) {
			n++
		}
	}
}

func BenchmarkLongLivedDecisions(b *testing.B) {
	env, _ := benchFleet(b, 200000, 5000)
	b.ResetTimer()
	for range b.N {
		fresh(b, env)
		for range evalLongLived(env) {
		}
	}
}
