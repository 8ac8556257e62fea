// SPDX-License-Identifier: MIT
// Go 1.19 side of `make bench`: the built-in map with the same keys,
// workloads and output lines as bench_hmap.c and bench_absl.cc (see
// ../bench_common.h, which this file mirrors).
//
//	bench_go --keys u64|str --n N --runs R
//
// Memory is runtime.MemStats.HeapAlloc after runtime.GC(), measured around
// the map: bytes held once N keys are in, and after every key was deleted.
// The string keys' bytes are allocated before the baseline, so like the C
// programs only the map itself (16-byte string headers in its slots) counts.
//
// The two key types are written out twice on purpose: a generic version
// would let the compiler pick the generic runtime map functions instead of
// the fast64/faststr paths a normal Go program gets.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"unsafe"
)

const (
	benchSeed   = 0x9e3779b97f4a7c15
	benchStrLen = 16
	benchMinOps = 1000000
)

var sink uint64

// The small-map rows store each map here so that it escapes to the heap,
// as a map handed to other code does (a map that does not escape may live
// on the goroutine's stack, with no allocation at all).
var escapeU64 map[uint64]uint64
var escapeStr map[string]uint64

func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func passes(n int) int {
	if n >= benchMinOps {
		return 1
	}
	return (benchMinOps + n - 1) / n
}

// spanOf mirrors bench_span: keys per lookup pass and churn steps per pass.
func spanOf(n int) int {
	if n < benchMinOps {
		return n
	}
	return benchMinOps
}

