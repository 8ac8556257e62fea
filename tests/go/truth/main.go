// SPDX-License-Identifier: MIT

// The ground truth for bucketscope gorecord (docs/go.md, "Ground truth"):
// maps of four kinds are filled, emptied in part, refilled, grown, churned
// and cleared; at each phase marker the real tophash bytes of every bucket
// of a map (current array, old array while growing, overflow chains) are
// written to the file named by the first argument, read through unsafe with
// the runtime.hmap layout of docs/go-binaries.md §2.  Each marker carries a
// CLOCK_MONOTONIC timestamp, the clock of the trace, so a checker replays
// exactly the events before it.
//
//	keep  map[uint64]uint64    the _fast64 functions, no pointers
//	strs  map[string]int       the _faststr functions; string keys make the
//	                           bucket pointerful
//	ptrs  map[uint64]*node     a pointerful value: evacuation unlinks the
//	                           old chains
//	wide  map[[32]byte]uint64  the generic mapassign, mapdelete, evacuate
//	sized map[uint64]uint64    makemap with a hint
//	tiny  map[uint64]uint64    cleared while it has allocator overflow buckets
//
// With "-attach READY GO OUT" it plays the scenario of a recorder attaching
// to a running process instead (func attached).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
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

type node struct {
	next *node
	n    uint64
}

var (
	out    *bufio.Writer
	phases int
	// Globals: the maps escape, so makemap* is called.
	keep  map[uint64]uint64
	sized map[uint64]uint64
	strs  map[string]int
	ptrs  map[uint64]*node
	wide  map[[32]byte]uint64
	tiny  map[uint64]uint64
)

func monotonic() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

// A bucket: tophash [8]uint8, keys [8]K, elems [8]V, overflow pointer last.
// Every key and value here is a multiple of 8 bytes and at most 128, so
// stored inline without padding.
func bucketSize[K comparable, V any]() uintptr {
	var k K
	var v V
	return 8 + 8*unsafe.Sizeof(k) + 8*unsafe.Sizeof(v) + 8
}

func chain(b unsafe.Pointer, size uintptr) {
	for b != nil {
		th := (*[8]uint8)(b)
		fmt.Fprintf(out, "b %x", uintptr(b))
		for _, t := range th {
			fmt.Fprintf(out, " %d", t)
		}
		fmt.Fprintln(out)
		b = *(*unsafe.Pointer)(unsafe.Add(b, size-8))
	}
}

//go:noinline
func dump[K comparable, V any](name string, m map[K]V) {
	h := *(**hmap)(unsafe.Pointer(&m))
	size := bucketSize[K, V]()
	phases++
	fmt.Fprintf(out, "phase %d %d map %s %x B %d count %d flags %d old %x\n", phases, monotonic(),
		name, uintptr(unsafe.Pointer(h)), h.B, h.count, h.flags, uintptr(h.oldbuckets))
	if h.buckets != nil {
		for i := uintptr(0); i < 1<<h.B; i++ {
			chain(unsafe.Add(h.buckets, i*size), size)
		}
	}
	if h.oldbuckets != nil {
		oldB := h.B - 1
		if h.flags&8 != 0 { // sameSizeGrow
			oldB = h.B
		}
		for i := uintptr(0); i < 1<<oldB; i++ {
			chain(unsafe.Add(h.oldbuckets, i*size), size)
		}
	}
	fmt.Fprintln(out, "end")
}

// xorshift: the churn's keys.
type rng uint64

func (x *rng) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

func skey(i uint64) string { return "key-" + strconv.FormatUint(i, 10) }

func wkey(i uint64) (k [32]byte) {
	for j := 0; j < 4; j++ {
		k[8*j] = byte(i >> (8 * j))
		k[8*j+1] = byte(j)
	}
	k[31] = byte(i >> 32)
	return
}

// exercise: fill with n keys, delete every third, churn 2n delete+insert
// pairs at a constant size (overflow buckets, same-size growths), dumping
// every period-th step and after each phase.
func exercise(n uint64, period int, put, del func(uint64), dumpNow func()) {
	for i := uint64(0); i < n; i++ {
		put(i)
		if int(i)%period == 0 {
			dumpNow()
		}
	}
	dumpNow()
	for i := uint64(0); i < n; i += 3 {
		del(i)
	}
	dumpNow()
	x := rng(88172645463325252)
	next := n
	for i := 0; i < 2*int(n); i++ {
		del(x.next() % next)
		put(next)
		next++
		if i%period == 0 {
			dumpNow()
		}
	}
	dumpNow()
}

