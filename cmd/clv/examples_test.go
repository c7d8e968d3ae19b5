package main

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"github.com/clv-dev/clv/experiments"
)

// A docScript is the commands of one example, run in order in one folder:
// a ```sh block of a Markdown file, or a command's --help example.
type docScript struct {
	name  string
	lines []string
	// files are the ```yaml blocks of the same document whose first line
	// is "# NAME.yaml": written into the folder before the commands run.
	files map[string]string
}

// notRun are the commands of the docs that are not clv commands: the test
// command itself and the install lines (which would fetch and build).
var notRun = []string{
	"go test ./...",
	"go install ./cmd/clv",
	"go install github.com/clv-dev/clv/cmd/clv@latest",
}

// pathFlags are the flags whose value is a file or folder.
var pathFlags = []string{"out", "summary", "data", "survival", "plot", "rejects", "covariates"}

// TestDocExamplesRun runs every command of README.md, configs/README.md
// and every command's --help example, as written, in-process through the
// root command: each example in a temporary folder of its own, with the
// paths the docs give relative to the project root (configs/…,
// ../shared/…) pointed there and every other relative path into the
// folder. Each must exit 0. Two changes keep it fast and the project clean:
// a run gets --no-progress, --out into the folder when the example gives
// none, and no plots or report unless the example sets output.plots or
// output.report itself.
// Examples that need ../shared skip without it (fail under
// CLV_REQUIRE_SHARED=1).
func TestDocExamplesRun(t *testing.T) {
	root := repoRoot(t)
	var scripts []docScript
	for _, doc := range []struct {
		file string
		min  int
	}{{"README.md", 9}, {"configs/README.md", 4}} {
		s, err := markdownScripts(root, doc.file)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sc := range s {
			n += len(sc.lines)
		}
		if n < doc.min {
			t.Fatalf("%s: found %d commands, want at least %d (has the code block layout changed?)", doc.file, n, doc.min)
		}
		scripts = append(scripts, s...)
	}
	for _, c := range newRootCmd(streams{}).Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		lines := exampleLines(c.Example)
		if len(lines) == 0 {
			t.Errorf("clv %s --help has no clv command in its example", c.Name())
			continue
		}
		scripts = append(scripts, docScript{name: "clv " + c.Name() + " --help", lines: lines})
	}
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScript(t, root, sc)
		})
	}
}

// runScript runs the lines of sc in a new folder.
func runScript(t *testing.T, root string, sc docScript) {
	dir := t.TempDir()
	for name, body := range sc.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, line := range sc.lines {
		if slices.Contains(notRun, line) {
			continue
		}
		words, err := shellWords(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		switch {
		case len(words) > 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/clv":
			words = words[3:]
		case len(words) > 1 && words[0] == "clv":
			words = words[1:]
		default:
			t.Fatalf("%q is neither a clv command nor one of %q: make it one or add it to notRun", line, notRun)
		}
		args := docArgs(t, root, dir, words, k)
		var out, errOut bytes.Buffer
		code := execute(args, strings.NewReader(""), &out, &errOut)
		if code != 0 {
			t.Fatalf("%s\nexited %d (ran as clv %s):\n%s%s", line, code, strings.Join(args, " "), errOut.String(), out.String())
		}
	}
}

// docArgs turns the words of a documented command into the arguments to
// run in dir (see TestDocExamplesRun).
func docArgs(t *testing.T, root, dir string, words []string, k int) []string {
	t.Helper()
	sub, _, err := newRootCmd(streams{}).Find(words)
	if err != nil {
		t.Fatalf("clv %s: %v", strings.Join(words, " "), err)
	}
	isPath := func(p string) bool { return p != "" && p != "-" && !filepath.IsAbs(p) }
	place := func(p string, anywhere bool) string {
		switch {
		case strings.HasPrefix(p, "configs/"):
			if needsShared(filepath.Join(root, p)) {
				sharedtest.Dir(t)
			}
			return filepath.Join(root, p)
		case strings.HasPrefix(p, "../shared/"):
			return filepath.Join(sharedtest.Dir(t), strings.TrimPrefix(p, "../shared/"))
		case anywhere && isPath(p):
			return filepath.Join(dir, p)
		}
		return p
	}
	args := []string{words[0]}
	hasOut, setsOutput := false, false
	positional := sub.Name() == "run" || sub.Name() == "validate" || sub.Name() == "report" || sub.Name() == "compare" || sub.Name() == "score"
	for i := 1; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !strings.HasPrefix(w, "-") {
			args = append(args, place(w, positional))
			continue
		}
		f := sub.Flags().Lookup(name)
		if f == nil {
			f = sub.InheritedFlags().Lookup(name)
		}
		if f == nil || f.NoOptDefVal != "" || hasValue {
			if hasValue {
				w = "--" + name + "=" + place(value, slices.Contains(pathFlags, name))
			}
			args = append(args, w)
			continue
		}
		if i+1 < len(words) {
			i++
			value = words[i]
		}
		hasOut = hasOut || name == "out"
		setsOutput = setsOutput || name == "set" && strings.HasPrefix(strings.ToLower(value), "output.plots") ||
			name == "set" && strings.HasPrefix(strings.ToLower(value), "output.report")
		args = append(args, w, place(value, slices.Contains(pathFlags, name)))
	}
	if sub.Name() == "run" {
		if !hasOut {
			args = append(args, "--out", filepath.Join(dir, fmt.Sprintf("run-%d", k)))
		}
		if !setsOutput {
			args = append(args, "--set", "output.plots=false", "--set", "output.report=false")
		}
		args = append(args, "--no-progress")
	}
	return args
}

