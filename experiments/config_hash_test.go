package experiments

import (
	"path/filepath"
	"testing"
)

// TestHashPinned pins the hash of the shipped configs as computed before
// config.go was split by job (commit 97382de): the hash names results
// folders and is recorded in manifests, so a refactoring of the config code
// must not change it. The canonical JSON of quickstart is pinned too, so a
// failure shows which key moved.
func TestHashPinned(t *testing.T) {
	for _, tc := range []struct{ file, hash string }{
		{"quickstart.yaml", "9297ed1d"},
		{"cdnow.yaml", "440966ef"},
		{"rolling.yaml", "18af3b6f"},
		{"contractual.yaml", "d00a7428"},
	} {
		c, err := LoadWith(filepath.Join("..", "configs", tc.file), LoadOptions{SkipFileChecks: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if got := c.Hash(); got != tc.hash {
			t.Errorf("%s: hash %s, want %s (computed before the split)", tc.file, got, tc.hash)
		}
	}
	c, err := LoadWith(filepath.Join("..", "configs", "quickstart.yaml"), LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"quickstart","seed":1,"data":{"path":"","embedded":"quickstart","format":"csv","header":"yes","customer":"","date":"","amount":"","date_format":"iso","on_bad_row":"fail","rejects":""},"split":{"unit":"week","calibration_end":"2024-09-29","holdout_end":"2025-06-29","origins":[]},"models":["average","retention","hiatus","bgnbd","paretonbd","mbgnbd"],"spend_model":"gammagamma","clv":{"horizon":52,"discount_rate":0.1,"margin":1},"segments":{"groups":10},"fit":{"penalty":0,"max_iterations":1000},"retention":{"period":"month"},"hiatus":{"h":0},"expect":[{"metric":"bgnbd.holdout.bias","min":-0.25,"max":0.25}],"output":{"dir":"../results","plots":true,"report":true}}`
	if got, err := c.CanonicalJSON(); err != nil || string(got) != want {
		t.Errorf("quickstart canonical JSON:\n got %s (%v)\nwant %s", got, err, want)
	}
}
