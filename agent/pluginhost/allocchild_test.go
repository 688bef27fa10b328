package pluginhost

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
)

// allocChild is the test binary re-executed as a stand-in plugin: it
// reports the memory limit its Go runtime took from GOMEMLIMIT, waits for
// a line on stdin (the parent sets its rlimit meanwhile), then allocates
// and touches n bytes and keeps them live.
func allocChild(n string) {
	size, _ := strconv.Atoi(n)
	fmt.Printf("gomemlimit %d\n", debug.SetMemoryLimit(-1))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	var keep [][]byte
	for total := 0; total < size; total += 4 << 20 {
		b := make([]byte, 4<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	fmt.Printf("allocated %d in %d chunks\n", size, len(keep))
	os.Exit(0)
}