// needsShared reports whether a config reads the shared reference data.
func needsShared(config string) bool {
	b, err := os.ReadFile(config)
	return err == nil && bytes.Contains(b, []byte("shared/datasets"))
}

// markdownScripts returns the ```sh blocks of a Markdown file as scripts,
// one per section (the blocks under one heading run in order in one
// folder), each with the file's "# NAME.yaml" ```yaml blocks. A block
// indented inside a list item is dedented by its fence's indentation.
func markdownScripts(root, doc string) ([]docScript, error) {
	b, err := os.ReadFile(filepath.Join(root, doc))
	if err != nil {
		return nil, err
	}
	var (
		scripts []docScript
		files   = map[string]string{}
		lang    string
		indent  string
		block   []string
		section = -1 // index in scripts of the current section's script
	)
	for n, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case lang == "" && strings.HasPrefix(line, "#"):
			section = -1
		case lang == "" && strings.HasPrefix(trimmed, "```") && len(trimmed) > 3:
			lang, block = strings.TrimPrefix(trimmed, "```"), nil
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
		case lang != "" && trimmed == "```":
			switch lang {
			case "sh":
				if section < 0 {
					scripts = append(scripts, docScript{name: fmt.Sprintf("%s:%d", doc, n+1), files: files})
					section = len(scripts) - 1
				}
				scripts[section].lines = append(scripts[section].lines, joinLines(block)...)
			case "yaml":
				if len(block) > 0 {
					if name, ok := strings.CutPrefix(block[0], "# "); ok && strings.HasSuffix(name, ".yaml") && !strings.Contains(name, " ") {
						files[name] = strings.Join(block, "\n") + "\n"
					}
				}
			}
			lang = ""
		case lang != "":
			block = append(block, strings.TrimPrefix(line, indent))
		}
	}
	return scripts, nil
}

// exampleLines returns the clv commands of a --help example.
func exampleLines(example string) []string {
	var out []string
	for _, l := range joinLines(strings.Split(example, "\n")) {
		if strings.HasPrefix(l, "clv ") {
			out = append(out, l)
		}
	}
	return out
}

