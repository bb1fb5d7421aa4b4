package wire

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Input PHP reads without complaint is read here too: empty parts of a
// query, a part without Content-Disposition, a field with an empty name.
func TestReadAsPHPDoes(t *testing.T) {
	get := httptest.NewRequest(http.MethodGet, "/g2g/x?pg_a=1"+strings.Repeat("&", 1500), nil)
	if req, err := Decode(get, 1<<20); err != nil || req.Fields.Value("pg_a") != "1" {
		t.Errorf("a query with 1 500 empty parts: %v %v (PHP skips them)", req.Fields, err)
	}
	body := strings.Repeat("&", 1500) + "pg_a=1"
	post := httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader(body))
	post.Header.Set("Content-Type", formType)
	if _, err := Decode(post, 1<<20); err == nil {
		t.Error("a body with 1 500 empty parts first was read; PHP counts them and drops pg_a")
	}
	post = httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader("pg_a=1&%5Bx%5D=2&+%5By%5D=3&pg.b=4&pg%5Bc=5"))
	post.Header.Set("Content-Type", formType)
	req, err := Decode(post, 1<<20)
	if err != nil || len(req.Fields) != 3 || req.Fields[1].Name != "pg_b" || req.Fields[2].Name != "pg_c" {
		t.Errorf("names as PHP reads them: %v %v, want pg_a, pg_b, pg_c", req.Fields, err)
	}
	mp := "--x\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--x\r\nContent-Disposition: form-data; name=\"pg_a\"\r\n\r\n1\r\n--x--\r\n"
	post = httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader(mp))
	post.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if req, err := Decode(post, 1<<20); err != nil || len(req.Fields) != 1 || req.Fields.Value("pg_a") != "1" {
		t.Errorf("a part without Content-Disposition: %v %v, want it skipped", req.Fields, err)
	}
}

// phpNames copies a name only when PHP's reading changes it; what it reads
// is what the plain rules say: leading spaces dropped, an unmatched "["
// and what follows it made "_", spaces and dots before a "[" made "_".
func FuzzPHPNames(f *testing.F) {
	for _, s := range []string{"pg_a&pg.b&pg%5Bc&[x]& [y]&  pg d[a b][c.d]&pg[x.y&.", "a.b[c]&a b&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fields, want sign.Fields
		for i, name := range strings.Split(s, "&") {
			fields = append(fields, sign.Field{Name: name, Value: strconv.Itoa(i)})
			base, rest := name, ""
			if j := strings.IndexByte(base, '['); j >= 0 {
				base, rest = base[:j], base[j:]
			}
			base = strings.TrimLeft(base, " ")
			if base == "" {
				continue
			}
			if rest != "" && !strings.Contains(rest, "]") {
				base, rest = base+strings.NewReplacer(" ", "_", ".", "_", "[", "_").Replace(rest), ""
			}
			want = append(want, sign.Field{Name: strings.NewReplacer(" ", "_", ".", "_").Replace(base) + rest, Value: strconv.Itoa(i)})
		}
		if got := phpNames(fields); !slices.Equal(got, want) {
			t.Fatalf("phpNames(%v) = %v, want %v", fields, got, want)
		}
	})
}
