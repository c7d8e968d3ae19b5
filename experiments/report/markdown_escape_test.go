package report

import (
	"strings"
	"testing"
)

// report.md escapes HTML in names, file names, ids and messages, as
// report.html does.
func TestMarkdownEscapesHTML(t *testing.T) {
	p := &page{
		Name:     "<script>alert(1)</script>",
		Subtitle: "data <img src=x onerror=alert(2)>.csv",
		Warnings: []string{"customer <b>&</b> rejected"},
		Data:     []keyValue{{Key: "File", Value: "<iframe src=evil>"}},
	}
	md := markdown(p)
	for _, raw := range []string{"<script", "<img", "<b>", "<iframe"} {
		if strings.Contains(md, raw) {
			t.Errorf("report.md holds %q:\n%s", raw, md)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x", "&lt;b&gt;&amp;&lt;/b&gt;", "&lt;iframe src=evil&gt;"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
}
