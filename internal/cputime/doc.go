// Package cputime reads the CPU time (user and system) of the running
// process, for benchmarks that report CPU time beside wall time: on a shared
// machine the wall time depends on the load, the CPU time much less.
package cputime
