// Command nhi-plugin-dotfile is the example plugin's executable: its whole
// main is one call to sdk.Serve. The agent starts it over go-plugin.
package main

import (
	"github.com/nhiradar/nhiradar/plugins/examples/dotfile"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() { sdk.Serve(dotfile.Plugin{}) }
