package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// catalogueHeading starts the error catalogue in configs/README.md; it
// runs to the end of the file.
const catalogueHeading = "## Errors: every message, its cause and its fix"

// catalogueSources are the packages whose messages a user can meet, and
// for each the files to leave out (by name prefix): library-only checks a command cannot
// reach (the simulator's Go options, the verdict and interval arguments,
// model parameters given in code).
var catalogueSources = map[string][]string{
	"cmd/clv":                {},
	"datasets":               {"simulate", "embed.go"},
	"datasets/engine":        {},
	"experiments":            {"verdict.go", "metrics.go", "scorer.go", "scoresums.go", "segments.go"},
	"experiments/inputfile":  {},
	"experiments/atomicfile": {},
	"models":                 {"intervals.go"},
}

// readCatalogue returns the catalogue section of configs/README.md.
func readCatalogue(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, cat, ok := strings.Cut(string(b), catalogueHeading)
	if !ok {
		t.Fatalf("configs/README.md has no section %q", catalogueHeading)
	}
	return cat
}

// parsePackage parses the non-test files of a package of the repository.
func parsePackage(t *testing.T, dir string) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = f
	}
	return fset, files
}

// TestCatalogueNamesEveryTypedError: every exported error type (a type
// with an Error method) of the packages a user meets is in the catalogue
// by name, and so is every row-rejection reason (datasets.Reason), every
// identification reason (models.IdentificationReason) and every exit code.
func TestCatalogueNamesEveryTypedError(t *testing.T) {
	cat := readCatalogue(t)
	for dir := range catalogueSources {
		_, files := parsePackage(t, dir)
		for _, f := range files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Name.Name != "Error" || d.Recv == nil || len(d.Recv.List) != 1 {
						continue
					}
					typ := d.Recv.List[0].Type
					if s, ok := typ.(*ast.StarExpr); ok {
						typ = s.X
					}
					if id, ok := typ.(*ast.Ident); ok && ast.IsExported(id.Name) && !strings.Contains(cat, "`"+id.Name+"`") {
						t.Errorf("the catalogue does not name the error type %s.%s (write `%s`)", filepath.Base(dir), id.Name, id.Name)
					}
				case *ast.GenDecl:
					checkReasonConsts(t, cat, dir, d)
				}
			}
		}
	}
	for code, meaning := range map[int]string{exitOK: "success", exitFailure: "failure", exitUsage: "data error", exitGatesFailed: "gate", exitInterrupted: "interrupted"} {
		row := regexp.MustCompile(`(?m)^\| ` + strconv.Itoa(code) + ` \|.*` + meaning)
		if !row.MatchString(cat) {
			t.Errorf("the catalogue's exit-code table has no row | %d | … %s", code, meaning)
		}
	}
}

// checkReasonConsts checks that the value of every constant of type Reason
// or IdentificationReason in d is in the catalogue.
func checkReasonConsts(t *testing.T, cat, dir string, d *ast.GenDecl) {
	t.Helper()
	if d.Tok != token.CONST {
		return
	}
	for _, spec := range d.Specs {
		vs := spec.(*ast.ValueSpec)
		id, ok := vs.Type.(*ast.Ident)
		if !ok || (id.Name != "Reason" && id.Name != "IdentificationReason") {
			continue
		}
		for i, v := range vs.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok {
				continue
			}
			s, _ := strconv.Unquote(lit.Value)
			if !strings.Contains(cat, s) {
				t.Errorf("the catalogue does not mention %s.%s (%q)", filepath.Base(dir), vs.Names[i].Name, s)
			}
		}
	}
}

// formatVerb matches a fmt verb.
var formatVerb = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z%]`)

// messageKey returns the longest run of words between the verbs of a
// format string, trimmed of punctuation ("" when there is none of at least
// two words or 12 letters): the part of the message the catalogue must
// quote.
func messageKey(format string) string {
	best := ""
	for _, seg := range formatVerb.Split(format, -1) {
		seg = strings.Trim(seg, " :;,.()\"'`\n")
		if len(seg) > len(best) {
			best = seg
		}
	}
	if len(best) < 12 && !strings.Contains(best, " ") {
		return ""
	}
	return best
}

// errorFormats returns the format strings of the messages built in the
// files of dir (fmt.Errorf, errors.New, usageErrf, and ps.add / fail of
// the config checks), with their positions.
func errorFormats(t *testing.T, dir string, skip []string) map[string]string {
	t.Helper()
	fset, files := parsePackage(t, dir)
	out := map[string]string{}
	for name, f := range files {
		if slices.ContainsFunc(skip, func(prefix string) bool { return strings.HasPrefix(name, prefix) }) {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			arg := -1
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				switch {
				case fn.Sel.Name == "Errorf" || fn.Sel.Name == "New" && isIdent(fn.X, "errors"):
					arg = 0
				case fn.Sel.Name == "add" && len(call.Args) >= 2:
					arg = 1
				}
			case *ast.Ident:
				if fn.Name == "usageErrf" || fn.Name == "fail" {
					arg = 0
				}
			}
			if arg < 0 || arg >= len(call.Args) {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				if err == nil {
					out[s] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// TestCatalogueQuotesEveryMessage: every message a command can print is
// quoted in the catalogue, by the longest fixed run of words of its
// format string. A new message without its catalogue entry fails here.
func TestCatalogueQuotesEveryMessage(t *testing.T) {
	cat := readCatalogue(t)
	n := 0
	for dir, skip := range catalogueSources {
		for format, pos := range errorFormats(t, dir, skip) {
			key := messageKey(format)
			if key == "" {
				continue
			}
			n++
			if !strings.Contains(cat, key) {
				rel, _ := filepath.Rel(repoRoot(t), pos)
				t.Errorf("%s: the catalogue does not quote %q (from %q)", rel, key, format)
			}
		}
	}
	if n < 200 {
		t.Errorf("only %d messages found: is the source scan broken?", n)
	}
}
