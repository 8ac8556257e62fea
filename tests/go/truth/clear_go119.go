// SPDX-License-Identifier: MIT

//go:build !go1.21

package main

// Before clear(m): the range-delete idiom, which the compiler turns into
// runtime.mapclear too.
func clearStrings(m map[string]int) {
	for k := range m {
		delete(m, k)
	}
}