// joinLines joins lines continued with a trailing backslash and drops
// blank lines and # comments.
func joinLines(lines []string) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(l, `\`); ok {
			cur += s
			continue
		}
		out = append(out, strings.TrimSpace(cur+l))
		cur = ""
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the quoting
// the docs use: words separated by blanks, '…' and "…" quoted.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed %c", c)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '|' || c == '>' || c == '<' || c == ';' || c == '&' || c == '$' || c == '`':
			return nil, fmt.Errorf("shell syntax %q is not supported in a documented command: write plain clv commands", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestShellWords checks the splitter on the quoting the docs use.
func TestShellWords(t *testing.T) {
	got, err := shellWords(`clv run c.yaml --set 'expect=[{metric: a.b.c, max: 1}]' --set "x=y z"  --set data.path=`)
	want := []string{"clv", "run", "c.yaml", "--set", "expect=[{metric: a.b.c, max: 1}]", "--set", "x=y z", "--set", "data.path="}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{`clv run 'x`, `clv run x | head`, `clv run $CFG`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestDocumentedWeeklyDiscountRate checks the weekly rate configs/README.md
// quotes for 10% a year against an independent computation and against
// what a run resolves. A week is 7/365.25 = 28/1461 of a year, so the
// weekly rate w solves (1 + w)^1461 = 1.1^28: integer powers, computed
// exactly in math/big and solved by bisection to 40 digits, sharing no
// code with the tool's expm1/log1p conversion.
func TestDocumentedWeeklyDiscountRate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`0\.10 a year is (0\.\d+) a week`).FindSubmatch(b)
	if m == nil {
		t.Fatal("configs/README.md no longer says what 0.10 a year is per week")
	}
	const prec = 200
	pow := func(x *big.Float, n int) *big.Float {
		r := new(big.Float).SetPrec(prec).SetInt64(1)
		for range n {
			r.Mul(r, x)
		}
		return r
	}
	// 1.1 is not exact in binary: 11/10 to 200 bits.
	eleven := new(big.Float).SetPrec(prec).SetInt64(11)
	target := pow(eleven.Quo(eleven, new(big.Float).SetPrec(prec).SetInt64(10)), 28)
	lo, hi := new(big.Float).SetPrec(prec), new(big.Float).SetPrec(prec).SetFloat64(0.01)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	for range 140 {
		mid := new(big.Float).SetPrec(prec).Add(lo, hi)
		mid.Quo(mid, new(big.Float).SetPrec(prec).SetInt64(2))
		if pow(new(big.Float).SetPrec(prec).Add(one, mid), 1461).Cmp(target) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	exact, _ := lo.Float64()
	if got := strconv.FormatFloat(exact, 'f', 6, 64); got != string(m[1]) {
		t.Errorf("configs/README.md says 0.10 a year is %s a week; (1 + w)^1461 = 1.1^28 gives w = %s (%.12g)", m[1], got, exact)
	}
	cfg, err := experiments.Load(filepath.Join(repoRoot(t), "configs", "quickstart.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Resolved.DiscountRatePerUnit; cfg.CLV.DiscountRate != 0.10 || cfg.Split.Unit != "week" ||
		!(got > exact*(1-1e-12) && got < exact*(1+1e-12)) {
		t.Errorf("the quickstart resolves %v a year to %.15g a %s; want %.15g a week", cfg.CLV.DiscountRate, got, cfg.Split.Unit, exact)
	}
}

// TestQuickstartReportNamesItsGenerator: the report of a quickstart run
// says the data are simulated and gives the clv simulate command that
// draws them; run, that command must reproduce the embedded data byte for
// byte.
func TestQuickstartReportNamesItsGenerator(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	code, _, errOut := clv(t, "run", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"), "--out", out, "--no-progress",
		"--set", "models=[average]", "--set", "expect=[]", "--set", "output.plots=false")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("Redraw them with `(clv simulate [^`\n]*)`").FindSubmatch(md)
	if m == nil || !bytes.Contains(md, []byte("simulated, not real customers")) {
		t.Fatalf("report.md does not say the data are simulated and how:\n%s", md)
	}
	words, err := shellWords(strings.TrimSpace(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	sim := filepath.Join(dir, "sim.csv")
	code, _, errOut = clv(t, append(words[1:], "--out", sim)...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", m[1], code, errOut)
	}
	got, err := os.ReadFile(sim)
	if err != nil {
		t.Fatal(err)
	}
	want, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s draws %d bytes that differ from the embedded quickstart data (%d bytes)", m[1], len(got), len(want))
	}
}

// TestVersion: clv version exits 0 and names the version and the module.
func TestVersion(t *testing.T) {
	code, out, errOut := clv(t, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"clv " + version + "\n", "module github.com/clv-dev/clv ", "go go1."} {
		if !strings.Contains(out, want) {
			t.Errorf("clv version printed %q, want it to contain %q", out, want)
		}
	}
}

// TestConsoleTableInConfigOrder: the score table clv run prints lists the
// models in the config's order, as the report does, not sorted.
func TestConsoleTableInConfigOrder(t *testing.T) {
	order := []string{"paretonbd", "average", "bgnbd"}
	code, _, errOut := clv(t, "run", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"), "--out", filepath.Join(t.TempDir(), "run"),
		"--no-progress", "--set", "models="+strings.Join(order, ","), "--set", "expect=[]",
		"--set", "output.plots=false", "--set", "output.report=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []string
	for _, line := range strings.Split(errOut, "\n") {
		if f := strings.Fields(line); len(f) > 0 && slices.Contains(order, f[0]) {
			got = append(got, f[0])
		}
	}
	if !slices.Equal(got, order) {
		t.Errorf("the console lists %v, want the config's order %v:\n%s", got, order, errOut)
	}
}
