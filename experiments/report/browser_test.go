package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The browser test opens report.html in headless Chromium (Debian's
// chromium package; .ci/run installs it). Where no Chromium can start it
// skips, unless CLV_REQUIRE_BROWSER=1 (as in CI), where it fails.
//
// How it looks, without injecting anything into the report: a local test
// server serves the results folder and logs every request; Chromium
// resolves no host name but the local one, so nothing can leave the
// machine, and writes a NetLog, in which every request the pages made
// (those carrying the local site in their network isolation key) must be
// for the local server. A check page, served by the test server only,
// loads the report in a same-origin frame as tall as the report and, once
// it has loaded, measures every figure (each inline <svg> drawn with a
// non-zero size, each <img> complete with a non-zero natural size) and
// writes the result into its own DOM, which --dump-dom prints; the same
// Chromium run takes a screenshot of it.

// browserCheckPage loads the report in a frame, and a canary page in
// another, and writes what it finds in both into <pre id="result"> as
// JSON. The canary breaks every rule (an image from another host, a
// missing image, an empty SVG): the test checks that each check catches
// it, so that a check that cannot fail does not pass for one that works.
const browserCheckPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>check</title>
<style>body { margin: 0; } iframe { border: 0; width: 100%; height: 900px; display: block; } pre, #canary { display: none; }</style></head>
<body><iframe id="report" src="/report.html"></iframe><iframe id="canary" src="/__canary.html"></iframe><pre id="result">pending</pre>
<script>
var pending = 2, out = {};
function measure(doc) {
  var m = {svgs: [], imgs: [], height: doc.documentElement.scrollHeight, title: doc.title};
  doc.querySelectorAll("svg").forEach(function (s) {
    var r = s.getBoundingClientRect();
    m.svgs.push({label: s.getAttribute("aria-label") || "", w: r.width, h: r.height, children: s.childElementCount});
  });
  doc.querySelectorAll("img").forEach(function (i) {
    m.imgs.push({src: i.getAttribute("src"), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight});
  });
  m.overflow = doc.documentElement.scrollWidth > doc.documentElement.clientWidth;
  return m;
}
function done() {
  if (--pending === 0) document.getElementById("result").textContent = JSON.stringify(out);
}
document.getElementById("report").addEventListener("load", function () {
  out.report = measure(this.contentDocument);
  this.style.height = out.report.height + "px";
  done();
});
document.getElementById("canary").addEventListener("load", function () {
  out.canary = measure(this.contentDocument);
  done();
});
</script></body></html>`

// canaryPage breaks every rule the test checks (see browserCheckPage).
const canaryPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>canary</title></head>
<body><img src="` + canaryURL + `" alt="external"><img src="/__missing.png" alt="missing"><svg></svg></body></html>`

// canaryURL is the canary's request to another host.
const canaryURL = "https://canary.invalid/figure.png"

type browserResult struct {
	Report, Canary pageResult
}

type pageResult struct {
	Title string `json:"title"`
	SVGs  []struct {
		Label    string  `json:"label"`
		W        float64 `json:"w"`
		H        float64 `json:"h"`
		Children int     `json:"children"`
	} `json:"svgs"`
	Imgs []struct {
		Src      string `json:"src"`
		Complete bool   `json:"complete"`
		W        int    `json:"w"`
		H        int    `json:"h"`
	} `json:"imgs"`
	Height   int  `json:"height"`
	Overflow bool `json:"overflow"`
}

// problems lists what is wrong with a page: figures not drawn (want of
// them, each <svg> wider than 200 and taller than 100 pixels with
// content) and broken images.
func (p pageResult) problems(wantFigures int) []string {
	var out []string
	if len(p.SVGs) != wantFigures {
		out = append(out, fmt.Sprintf("%d <svg> elements, want one per figure (%d)", len(p.SVGs), wantFigures))
	}
	for _, s := range p.SVGs {
		if s.W < 200 || s.H < 100 || s.Children == 0 {
			out = append(out, fmt.Sprintf("figure %q is drawn %.0f×%.0f px with %d children", s.Label, s.W, s.H, s.Children))
		}
	}
	for _, i := range p.Imgs {
		if !i.Complete || i.W == 0 || i.H == 0 {
			out = append(out, fmt.Sprintf("image %s is broken (complete %v, %d×%d)", i.Src, i.Complete, i.W, i.H))
		}
	}
	if p.Overflow {
		out = append(out, "wider than a 1280-pixel window (horizontal scrolling)")
	}
	return out
}

// requestLog records every request the test server sees.
type requestLog struct {
	mu   sync.Mutex
	list []string // "host path"
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, r.Host+" "+r.URL.Path)
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.list...)
}

func TestReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	a, dir := drawnRun(t)
	if err := Write(dir, a); err != nil {
		t.Fatal(err)
	}

	var log requestLog
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		if page, ok := map[string]string{"/__check.html": browserCheckPage, "/__canary.html": canaryPage}[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	local := strings.TrimPrefix(srv.URL, "http://")

	work := t.TempDir()
	shot, netLog := filepath.Join(work, "report.png"), filepath.Join(work, "netlog.json")
	dom := runChromium(t, chromium, local, "--dump-dom", "--screenshot="+shot, "--window-size=1280,"+strconv.Itoa(screenHeight),
		"--log-net-log="+netLog, srv.URL+"/__check.html")
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the check page printed no result:\n%.2000s", dom)
	}
	var res browserResult
	if err := json.Unmarshal(htmlUnescape(m[1]), &res); err != nil {
		t.Fatalf("the check page did not finish (%v): %.500s", err, m[1])
	}
	figs, err := figureCount(dir)
	if err != nil {
		t.Fatal(err)
	}
	if figs == 0 {
		t.Fatal("the report has no figure")
	}
	for _, p := range res.Report.problems(figs) {
		t.Errorf("report.html in Chromium: %s", p)
	}
	if got := len(res.Canary.problems(1)); got != 3 {
		t.Errorf("the canary page shows %d problems, want 3 (two broken images, an empty SVG): %q", got, res.Canary.problems(1))
	}
	checkScreenshot(t, shot, min(res.Report.Height, screenHeight))
	if keep := os.Getenv("CLV_BROWSER_SCREENSHOT"); keep != "" {
		if b, err := os.ReadFile(shot); err == nil {
			_ = os.WriteFile(keep, b, 0o644)
		}
	}

	// Every request the pages made was for the local server.
	pageRequests, err := netLogRequests(netLog, local)
	if err != nil {
		t.Fatal(err)
	}
	canarySeen := false
	for _, u := range pageRequests {
		switch {
		case u == canaryURL:
			canarySeen = true
		case !strings.HasPrefix(u, srv.URL+"/"):
			t.Errorf("the report requested %s: it must work offline", u)
		}
	}
	if !canarySeen {
		t.Errorf("the NetLog does not show the canary's request for %s: the offline check is blind", canaryURL)
	}
	if len(pageRequests) == 0 {
		t.Error("the NetLog holds no request of the pages")
	}

	// Every request went to the test server, for a file of the results
	// folder (or the check page).
	reqs := log.all()
	if len(reqs) == 0 {
		t.Fatal("the test server saw no request")
	}
	for _, r := range reqs {
		_, p, _ := strings.Cut(r, " ")
		if p == "/__check.html" || p == "/__canary.html" || p == "/__missing.png" || p == "/favicon.ico" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path.Clean(p)))); err != nil {
			t.Errorf("request for %s, not a file of the results folder", p)
		}
	}
}

// figureCount returns the number of figures of a results folder.
func figureCount(dir string) (int, error) {
	html, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		return 0, err
	}
	return bytes.Count(html, []byte(`<figure id="fig-`)), nil
}

// screenHeight is the height of the browser window and so of the
// screenshot: the top of the report (header, data, models, scores and, in
// a small report, the first figures). A screenshot of the whole page (some
// 14,000 pixels) takes Chromium three times as long; the figures further
// down are measured by the check page instead.
const screenHeight = 4000

// netLogRequests returns the URL of every request a page served from
// local made, from a Chromium NetLog: the URL_REQUEST_START_JOB events
// whose initiator is the local origin or whose network isolation key is
// the local site (Chromium's own background requests carry neither).
func netLogRequests(file, local string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("NetLog: %w", err)
	}
	var nl struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
				NIK       string `json:"network_isolation_key"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &nl); err != nil {
		return nil, fmt.Errorf("NetLog: %w", err)
	}
	start, ok := nl.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		return nil, errors.New("NetLog: no URL_REQUEST_START_JOB event type")
	}
	host, _, _ := net.SplitHostPort(local)
	var out []string
	for _, e := range nl.Events {
		p := e.Params
		if e.Type == start && p.URL != "" && (p.Initiator == "http://"+local || strings.HasPrefix(p.NIK, "http://"+host+" ")) {
			out = append(out, p.URL)
		}
	}
	return out, nil
}

// checkScreenshot checks the screenshot decodes, is 1280 pixels wide and,
// over the report's height, is not blank: some pixels dark (text), some
// coloured (figures).
func checkScreenshot(t *testing.T, file string, height int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() != 1280 {
		t.Errorf("screenshot is %d pixels wide, want 1280", bounds.Dx())
	}
	dark, coloured := 0, 0
	for y := bounds.Min.Y; y < min(bounds.Max.Y, bounds.Min.Y+height); y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			if r < 80 && g < 80 && b < 80 {
				dark++
			}
			if max(r, g, b)-min(r, g, b) > 60 {
				coloured++
			}
		}
	}
	if dark < 1000 || coloured < 1000 {
		t.Errorf("the screenshot looks blank: %d dark and %d coloured sample pixels", dark, coloured)
	}
}

// findChromium returns the Chromium binary, or skips (fails under
// CLV_REQUIRE_BROWSER=1) when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	noBrowser(t, "no chromium or chromium-browser on PATH (Debian: apt-get install chromium)")
	return ""
}

func noBrowser(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CLV_REQUIRE_BROWSER") == "1" {
		t.Fatalf("headless Chromium required (CLV_REQUIRE_BROWSER=1): %s", why)
	}
	t.Skipf("skipping the browser test: %s", why)
}

// runChromium runs headless Chromium with a fresh profile and no host name
// resolved but the local server's; it returns stdout. A Chromium that cannot start skips the test
// (fails under CLV_REQUIRE_BROWSER=1).
func runChromium(t *testing.T, chromium, local string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	host, _, _ := net.SplitHostPort(local)
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir(),
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE " + host,
		"--virtual-time-budget=10000", "--run-all-compositor-stages-before-draw",
	}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		noBrowser(t, fmt.Sprintf("%s did not run (%v): %.1000s", chromium, err, stderr.String()))
	}
	return stdout.Bytes()
}

// htmlUnescape undoes the escaping --dump-dom applies to text.
func htmlUnescape(b []byte) []byte {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&")
	return []byte(r.Replace(string(b)))
}
