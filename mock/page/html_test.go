package page

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

// The tests read the pages as a program without a browser does: start
// tags and their attributes, found by regular expressions. The templates
// quote every attribute with double quotes, and html/template escapes any
// quote inside a value.

var (
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)?>`)
	attrRE = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?`)
)

// tag is a start tag: its element and its attributes, values unescaped.
type tag struct {
	name  string
	attrs map[string]string
	end   int // where it ends in the page
}

// tags are the start tags of element name in page, in order ("" for all).
func tags(page, name string) []tag {
	var out []tag
	for _, m := range tagRE.FindAllStringSubmatchIndex(page, -1) {
		el := page[m[2]:m[3]]
		if name != "" && el != name {
			continue
		}
		t := tag{name: el, attrs: map[string]string{}, end: m[1]}
		if m[4] >= 0 {
			for _, a := range attrRE.FindAllStringSubmatch(page[m[4]:m[5]], -1) {
				t.attrs[a[1]] = html.UnescapeString(a[2])
			}
		}
		out = append(out, t)
	}
	return out
}

// byAttr is the one tag of element name whose attribute key is value.
func byAttr(t *testing.T, page, name, key, value string) tag {
	t.Helper()
	var found []tag
	for _, g := range tags(page, name) {
		if v, ok := g.attrs[key]; ok && v == value {
			found = append(found, g)
		}
	}
	if len(found) != 1 {
		t.Fatalf("got %d <%s %s=%q>, want 1:\n%s", len(found), name, key, value, page)
	}
	return found[0]
}

// textAfter is the text of page right after tag g up to the next tag.
func textAfter(page string, g tag) string {
	rest, _, _ := strings.Cut(page[g.end:], "<")
	return html.UnescapeString(rest)
}

// write runs f into a string, failing the test on an error.
func write(t *testing.T, f func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
