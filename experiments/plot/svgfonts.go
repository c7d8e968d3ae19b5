package plot

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// SVGFonts draws figures as SVG documents for one HTML page, which holds
// the fonts once: each document as SVG(f, true) draws it but without its
// <defs> block of embedded fonts (an @font-face rule per font, its file
// in base64, some 390 kB a face), whose rules Draw returns apart, each
// font's made once for all the figures. SVG(f, true) encodes every font
// file of every figure again, most of the time of drawing the report's
// figures, which then cuts the rules out of each document.
//
// The zero value is ready to use; it is not safe for concurrent use.
type SVGFonts struct {
	fonts map[fontKey]svgFont
}

// fontKey is a font as its @font-face rule sees it: the font file and
// the variant, style and weight the rule states (not the size).
type fontKey struct {
	file    *sfnt.Font
	variant font.Variant
	style   xfont.Style
	weight  xfont.Weight
}

func keyOfFont(f font.Face) fontKey {
	return fontKey{file: f.Face, variant: f.Font.Variant, style: f.Font.Style, weight: f.Font.Weight}
}

// svgFont is a font's @font-face rule and its description, the rule's
// lines before its source: the family name as the font file gives it and
// the variant, weight and style as SVG names them (the names of several
// variants and weights are one), by which gonum/plot's SVG canvas embeds
// a font once, the first file of that description it meets.
type svgFont struct {
	descr string
	rule  string
}

// Draw draws f as an SVG document: SVG(f, true)'s without its <defs>
// block (the text after it begins on a line of its own instead of after
// an empty one), and the @font-face rules that block holds, in its order
// (each as it is written there, from "@font-face" to the closing brace).
func (s *SVGFonts) Draw(f Figure) (svg []byte, rules []string, err error) {
	c := &fontRecorder{Canvas: vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height))}
	if svg, err = drawSVG(f, c); err != nil {
		return nil, nil, err
	}
	seen := map[fontKey]bool{}
	described := map[string]bool{}
	for _, face := range c.faces {
		k := keyOfFont(face)
		if seen[k] {
			continue
		}
		seen[k] = true
		sf, err := s.font(face, k)
		if err != nil {
			return nil, nil, fmt.Errorf("plots: drawing %s: %w", f.Name, err)
		}
		if !described[sf.descr] {
			described[sf.descr] = true
			rules = append(rules, sf.rule)
		}
	}
	return svg, rules, nil
}

// font returns a font's description and @font-face rule, made on first
// use as gonum/plot's SVG canvas writes the rule: by drawing a letter in
// that font on a canvas that embeds its fonts.
func (s *SVGFonts) font(face font.Face, k fontKey) (svgFont, error) {
	if sf, ok := s.fonts[k]; ok {
		return sf, nil
	}
	c := vgsvg.NewWith(vgsvg.UseWH(vg.Inch, vg.Inch), vgsvg.EmbedFonts(true))
	c.FillString(face, vg.Point{}, "x")
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return svgFont{}, err
	}
	doc := b.String()
	start := strings.Index(doc, "@font-face")
	if start < 0 {
		return svgFont{}, errors.New("the SVG canvas embedded no @font-face rule")
	}
	end := strings.IndexByte(doc[start:], '}')
	if end < 0 {
		return svgFont{}, errors.New("the SVG canvas wrote an unclosed @font-face rule")
	}
	if s.fonts == nil {
		s.fonts = map[fontKey]svgFont{}
	}
	rule := doc[start : start+end+1]
	src := strings.Index(rule, "src:")
	if src < 0 {
		return svgFont{}, errors.New("the SVG canvas wrote an @font-face rule without a source")
	}
	sf := svgFont{descr: rule[:src], rule: rule}
	s.fonts[k] = sf
	return sf, nil
}

// fontRecorder is an SVG canvas that records the fonts of the text drawn
// on it, in order.
type fontRecorder struct {
	*vgsvg.Canvas
	faces []font.Face
}

// FillString implements vg.Canvas.
func (c *fontRecorder) FillString(f font.Face, pt vg.Point, str string) {
	c.faces = append(c.faces, f)
	c.Canvas.FillString(f, pt, str)
}
