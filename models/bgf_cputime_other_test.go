//go:build !unix

package models

import "time"

// bgfProcessCPUTime is not available here; benchmarks then report no CPU time.
func bgfProcessCPUTime() time.Duration { return 0 }