// attached: the scenario of "gorecord -p" (test_attach.sh).  A map is made
// and filled, READY is created, and the program waits for GO to exist
// (the recorder attached in between); then it writes to the old map, makes
// a fresh one and churns it, dumping the fresh map's buckets.
func attached(ready, goFile string) {
	old := make(map[uint64]uint64)
	for i := uint64(0); i < 2000; i++ {
		old[i] = i
	}
	if err := os.WriteFile(ready, []byte("ready\n"), 0o644); err != nil {
		panic(err)
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(goFile); err == nil {
			break
		}
		if i > 12000 { // 120 s: the test gave up
			os.Exit(3)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := uint64(0); i < 2000; i += 2 {
		delete(old, i)
	}
	keep = make(map[uint64]uint64)
	x := rng(88172645463325252)
	for i := uint64(0); i < 3000; i++ {
		keep[i] = i
		if i%3 == 0 {
			delete(keep, x.next()%(i+1))
		}
		if i%251 == 0 {
			dump("keep", keep)
		}
	}
	dump("keep", keep)
	old[1] = 1
}

func main() {
	f, err := os.Create(os.Args[len(os.Args)-1])
	if err != nil {
		panic(err)
	}
	out = bufio.NewWriter(f)
	if len(os.Args) == 5 && os.Args[1] == "-attach" {
		attached(os.Args[2], os.Args[3])
		out.Flush()
		f.Close()
		return
	}
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
	x := rng(88172645463325252)
	next := uint64(3000)
	for i := 0; i < 20000; i++ {
		delete(keep, x.next()%next)
		keep[next] = next
		next++
		if i%499 == 0 {
			dump("keep", keep)
		}
	}
	dump("keep", keep)

	strs = make(map[string]int)
	exercise(1500, 211, func(i uint64) { strs[skey(i)] = int(i) },
		func(i uint64) { delete(strs, skey(i)) }, func() { dump("strs", strs) })
	ptrs = make(map[uint64]*node, 64)
	exercise(1500, 211, func(i uint64) { ptrs[i] = &node{n: i} },
		func(i uint64) { delete(ptrs, i) }, func() { dump("ptrs", ptrs) })
	wide = make(map[[32]byte]uint64)
	exercise(1000, 149, func(i uint64) { wide[wkey(i)] = i },
		func(i uint64) { delete(wide, wkey(i)) }, func() { dump("wide", wide) })

	// Clears: the range-delete idiom (every Go version) and clear(m) (Go
	// 1.21+, clear_go121.go) are both one runtime.mapclear call, which
	// keeps the current array (every slot emptyRest) and drops the rest.
	for k := range wide {
		delete(wide, k)
	}
	dump("wide", wide)
	for i := uint64(0); i < 300; i++ {
		wide[wkey(i)] = i
	}
	dump("wide", wide)
	clearStrings(strs)
	dump("strs", strs)
	for i := uint64(0); i < 700; i++ {
		strs[skey(i)] = int(i)
	}
	dump("strs", strs)
	// Deleted one by one, then cleared: count 0, mapclear changes nothing.
	for i := uint64(0); i < 700; i++ {
		delete(strs, skey(i))
	}
	dump("strs", strs)
	clearStrings(strs)
	dump("strs", strs)

	// A clear of a map holding allocator overflow buckets: with B = 1 there
	// is no preallocated one, and 12 keys overflow one of the 2 buckets in
	// about one map in seven; the hash seed decides, so maps are made until
	// one does.  12, not 13: Go 1.21 alone has a load factor of 6, not 6.5
	// (loadFactorNum = (8*13/16)*2 = 12 in integer arithmetic), so a hint of
	// 13 makes B = 2 there, 4 buckets that 13 keys overflow about once in
	// 260 maps (docs/go.md, "Ground truth").
	overflowed := false
	for attempt := 0; attempt < 1000 && !overflowed; attempt++ {
		tiny = make(map[uint64]uint64, 12)
		for i := uint64(0); i < 12; i++ {
			tiny[i] = i
		}
		th := *(**hmap)(unsafe.Pointer(&tiny))
		overflowed = th.B == 1 && th.noverflow > 0
	}
	if !overflowed {
		fmt.Fprintln(os.Stderr, "truth: no map[uint64]uint64 of B = 1 with an overflow bucket in 1000 tries")
		os.Exit(4)
	}
	dump("tiny", tiny)
	for k := range tiny {
		delete(tiny, k)
	}
	dump("tiny", tiny)

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
	dump("ptrs", ptrs)
	out.Flush()
	f.Close()
}
