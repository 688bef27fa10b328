package credfiles

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPlantedGolden compares the plugin's output on the shared planted host
// (one file of every supported format, with decoys) with a golden file.
// File owner, mode, mtime and account depend on the checkout and are left out.
func TestPlantedGolden(t *testing.T) {
	var lines []string
	for _, e := range scan(t, "../planted/testdata/host") {
		e.ModifiedAt, e.FileOwner, e.FileMode, e.Account = nil, "", "", ""
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	got := []byte(strings.Join(lines, "\n") + "\n")
	golden := filepath.Join("testdata", "planted.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (go test -update):\n%s", golden, got)
	}
}

func TestParserErrorsNeverQuoteContent(t *testing.T) {
	secret := "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7"
	broken := map[string]parser{
		"kube":   {"kubeconfig", parseKubeconfig},
		"docker": {"docker", parseDockerConfig},
		"msal":   {"azure", parseAzureMSAL},
		"tf":     {"terraform", parseTerraform},
		"gh":     {"gh", parseGHHosts},
	}
	for name, p := range broken {
		_, err := p.parse(input{content: []byte("{users: [" + secret + "\n\t- :"), path: "/x"})
		if err == nil {
			t.Errorf("%s: malformed content gave no error", name)
			continue
		}
		if strings.Contains(err.Error(), secret[:8]) {
			t.Errorf("%s: error quotes the content: %v", name, err)
		}
	}
}
