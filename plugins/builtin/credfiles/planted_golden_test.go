package credfiles

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
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
	plantedhost.CompareFile(t, got, filepath.Join("testdata", "planted.golden.jsonl"), *update)
}
