package page

import (
	"net/url"
	"strconv"
	"strings"
)

// Methods of the way back to the merchant (pg_success_url_method,
// pg_failure_url_method).
const (
	MethodGet      = "GET"      // a link; the fields are appended to URL's query
	MethodPost     = "POST"     // a form with the fields hidden and a button
	MethodAutoPost = "AUTOPOST" // POST's form, submitted by a one-line script; the button stays for no-JS
	MethodAutoGet  = "AUTOGET"  // GET's link, followed by a meta refresh after Timeout seconds
)

// Redirect is the page after the outcome: it sends the payer to the
// merchant's success or failure URL.
type Redirect struct {
	Lang    string
	Success bool
	Message string // the outcome in words (decline reason, or the merchant's rejection description)
	URL     string // success or failure URL; may already have a query string
	// Method is one of the Method constants, in any case; "" or another
	// value is GET, the documented default.
	Method string
	Fields []Field // signed fields to carry, in this order
	// Frame sets target="_top" on the link or form. AUTOGET then has no
	// meta refresh: it would move only the frame, so the payer follows the
	// link.
	Frame   bool
	Timeout int // seconds before AUTOGET's meta refresh (pg_timeout_after_payment); 0 = at once
}

// redirectView is a Redirect as its template reads it.
type redirectView struct {
	Redirect
	Link    string // GET and AUTOGET: URL with the fields
	Post    bool   // POST and AUTOPOST: a form
	Auto    bool   // AUTOPOST or AUTOGET with a refresh: the page moves on by itself
	Wait    int    // seconds before AUTOGET's refresh
	refresh string // the meta refresh's content
}

// prepare works out how v's page sends the payer back.
func prepare(v Redirect) redirectView {
	d := redirectView{Redirect: v}
	switch strings.ToUpper(strings.TrimSpace(v.Method)) {
	case MethodPost:
		d.Post = true
	case MethodAutoPost:
		d.Post, d.Auto = true, true
	case MethodAutoGet:
		d.Link = RedirectURL(v.URL, v.Fields)
		// html/template keeps a javascript: URL out of href and action,
		// but not out of a meta refresh: only http(s) and relative URLs
		// get one.
		if !v.Frame && webURL(d.Link) {
			d.Auto, d.Wait = true, max(v.Timeout, 0)
			d.refresh = strconv.Itoa(d.Wait) + ";url=" + d.Link
		}
	default:
		d.Link = RedirectURL(v.URL, v.Fields)
	}
	return d
}

// webURL reports whether s is an http or https URL, or a relative one.
func webURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https":
		return true
	}
	return false
}

// RedirectURL is base with fields appended to its query, for GET and
// AUTOGET: the existing query is kept as it is written, the fields follow
// it in order, each escaped by url.QueryEscape, and a fragment stays last.
func RedirectURL(base string, fields []Field) string {
	if len(fields) == 0 {
		return base
	}
	rest, fragment, hasFragment := strings.Cut(base, "#")
	var b strings.Builder
	b.WriteString(rest)
	switch _, query, ok := strings.Cut(rest, "?"); {
	case !ok:
		b.WriteByte('?')
	case query != "" && !strings.HasSuffix(query, "&"):
		b.WriteByte('&')
	}
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	if hasFragment {
		b.WriteByte('#')
		b.WriteString(fragment)
	}
	return b.String()
}
