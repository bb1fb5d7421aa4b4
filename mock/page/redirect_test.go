package page

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestRedirectURL(t *testing.T) {
	two := []Field{{"pg_order_id", "order 1&2"}, {"pg_sig", "a+b/c=="}}
	for _, c := range []struct {
		base   string
		fields []Field
		want   string
	}{
		{"https://shop.example/ok", two, "https://shop.example/ok?pg_order_id=order+1%262&pg_sig=a%2Bb%2Fc%3D%3D"},
		{"https://shop.example/index.php?dispatch=payment_notification.return&x=%20y", two,
			"https://shop.example/index.php?dispatch=payment_notification.return&x=%20y&pg_order_id=order+1%262&pg_sig=a%2Bb%2Fc%3D%3D"},
		{"https://shop.example/ok?", two[:1], "https://shop.example/ok?pg_order_id=order+1%262"},
		{"https://shop.example/ok?a=1&", two[:1], "https://shop.example/ok?a=1&pg_order_id=order+1%262"},
		{"https://shop.example/ok?a=1#done", two[:1], "https://shop.example/ok?a=1&pg_order_id=order+1%262#done"},
		{"https://shop.example/#/app?view=1", two[:1], "https://shop.example/?pg_order_id=order+1%262#/app?view=1"},
		{"/ok", []Field{{"имя", "значение ü"}}, "/ok?%D0%B8%D0%BC%D1%8F=%D0%B7%D0%BD%D0%B0%D1%87%D0%B5%D0%BD%D0%B8%D0%B5+%C3%BC"},
		{"https://shop.example/ok?a=1", nil, "https://shop.example/ok?a=1"},
		{"", two[:1], "?pg_order_id=order+1%262"},
		{"/ok??", two[:1], "/ok??&pg_order_id=order+1%262"}, // the query is "?"
	} {
		if got := RedirectURL(c.base, c.fields); got != c.want {
			t.Errorf("RedirectURL(%q, %v) = %q, want %q", c.base, c.fields, got, c.want)
		}
	}
}

// FuzzRedirectURL: RedirectURL never panics, and what it appends reads back
// with net/url as the fields, in order, after the original query.
func FuzzRedirectURL(f *testing.F) {
	f.Add("https://shop.example/ok?dispatch=a.b", "pg_order_id", "1&2=3", "pg_sig", "+/ =")
	f.Add("https://shop.example/ok?#frag", "", "", "x", "#?&")
	f.Add("/ok&?a=%zz", "имя", "ü", "%", "%%")
	f.Fuzz(func(t *testing.T, base, n1, v1, n2, v2 string) {
		fields := []Field{{n1, v1}, {n2, v2}}
		got := RedirectURL(base, fields)
		b, err := url.Parse(base)
		if err != nil {
			return // base is no URL net/url reads
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("RedirectURL(%q) = %q: %v", base, got, err)
		}
		pairs := strings.Split(u.RawQuery, "&")
		if len(pairs) < len(fields) {
			t.Fatalf("RedirectURL(%q) = %q: query %q has fewer pairs than the fields", base, got, u.RawQuery)
		}
		tail := pairs[len(pairs)-len(fields):]
		for i, p := range tail {
			name, value, _ := strings.Cut(p, "=")
			gn, err1 := url.QueryUnescape(name)
			gv, err2 := url.QueryUnescape(value)
			if err1 != nil || err2 != nil || gn != fields[i].Name || gv != fields[i].Value {
				t.Fatalf("RedirectURL(%q) = %q: pair %d reads %q=%q, want %q=%q", base, got, i, gn, gv, fields[i].Name, fields[i].Value)
			}
		}
		head := strings.Join(pairs[:len(pairs)-len(fields)], "&")
		if want := strings.TrimSuffix(b.RawQuery, "&"); head != want {
			t.Fatalf("RedirectURL(%q) = %q: the query before the fields is %q, want %q", base, got, head, want)
		}
		if u.Fragment != b.Fragment || u.Path != b.Path || u.Host != b.Host {
			t.Fatalf("RedirectURL(%q) = %q: path, host or fragment changed", base, got)
		}
	})
}

var back = []Field{{"pg_order_id", "order-17"}, {"pg_payment_id", "1234567"}, {"pg_salt", "s a&l=t"}, {"pg_sig", "0123abcd"}}

// redirectPage renders v.
func redirectPage(t *testing.T, v Redirect) string {
	t.Helper()
	return write(t, func(b *bytes.Buffer) error { return New().Redirect(b, v) })
}

// hidden are the names and values of the page's hidden inputs, in order.
func hidden(page string) []Field {
	var out []Field
	for _, g := range tags(page, "input") {
		if g.attrs["type"] == "hidden" {
			out = append(out, Field{g.attrs["name"], g.attrs["value"]})
		}
	}
	return out
}

