package plot

import (
	"bytes"
	"strings"
	"testing"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/clv-dev/clv/internal/cputime"
)

// splitDefs cuts the <defs> block (through the line break after it) out
// of an SVG document gonum/plot wrote with its fonts embedded, and
// returns the rest and the block's @font-face rules, in order.
func splitDefs(t *testing.T, doc string) (rest string, rules []string) {
	t.Helper()
	i := strings.Index(doc, "<defs>")
	j := strings.Index(doc, "</defs>\n")
	if i < 0 || j < i {
		t.Fatalf("no <defs> block in %.200q", doc)
	}
	for defs := doc[i:j]; ; {
		k := strings.Index(defs, "@font-face{")
		if k < 0 {
			break
		}
		e := k + strings.Index(defs[k:], "\n\t\t}") + len("\n\t\t}")
		rules = append(rules, defs[k:e])
		defs = defs[e:]
	}
	return doc[:i] + doc[j+len("</defs>\n"):], rules
}

// textFigure draws strings in the given fonts, in order, and none when
// faces is empty.
func textFigure(styles ...text.Style) Figure {
	return Figure{Name: "text", Width: 3 * vg.Inch, Height: 2 * vg.Inch, draw: func(dc draw.Canvas) {
		for k, st := range styles {
			dc.FillText(st, vg.Point{X: vg.Inch, Y: vg.Length(k+1) * 10}, "Text 1,2")
		}
	}}
}

// styleOf returns the text style of a font at a size (in points).
func styleOf(f font.Font, size float64) text.Style {
	st := textStyle(size)
	st.Font = font.From(f, vg.Points(size))
	return st
}

// variantOf returns st with its font's file under another variant name.
func variantOf(st text.Style, v font.Variant) text.Style {
	face := font.DefaultCache.Lookup(st.Font, st.Font.Size)
	face.Font.Variant = v
	st.Font.Variant = v
	st.Handler = text.Plain{Fonts: font.NewCache(font.Collection{face})}
	return st
}

// fileCopy returns st with a font file of its own for its font, parsed
// from the font's.
func fileCopy(t *testing.T, st text.Style) text.Style {
	t.Helper()
	face := font.DefaultCache.Lookup(st.Font, st.Font.Size)
	var b bytes.Buffer
	if _, err := face.Face.WriteSourceTo(nil, &b); err != nil {
		t.Fatal(err)
	}
	file, err := sfnt.Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	face.Face = file
	st.Handler = text.Plain{Fonts: font.NewCache(font.Collection{face})}
	return st
}

// TestSVGFontsAsEmbedded checks SVGFonts.Draw against gonum/plot's SVG
// writer embedding the fonts itself (SVG(f, true)): the same document
// once the <defs> block is cut out, and the rules of that block, for
// every figure of a run and for text in several fonts (sizes share a
// rule; a weight has its own, in the order the fonts are first used; a
// second file of a font's description adds none, nor a variant SVG names
// as another's) or in none (an empty
// block). One SVGFonts draws them all, so the rules it made for earlier
// figures serve later ones.
func TestSVGFontsAsEmbedded(t *testing.T) {
	bold := sansFont
	bold.Weight = xfont.WeightBold
	regular, big, heavy := styleOf(sansFont, 9), styleOf(sansFont, 14), styleOf(bold, 9)
	in, err := InputFromArtifacts(fixtureArtifacts(t, 2_000, 3))
	if err != nil {
		t.Fatal(err)
	}
	figs := append(Compute(in).Figures(),
		textFigure(), textFigure(heavy, regular, big), textFigure(regular, fileCopy(t, regular), heavy),
		textFigure(variantOf(regular, "Mono"), regular)) // a variant SVG names as Sans ("normal")
	var fonts SVGFonts
	total := 0
	for _, f := range figs {
		want, err := SVG(f, true)
		if err != nil {
			t.Fatal(err)
		}
		wantDoc, wantRules := splitDefs(t, string(want))
		doc, rules, err := fonts.Draw(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(doc) != wantDoc {
			t.Errorf("%s: the document differs from SVG(f, true)'s without its <defs>", f.Name)
		}
		if len(rules) != len(wantRules) {
			t.Fatalf("%s: %d @font-face rules, want %d", f.Name, len(rules), len(wantRules))
		}
		for k := range rules {
			if rules[k] != wantRules[k] {
				t.Errorf("%s: rule %d differs: %.80q…, want %.80q…", f.Name, k, rules[k], wantRules[k])
			}
		}
		total += len(rules)
	}
	if last := figs[len(figs)-3:]; total < len(figs)-1 || len(fonts.fonts) != 4 {
		t.Errorf("%d rules in all, %d fonts made (%s, %s, %s): the fixture does not test what it claims", total, len(fonts.fonts), last[0].Name, last[1].Name, last[2].Name)
	}
}

// BenchmarkReportSVG draws every figure of a run as the report inlines
// them: "embedded" with its fonts embedded in each document
// (SVG(f, true)), "rules once" by one SVGFonts. Both report the
// process's CPU time per set of figures.
func BenchmarkReportSVG(b *testing.B) {
	figs := benchFigures(b)
	run := func(b *testing.B, draw func(f Figure) error) {
		cpu0 := cputime.Process()
		for b.Loop() {
			for _, f := range figs {
				if err := draw(f); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.Run("embedded", func(b *testing.B) {
		run(b, func(f Figure) error { _, err := SVG(f, true); return err })
	})
	b.Run("rules once", func(b *testing.B) {
		var fonts SVGFonts
		run(b, func(f Figure) error { _, _, err := fonts.Draw(f); return err })
	})
}
