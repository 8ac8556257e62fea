// SPDX-License-Identifier: MIT

//go:build go1.21

package main

// clear(m), Go 1.21+: runtime.mapclear.
func clearStrings(m map[string]int) { clear(m) }
