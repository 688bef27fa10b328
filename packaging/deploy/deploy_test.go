// Package deploy holds the Docker Compose file and the Kubernetes manifest
// for those who run NHI Radar there. Neither Docker nor Kubernetes runs
// here: these tests validate the files and the fields that matter.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/nhiradar/nhiradar/agent/config"
)

type compose struct {
	Services map[string]struct {
		Image       string         `yaml:"image"`
		Environment map[string]any `yaml:"environment"`
		DependsOn   map[string]any `yaml:"depends_on"`
	} `yaml:"services"`
}

func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for name, image := range map[string]string{"kafka": "apache/kafka:", "clickhouse": "clickhouse/clickhouse-server:", "collector": "nhiradar/nhi-collector:"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if !strings.HasPrefix(s.Image, image) {
			t.Errorf("service %s image %q, want %s…", name, s.Image, image)
		}
	}
	col := c.Services["collector"]
	for key, want := range map[string]string{"NHI_KAFKA_BROKERS": "kafka:9092", "NHI_CLICKHOUSE_ADDR": "clickhouse:9000"} {
		if got := col.Environment[key]; got != want {
			t.Errorf("collector %s = %v, want %s", key, got, want)
		}
	}
	for _, dep := range []string{"kafka", "clickhouse"} {
		if _, ok := col.DependsOn[dep]; !ok {
			t.Errorf("collector does not depend on %s", dep)
		}
	}
}

// manifest is the part of a Kubernetes object the test checks.
type manifest struct {
	Kind     string                `yaml:"kind"`
	Metadata struct{ Name string } `yaml:"metadata"`
	Data     map[string]string     `yaml:"data"`
	Spec     struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	Containers []struct {
		Image        string   `yaml:"image"`
		Args         []string `yaml:"args"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []volume `yaml:"volumes"`
}

type volume struct {
	Name     string `yaml:"name"`
	HostPath *struct {
		Path string `yaml:"path"`
	} `yaml:"hostPath"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
}

func readManifests(t *testing.T, path string) map[string]manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	out := map[string]manifest{}
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[m.Kind] = m
	}
}

func TestDaemonSet(t *testing.T) {
	ms := readManifests(t, "kubernetes/nhi-agent-daemonset.yaml")
	ds, ok := ms["DaemonSet"]
	if !ok || len(ds.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("no DaemonSet with one container: %+v", ms)
	}
	pod := ds.Spec.Template.Spec
	c := pod.Containers[0]
	if i := slices.Index(c.Args, "--root"); i < 0 || i+1 >= len(c.Args) || c.Args[i+1] != "/host" || c.Args[0] != "run" {
		t.Errorf("args %q, want run … --root /host", c.Args)
	}
	hostVolume := ""
	for _, v := range pod.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/" {
			hostVolume = v.Name
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == hostVolume && m.MountPath == "/host" {
			mounted = true
			if !m.ReadOnly {
				t.Errorf("the host is mounted at /host read-write")
			}
		}
	}
	if hostVolume == "" || !mounted {
		t.Errorf("no hostPath / volume mounted at /host (volume %q)", hostVolume)
	}
	if !slices.ContainsFunc(pod.Volumes, func(v volume) bool {
		return v.Secret != nil && v.Secret.SecretName == "nhi-agent-fingerprint-key"
	}) {
		t.Error("the fingerprint key does not come from a Secret")
	}
	checkConfigMap(t, ms["ConfigMap"])
}

// checkConfigMap holds the DaemonSet's agent.yaml to the agent's schema,
// with the pins to fill in replaced by well-formed ones.
func checkConfigMap(t *testing.T, cm manifest) {
	src, ok := cm.Data["agent.yaml"]
	if !ok {
		t.Fatal("ConfigMap has no agent.yaml")
	}
	pins := regexp.MustCompile(`REPLACE_WITH_SHA256_OF_\S+`)
	cfg, err := config.Parse([]byte(pins.ReplaceAllString(src, strings.Repeat("ab", 32))))
	if err != nil {
		t.Fatalf("ConfigMap agent.yaml: %v", err)
	}
	if cfg.FingerprintKey.File != "/etc/nhi-agent/key/fingerprint.key" {
		t.Errorf("fingerprint key from %s, want the Secret's mount", cfg.FingerprintKey.Where())
	}
}
