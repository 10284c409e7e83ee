//go:build cgo && go1.22

package main

// Go 1.22+ traces C threads calling into Go correctly.
const (
	cThreadsOK = true
	cgoDoc     = "C threads (pthread_create) calling back into Go; Go->C->Go callbacks; goroutines blocking in C"
)
