// Package sharedtest finds the shared reference data (../shared beside the
// project root, or $CLV_SHARED) for tests. Where it is absent a test skips
// with a clear message, unless CLV_REQUIRE_SHARED=1 (as in CI), where it
// fails.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared folder (the one holding datasets/ and reference/).
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CLV_SHARED"); d != "" {
		if ok(d) {
			return d
		}
		missing(t, "CLV_SHARED="+d+" holds no datasets/ folder")
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	// Walk up to the module root (the folder with go.mod), then look beside it.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(filepath.Dir(d), "shared")
			if ok(cand) {
				return cand
			}
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	missing(t, "no ../shared/datasets beside the project root and CLV_SHARED is not set")
	return ""
}

// Path returns the path of a file inside the shared folder, e.g.
// Path(t, "datasets", "CDNOW_sample.txt").
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared file missing: "+p)
	}
	return p
}

func ok(d string) bool {
	st, err := os.Stat(filepath.Join(d, "datasets"))
	return err == nil && st.IsDir()
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CLV_REQUIRE_SHARED") == "1" {
		t.Fatalf("shared reference data required (CLV_REQUIRE_SHARED=1): %s", why)
	}
	t.Skipf("skipping: shared reference data not found (%s); set CLV_SHARED to the folder holding datasets/ and reference/", why)
}
