package wire

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
