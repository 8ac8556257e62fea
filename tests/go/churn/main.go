// SPDX-License-Identifier: MIT

// churn: a Go program with known map operations, for go_maps.bt
// (test_go_maps.sh): N inserts into one map[uint64]uint64 (which grows), N/2
// deletes, then the range-delete idiom on what is left, which the compiler
// turns into one runtime.mapclear call.  Every delete call is one
// runtime.mapdelete* entry, present key or not.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	// Probes attach before main runs; a short pause lets bpftrace settle.
	time.Sleep(200 * time.Millisecond)
	m := make(map[uint64]uint64)
	for i := 0; i < n; i++ {
		m[uint64(i)] = uint64(i)
	}
	for i := 0; i < n; i += 2 {
		delete(m, uint64(i))
	}
	for k := range m {
		delete(m, k)
	}
	fmt.Println("deletes", n/2, "cleared", n-n/2, "left", len(m))
}
