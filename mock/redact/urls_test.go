package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestURLs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://user:s3cret@merchant.test/check", "http://user:xxxxx@merchant.test/check"},
		{"https://user:s3cret@merchant.test:8443", "https://user:xxxxx@merchant.test:8443"},
		{"http://user:p@ss@merchant.test/x?a=b@c:d", "http://user:xxxxx@merchant.test/x?a=b@c:d"}, // the last @ of the authority
		{"http://:s3cret@h/", "http://:xxxxx@h/"},
		{"http://user:@h/", "http://user:xxxxx@h/"}, // an empty password is one, as url.URL.Redacted sees it
		{"//user:s3cret@h/x", "//user:xxxxx@h/x"},
		{"http://user@h/x", "http://xxxxx@h/x"}, // a user name alone: a token, masked
		{"http://h/x@y:z", "http://h/x@y:z"},    // an @ in the path
		{"http://h:8080/x", "http://h:8080/x"},
		{`Post "http://a:one@h/x": then http://b:two@h?y and ftp://c:three@h#z`, `Post "http://a:xxxxx@h/x": then http://b:xxxxx@h?y and ftp://c:xxxxx@h#z`},
		{`url="http://u:p@h"`, `url="http://u:xxxxx@h"`},
		{"no url here: a:b@c", "no url here: a:b@c"},
		{"", ""},
		{"://", "://"},
	} {
		if got := URLs(c.in); got != c.want {
			t.Errorf("URLs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	u, _ := url.Parse("http://user:s3cret@merchant.test/check")
	if got, want := URLs(u.String()), u.Redacted(); got != want {
		t.Errorf("URLs = %q, url.URL.Redacted = %q: want the same", got, want)
	}
}

func TestMaskedWhereURLsAreShown(t *testing.T) {
	r := New("test_secret_key")
	if got, want := r.String("to http://u:s3cret@h/x, card 4111111111111111"), "to http://u:xxxxx@h/x, card 411111-XX-XXXX-1111"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := r.Field("pg_result_url", "http://u:s3cret@h/r"), "http://u:xxxxx@h/r"; got != want {
		t.Errorf("Field = %q, want %q", got, want)
	}
	if got, want := r.Field("pg_order_id", "http://u:s3cret@h/r"), "http://u:s3cret@h/r"; got != want {
		t.Errorf("Field of an identifier = %q, want %q as it is", got, want)
	}
	signing := "init_payment.php;http://u:s3cret@h/r;10;<secret:15 chars>"
	if got, want := Quoted(signing, "pg_result_url", "http://u:s3cret@h/r"), "init_payment.php;http://u:xxxxx@h/r;10;<secret:15 chars>"; got != want {
		t.Errorf("Quoted = %q, want %q", got, want)
	}
	if got, want := Text("order 4716 0472 6194 1981 for http://u:p@h"), "order 471604-XX-XXXX-1981 for http://u:xxxxx@h"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

// FuzzURLs: whatever the text, the password url.Parse finds in it is
// masked, the rest of the URL kept; masking twice is masking once.
func FuzzURLs(f *testing.F) {
	for _, s := range []string{"http://user:s3cret@merchant.test/check", "//a:b@c", "http://a@b:c@d/e", "x://y", "http://h/x@y:z", "https://u:p%40ss@h:1/?q#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := URLs(s)
		if again := URLs(out); again != out {
			t.Fatalf("URLs(%q) = %q, but URLs of that = %q", s, out, again)
		}
		if !strings.Contains(s, "//") && out != s {
			t.Fatalf("URLs(%q) = %q, want it unchanged", s, out)
		}
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		if _, ok := u.User.Password(); !ok {
			return
		}
		m, err := url.Parse(out)
		if err != nil {
			t.Fatalf("URLs(%q) = %q, which does not parse: %v", s, out, err)
		}
		// A path with an '@' may read as a URL with credentials of its
		// own (free text is scanned for URLs) and be masked too.
		if p, _ := m.User.Password(); p != URLPassword || m.User.Username() != u.User.Username() || m.Host != u.Host ||
			m.Path != u.Path && !strings.Contains(u.Path, "@") {
			t.Fatalf("URLs(%q) = %q: user %q password %q host %q path %q, want %q, %q, %q, %q",
				s, out, m.User.Username(), p, m.Host, m.Path, u.User.Username(), URLPassword, u.Host, u.Path)
		}
	})
}
