package experiments

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// progress reports a run's steps: as progress bars on a terminal, as one
// plain line per step otherwise (so CI logs stay small), or not at all.
type progress struct {
	w        io.Writer
	terminal bool
}

func newProgress(w io.Writer, terminal bool) *progress { return &progress{w: w, terminal: terminal} }

// step announces a stage.
func (p *progress) step(msg string) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "clv: %s\n", msg)
}

// bar starts a counter of n items.
func (p *progress) bar(what string, n int) *progressBar {
	b := &progressBar{p: p, what: what, n: n}
	if p.w != nil && p.terminal {
		b.pb = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetPredictTime(false),
		)
	}
	return b
}

// progressBar counts finished items of one stage.
type progressBar struct {
	p    *progress
	what string
	n    int
	mu   sync.Mutex
	done int
	pb   *progressbar.ProgressBar
}

// add marks one item finished.
func (b *progressBar) add(item string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
	switch {
	case b.pb != nil:
		b.pb.Describe(b.what + ": " + item)
		_ = b.pb.Add(1)
	case b.p.w != nil:
		fmt.Fprintf(b.p.w, "clv: %s %d/%d done (%s)\n", b.what, b.done, b.n, item)
	}
}

// finish closes the bar.
func (b *progressBar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}
