package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// The page inlines every script and style: it opens from a file, offline.
var (
	//go:embed assets/chart.umd.min.js
	chartJS string
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.html.tmpl
	pageTmpl string
)

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
}).Parse(pageTmpl))

// ChartJS is the vendored Chart.js without its sourceMappingURL comment
// (the map is not shipped, and the page must ask for nothing).
func ChartJS() string {
	s := strings.TrimRight(chartJS, "\n")
	if i := strings.LastIndex(s, "\n//# sourceMappingURL="); i >= 0 {
		s = s[:i]
	}
	return s
}

type pageData struct {
	Report
	Sections []section
	// Library and Script are trusted code from this package's assets; the
	// report's data reaches the script only as JSON (ChartData), which
	// html/template encodes for the script context.
	Library, Script template.JS
	Style           template.CSS
	ChartData       []Chart
}

// section groups charts under one heading of the page.
type section struct {
	ID, Title string
	Charts    []Chart
}

var sectionTitles = []struct{ id, title string }{
	{"identities", "Identities"}, {"findings", "Findings"}, {"controls", "Framework controls"},
	{"tickets", "Tickets"}, {"agents", "Agents"},
}

// Render writes the report as one self-contained HTML page.
func Render(w io.Writer, r Report) error {
	for _, code := range []string{ChartJS(), reportJS} {
		// A closing tag inside inlined code would end its script element early.
		if strings.Contains(strings.ToLower(code), "</script") {
			return fmt.Errorf("report: inlined script holds </script")
		}
	}
	d := pageData{Report: r, ChartData: []Chart{}, Library: template.JS(ChartJS()), Script: template.JS(reportJS), Style: template.CSS(reportCSS)}
	for _, st := range sectionTitles {
		s := section{ID: st.id, Title: st.title}
		for _, c := range r.Charts {
			if c.Section == st.id {
				s.Charts = append(s.Charts, c)
			}
		}
		d.Sections = append(d.Sections, s)
	}
	for _, c := range r.Charts {
		if !c.Empty() {
			d.ChartData = append(d.ChartData, c)
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
