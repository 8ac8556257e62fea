// SPDX-License-Identifier: MIT

// The ground truth for bucketscope gorecord (docs/go.md, "Ground truth"):
// a map[uint64]uint64 is filled, emptied in part, refilled, grown and
// churned; at each phase marker the real tophash bytes of every bucket of
// the map (current array, old array while growing, overflow chains) are
// written to the file named by the first argument, read through unsafe with
// the runtime.hmap layout of docs/go-binaries.md §2.  Each marker carries a
// CLOCK_MONOTONIC timestamp, the clock of the trace, so a checker replays
// exactly the events before it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

// map[uint64]uint64 bucket: tophash [8]uint8, keys [8]uint64, elems
// [8]uint64, overflow pointer.
const bucketSize = 8 + 8*8 + 8*8 + 8

var (
	out    *bufio.Writer
	phases int
	keep   map[uint64]uint64 // a global: the map escapes, so makemap* is called
	sized  map[uint64]uint64
)

func monotonic() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

func chain(b unsafe.Pointer) {
	for b != nil {
		th := (*[8]uint8)(b)
		fmt.Fprintf(out, "b %x", uintptr(b))
		for _, t := range th {
			fmt.Fprintf(out, " %d", t)
		}
		fmt.Fprintln(out)
		b = *(*unsafe.Pointer)(unsafe.Add(b, bucketSize-8))
	}
}

//go:noinline
func dump(name string, m map[uint64]uint64) {
	h := *(**hmap)(unsafe.Pointer(&m))
	phases++
	fmt.Fprintf(out, "phase %d %d map %s %x B %d count %d flags %d old %x\n", phases, monotonic(),
		name, uintptr(unsafe.Pointer(h)), h.B, h.count, h.flags, uintptr(h.oldbuckets))
	if h.buckets != nil {
		for i := uintptr(0); i < 1<<h.B; i++ {
			chain(unsafe.Add(h.buckets, i*bucketSize))
		}
	}
	if h.oldbuckets != nil {
		oldB := h.B - 1
		if h.flags&8 != 0 { // sameSizeGrow
			oldB = h.B
		}
		for i := uintptr(0); i < 1<<oldB; i++ {
			chain(unsafe.Add(h.oldbuckets, i*bucketSize))
		}
	}
	fmt.Fprintln(out, "end")
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	out = bufio.NewWriter(f)
	keep = make(map[uint64]uint64) // makemap_small: buckets come at the first insert
	for i := uint64(0); i < 1000; i++ {
		keep[i] = i
		if i%97 == 0 {
			dump("keep", keep) // some of these land during a growth
		}
	}
	dump("keep", keep)
	for i := uint64(0); i < 1000; i += 3 {
		delete(keep, i)
	}
	dump("keep", keep)
	for i := uint64(1000); i < 3000; i++ {
		keep[i] = i
		if i%131 == 0 {
			dump("keep", keep)
		}
	}
	// Churn at a constant size: overflow buckets pile up, same-size growths.
	x := uint64(88172645463325252)
	next := uint64(3000)
	for i := 0; i < 20000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		delete(keep, x%next)
		keep[next] = next
		next++
		if i%499 == 0 {
			dump("keep", keep)
		}
	}
	dump("keep", keep)
	sized = make(map[uint64]uint64, 300) // makemap with a hint: an array at creation
	for i := uint64(0); i < 500; i++ {
		sized[i*7919] = i
	}
	dump("sized", sized)
	runtime.GC()
	keep = nil // the whole map dies: its blocks are freed by a later sweep
	runtime.GC()
	runtime.GC()
	dump("sized", sized)
	out.Flush()
	f.Close()
}