func report(keys, op string, n int, ns []float64) {
	sort.Float64s(ns)
	r := len(ns)
	med := ns[r/2]
	if r%2 == 0 {
		med = (ns[r/2-1] + ns[r/2]) / 2
	}
	fmt.Printf("bench impl=go keys=%s op=%s n=%d runs=%d ns_med=%.2f ns_min=%.2f ns_max=%.2f\n",
		keys, op, n, r, med, ns[0], ns[r-1])
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// cpuNow is the CPU time of the whole process (all threads, the GC's
// included) in ns: CLOCK_PROCESS_CPUTIME_ID, as bench_now_ns in C.  Time spent
// descheduled on a busy machine does not count.
func cpuNow() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 2 /* CLOCK_PROCESS_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func perOp(ns int64, ops int) float64 { return float64(ns) / float64(ops) }

// runU64 and runStr are the same code for the two key types on purpose: a
// generic version would let the Go compiler pick the map routines by GC
// shape instead of by concrete type, and the benchmark must measure the
// mapaccess*_fast64 / _faststr paths ordinary Go code gets.
func runU64(keys []uint64, n, runs int) {
	ns := make([]float64, runs)
	p := passes(n)
	span := spanOf(n)
	fill := func(m map[uint64]uint64) {
		for i := 0; i < n; i++ {
			m[keys[i]] = uint64(i)
		}
	}
	for hint := 0; hint <= 1; hint++ {
		for r := range ns {
			var total int64
			for q := 0; q < p; q++ {
				t0 := cpuNow()
				var m map[uint64]uint64
				if hint == 1 {
					m = make(map[uint64]uint64, n)
				} else {
					m = make(map[uint64]uint64)
				}
				fill(m)
				total += cpuNow() - t0
			}
			ns[r] = perOp(total, p*n)
		}
		report("u64", []string{"insert", "insert_hint"}[hint], n, ns)
	}
	m := make(map[uint64]uint64)
	fill(m)
	runtime.GC() // settle the insert phases' garbage before timing reads
	for first := 0; first <= n; first += n {
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				for _, k := range keys[first : first+span] {
					if v, ok := m[k]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p*span)
			sink += sum
		}
		report("u64", map[bool]string{false: "lookup_hit", true: "lookup_miss"}[first > 0], n, ns)
	}
	for r := range ns {
		var sum uint64
		seen := 0
		t0 := cpuNow()
		for q := 0; q < p; q++ {
			for _, v := range m {
				sum += v
				seen++
			}
		}
		ns[r] = perOp(cpuNow()-t0, seen)
		sink += sum
	}
	report("u64", "iterate", n, ns)
	step := 0
	for r := range ns {
		ops := p * span
		t0 := cpuNow()
		for o := 0; o < ops; o, step = o+1, step+1 {
			delete(m, keys[step%(2*n)])
			m[keys[(step+n)%(2*n)]] = uint64(step)
		}
		ns[r] = perOp(cpuNow()-t0, ops)
	}
	report("u64", "churn", n, ns)
	m = nil
	runtime.GC()
	for r := range ns {
		var total int64
		for q := 0; q < p; q++ {
			d := make(map[uint64]uint64)
			fill(d)
			t0 := cpuNow()
			for _, k := range keys[:n] {
				delete(d, k)
			}
			total += cpuNow() - t0
		}
		ns[r] = perOp(total, p*n)
	}
	report("u64", "delete_all", n, ns)

	base := heapAlloc()
	d := make(map[uint64]uint64)
	fill(d)
	held := heapAlloc() - base
	for _, k := range keys[:n] {
		delete(d, k)
	}
	after := heapAlloc() - base
	runtime.KeepAlive(d)
	runtime.KeepAlive(keys) // the keys are not the map's memory: keep them out of the deltas
	fmt.Printf("mem impl=go keys=u64 n=%d bytes_per_entry=%.2f bytes_after_delete=%d\n",
		n, float64(held)/float64(n), after)
}

func runStr(keys []string, n, runs int) {
	ns := make([]float64, runs)
	p := passes(n)
	span := spanOf(n)
	fill := func(m map[string]uint64) {
		for i := 0; i < n; i++ {
			m[keys[i]] = uint64(i)
		}
	}
	for hint := 0; hint <= 1; hint++ {
		for r := range ns {
			var total int64
			for q := 0; q < p; q++ {
				t0 := cpuNow()
				var m map[string]uint64
				if hint == 1 {
					m = make(map[string]uint64, n)
				} else {
					m = make(map[string]uint64)
				}
				fill(m)
				total += cpuNow() - t0
			}
			ns[r] = perOp(total, p*n)
		}
		report("str", []string{"insert", "insert_hint"}[hint], n, ns)
	}
	m := make(map[string]uint64)
	fill(m)
	runtime.GC() // settle the insert phases' garbage before timing reads
	for first := 0; first <= n; first += n {
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				for _, k := range keys[first : first+span] {
					if v, ok := m[k]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p*span)
			sink += sum
		}
		report("str", map[bool]string{false: "lookup_hit", true: "lookup_miss"}[first > 0], n, ns)
	}
	for r := range ns {
		var sum uint64
		seen := 0
		t0 := cpuNow()
		for q := 0; q < p; q++ {
			for _, v := range m {
				sum += v
				seen++
			}
		}
		ns[r] = perOp(cpuNow()-t0, seen)
		sink += sum
	}
	report("str", "iterate", n, ns)
	step := 0
	for r := range ns {
		ops := p * span
		t0 := cpuNow()
		for o := 0; o < ops; o, step = o+1, step+1 {
			delete(m, keys[step%(2*n)])
			m[keys[(step+n)%(2*n)]] = uint64(step)
		}
		ns[r] = perOp(cpuNow()-t0, ops)
	}
	report("str", "churn", n, ns)
	m = nil
	runtime.GC()
	for r := range ns {
		var total int64
		for q := 0; q < p; q++ {
			d := make(map[string]uint64)
			fill(d)
			t0 := cpuNow()
			for _, k := range keys[:n] {
				delete(d, k)
			}
			total += cpuNow() - t0
		}
		ns[r] = perOp(total, p*n)
	}
	report("str", "delete_all", n, ns)

	base := heapAlloc()
	d := make(map[string]uint64)
	fill(d)
	held := heapAlloc() - base
	for _, k := range keys[:n] {
		delete(d, k)
	}
	after := heapAlloc() - base
	runtime.KeepAlive(d)
	runtime.KeepAlive(keys) // the keys are not the map's memory: keep them out of the deltas
	fmt.Printf("mem impl=go keys=str n=%d bytes_per_entry=%.2f bytes_after_delete=%d\n",
		n, float64(held)/float64(n), after)
}

// The rows bench.sh asks for with --only (as in bench_common.h): small maps
// made, filled, read and dropped (the per-request pattern); many small maps
// live at once; and bytes per map at small N (runtime.MemStats over many
// maps, measured rather than taken from the hmap and bucket sizes).
const manyMaps = 100000

var mapmemN = []int{0, 1, 8, 9, 64, 1000}

func mapmemCount(n int) int {
	if n >= 1000 {
		return 200
	}
	return 10000
}

func smallU64(keys []uint64, n, runs int, only string) {
	ns := make([]float64, runs)
	switch only {
	case "small":
		p := passes(2 * n)
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				m := make(map[uint64]uint64)
				escapeU64 = m
				for i := 0; i < n; i++ {
					m[keys[i]] = uint64(i)
				}
				for i := 0; i < n; i++ {
					if v, ok := m[keys[i]]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p)
			sink += sum
		}
		report("u64", "small", n, ns)
	case "many":
		maps := make([]map[uint64]uint64, manyMaps)
		for j := range maps {
			maps[j] = make(map[uint64]uint64)
			for i := 0; i < n; i++ {
				maps[j][keys[i]] = uint64(i)
			}
		}
		runtime.GC()
		p := passes(manyMaps)
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				for j, m := range maps {
					if v, ok := m[keys[(j+q)%n]]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p*manyMaps)
			sink += sum
		}
		report("u64", "many", n, ns)
	case "mapmem":
		for _, mn := range mapmemN {
			count := mapmemCount(mn)
			maps := make([]map[uint64]uint64, count)
			base := heapAlloc()
			for j := range maps {
				maps[j] = make(map[uint64]uint64)
				for i := 0; i < mn; i++ {
					maps[j][keys[i]] = uint64(i)
				}
			}
			held := heapAlloc() - base
			runtime.KeepAlive(maps)
			fmt.Printf("mapmem impl=go keys=u64 n=%d bytes_per_map=%.1f\n", mn, float64(held)/float64(count))
		}
	}
}

func smallStr(keys []string, n, runs int, only string) {
	ns := make([]float64, runs)
	switch only {
	case "small":
		p := passes(2 * n)
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				m := make(map[string]uint64)
				escapeStr = m
				for i := 0; i < n; i++ {
					m[keys[i]] = uint64(i)
				}
				for i := 0; i < n; i++ {
					if v, ok := m[keys[i]]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p)
			sink += sum
		}
		report("str", "small", n, ns)
	case "many":
		maps := make([]map[string]uint64, manyMaps)
		for j := range maps {
			maps[j] = make(map[string]uint64)
			for i := 0; i < n; i++ {
				maps[j][keys[i]] = uint64(i)
			}
		}
		runtime.GC()
		p := passes(manyMaps)
		for r := range ns {
			var sum uint64
			t0 := cpuNow()
			for q := 0; q < p; q++ {
				for j, m := range maps {
					if v, ok := m[keys[(j+q)%n]]; ok {
						sum += v
					} else {
						sum++
					}
				}
			}
			ns[r] = perOp(cpuNow()-t0, p*manyMaps)
			sink += sum
		}
		report("str", "many", n, ns)
	case "mapmem":
		for _, mn := range mapmemN {
			count := mapmemCount(mn)
			maps := make([]map[string]uint64, count)
			base := heapAlloc()
			for j := range maps {
				maps[j] = make(map[string]uint64)
				for i := 0; i < mn; i++ {
					maps[j][keys[i]] = uint64(i)
				}
			}
			held := heapAlloc() - base
			runtime.KeepAlive(maps)
			fmt.Printf("mapmem impl=go keys=str n=%d bytes_per_map=%.1f\n", mn, float64(held)/float64(count))
		}
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: %s --keys u64|str --n N --runs R   (N >= 1, 1 <= R <= 100)\n", os.Args[0])
	os.Exit(2)
}

func main() {
	keyKind := flag.String("keys", "", "u64 or str")
	n := flag.Int("n", 0, "entries")
	runs := flag.Int("runs", 0, "repetitions")
	only := flag.String("only", "", "small, many or mapmem: run only that (the other rows never run then)")
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() != 0 || *n < 1 || *n > 1<<32 || *runs < 1 || *runs > 100 ||
		(*keyKind != "u64" && *keyKind != "str") {
		usage()
	}
	u64 := make([]uint64, 2**n)
	s := uint64(benchSeed)
	for i := range u64 {
		u64[i] = splitmix64(&s)
	}
	if *only != "" && *only != "small" && *only != "many" && *only != "mapmem" {
		usage()
	}
	if *keyKind == "u64" {
		if *only != "" {
			smallU64(u64, *n, *runs, *only)
			return
		}
		runU64(u64, *n, *runs)
		return
	}
	strs := make([]string, 2**n)
	for i, k := range u64 {
		strs[i] = fmt.Sprintf("%016x", k)
	}
	u64 = nil
	if *only != "" {
		smallStr(strs, *n, *runs, *only)
		return
	}
	runStr(strs, *n, *runs)
}
