//go:build !unix

package audit

import "time"

// processCPU is the CPU time the process has used so far; 0: unknown on this system.
func processCPU() time.Duration { return 0 }
