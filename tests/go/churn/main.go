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
)

// live holds the map so that it escapes to the heap (see main).
var live map[uint64]uint64

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	// bpftrace -c starts the program once every probe is attached.  The
	// map escapes to the heap (live): its header then has one address for
	// its whole life, where a header on the goroutine stack would share its
	// address with maps that init functions put in the same stack slot, and
	// move when the stack grows.
	m := make(map[uint64]uint64)
	live = m
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
