package authlog

import (
	"flag"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPlantedGolden pins the plugin's full output on the planted host.
func TestPlantedGolden(t *testing.T) {
	plantedhost.Golden(t, plantedhost.Scan(t, Plugin{}), "testdata/planted.golden.jsonl", *update)
}