func TestRedirectMethods(t *testing.T) {
	const base = "https://shop.example/index.php?dispatch=pay.return"
	link := RedirectURL(base, back)
	for _, c := range []struct {
		method  string
		post    bool   // a form with the fields, else a link
		script  bool   // AUTOPOST's submit
		refresh string // the meta refresh
	}{
		{method: "GET"}, {method: ""}, {method: "get"}, {method: "PUT"},
		{method: "POST", post: true},
		{method: "AUTOPOST", post: true, script: true}, {method: "autopost", post: true, script: true},
		{method: "AUTOGET", refresh: "7;url=" + link},
	} {
		for _, lang := range langs {
			tx := languages[lang]
			v := Redirect{Lang: lang, Success: lang != "en", Message: "Declined: 10001", URL: base, Method: c.method, Fields: back, Timeout: 7}
			page := redirectPage(t, v)
			rest := page
			if c.script { // the one script a page may have
				rest = strings.Replace(page, `<script>document.getElementById("back").submit()</script>`, "", 1)
			}
			if strings.Contains(rest, "<script") {
				t.Errorf("%s %s: a script, want none:\n%s", c.method, lang, page)
			}
			title := tx.FailureTitle
			if v.Success {
				title = tx.SuccessTitle
			}
			if got := textAfter(page, byAttr(t, page, "h1", "id", "outcome")); got != title {
				t.Errorf("%s %s: heading %q, want %q", c.method, lang, got, title)
			}
			if got := textAfter(page, byAttr(t, page, "p", "id", "message")); got != v.Message {
				t.Errorf("%s %s: message %q, want %q", c.method, lang, got, v.Message)
			}
			var refresh []string
			for _, m := range tags(page, "meta") {
				if m.attrs["http-equiv"] == "refresh" {
					refresh = append(refresh, m.attrs["content"])
				}
			}
			var want []string
			if c.refresh != "" {
				want = []string{c.refresh}
			}
			if !slices.Equal(refresh, want) {
				t.Errorf("%s %s: meta refresh %q, want %q", c.method, lang, refresh, want)
			}
			if c.refresh != "" && !strings.Contains(page, strings.Replace(tx.RedirectIn, "%d", "7", 1)) {
				t.Errorf("%s %s: the page does not say it moves on in 7 s", c.method, lang)
			}
			if !c.post {
				a := byAttr(t, page, "a", "id", "back")
				if a.attrs["href"] != link || a.attrs["target"] != "" {
					t.Errorf("%s %s: link %v, want href %q in this window", c.method, lang, a.attrs, link)
				}
				if got := textAfter(page, a); got != tx.Back {
					t.Errorf("%s %s: link says %q, want %q", c.method, lang, got, tx.Back)
				}
				if len(tags(page, "form")) != 0 {
					t.Errorf("%s %s: a form, want a link only", c.method, lang)
				}
				continue
			}
			f := byAttr(t, page, "form", "id", "back")
			if f.attrs["method"] != "post" || f.attrs["action"] != base || f.attrs["target"] != "" {
				t.Errorf("%s %s: form %v, want POST to %q in this window", c.method, lang, f.attrs, base)
			}
			if got := hidden(page); !slices.Equal(got, back) {
				t.Errorf("%s %s: hidden fields %v, want %v", c.method, lang, got, back)
			}
			b := tags(page, "button")
			if len(b) != 1 || b[0].attrs["type"] != "submit" || textAfter(page, b[0]) != tx.Back {
				t.Errorf("%s %s: buttons %v, want one visible submit saying %q", c.method, lang, b, tx.Back)
			}
			if c.script && !strings.Contains(page, "<script>") {
				t.Errorf("%s %s: no script submitting the form", c.method, lang)
			}
			if len(tags(page, "a")) != 0 {
				t.Errorf("%s %s: a link, want the form only", c.method, lang)
			}
		}
	}
}

// In a frame the way back opens in the top window; AUTOGET has no meta
// refresh there, which would move the frame only.
func TestRedirectFrame(t *testing.T) {
	for _, m := range []string{MethodGet, MethodPost, MethodAutoPost, MethodAutoGet} {
		page := redirectPage(t, Redirect{URL: "https://shop.example/fail", Method: m, Fields: back, Frame: true})
		el := "a"
		if m == MethodPost || m == MethodAutoPost {
			el = "form"
		}
		if g := byAttr(t, page, el, "id", "back"); g.attrs["target"] != "_top" {
			t.Errorf("%s: <%s> %v, want target=_top", m, el, g.attrs)
		}
		if strings.Contains(page, `http-equiv="refresh"`) {
			t.Errorf("%s: a framed page with a meta refresh", m)
		}
		if g := tags(page, "body"); g[0].attrs["class"] != "frame" {
			t.Errorf("%s: body %v, want class=frame", m, g[0].attrs)
		}
	}
}

// A script URL is neither a link nor a refresh; Timeout 0 refreshes at
// once and says so.
func TestRedirectUnsafeURLAndNoWait(t *testing.T) {
	page := redirectPage(t, Redirect{Lang: "en", URL: "javascript:alert(1)", Method: MethodAutoGet, Fields: back})
	if a := byAttr(t, page, "a", "id", "back"); strings.Contains(a.attrs["href"], "alert") || strings.Contains(page, "refresh") {
		t.Errorf("a javascript: URL is followed: href %q:\n%s", a.attrs["href"], page)
	}
	page = redirectPage(t, Redirect{Lang: "en", URL: "javascript:alert(1)", Method: MethodPost, Fields: back})
	if f := byAttr(t, page, "form", "id", "back"); strings.Contains(f.attrs["action"], "alert") {
		t.Errorf("a javascript: URL is a form's action: %q", f.attrs["action"])
	}
	page = redirectPage(t, Redirect{Lang: "en", URL: "/done", Method: MethodAutoGet, Timeout: -3})
	if m := byAttr(t, page, "meta", "http-equiv", "refresh"); m.attrs["content"] != "0;url=/done" {
		t.Errorf("refresh %q, want 0;url=/done", m.attrs["content"])
	}
	if got := textAfter(page, byAttr(t, page, "p", "id", "wait")); got != languages["en"].RedirectNow {
		t.Errorf("wait note %q, want %q", got, languages["en"].RedirectNow)
	}
}
