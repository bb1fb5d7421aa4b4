package page

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// submit fills the one form of page, at pageURL, as a browser without
// JavaScript does: hidden inputs as they are, the others from typed, and
// the button whose value is button ("" for one without). It returns the reply's body.
func submit(t *testing.T, pageURL, page string, typed map[string]string, button string) string {
	t.Helper()
	start := strings.Index(page, "<form")
	end := strings.Index(page, "</form>")
	forms := tags(page, "form")
	if len(forms) != 1 || start < 0 || end < start {
		t.Fatalf("got %d forms, want 1:\n%s", len(forms), page)
	}
	form := page[start:end]
	v := url.Values{}
	for _, in := range tags(form, "input") {
		name := in.attrs["name"]
		if in.attrs["type"] == "hidden" {
			v.Add(name, in.attrs["value"])
		} else {
			v.Add(name, typed[name])
		}
	}
	pressed := false
	for _, b := range tags(form, "button") {
		if b.attrs["value"] == button {
			if name := b.attrs["name"]; name != "" { // a button without a name sends nothing
				v.Add(name, button)
			}
			pressed = true
		}
	}
	if !pressed {
		t.Fatalf("the form has no button %q:\n%s", button, form)
	}
	base, _ := url.Parse(pageURL)
	action, err := base.Parse(forms[0].attrs["action"])
	if err != nil {
		t.Fatal(err)
	}
	if m := forms[0].attrs["method"]; m != "post" {
		t.Fatalf("form method %q, want post", m)
	}
	res, err := http.PostForm(action.String(), v)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v", action, res.StatusCode, err)
	}
	return string(b)
}

// The pages are driven with net/http alone: the card form, the 3-D Secure
// page, and the POST back to the merchant.
func TestFormsWithPlainHTTP(t *testing.T) {
	tp := New()
	var got []url.Values
	mux := http.NewServeMux()
	keep := func(r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got = append(got, r.PostForm)
	}
	mux.HandleFunc("GET /pay/p-1", func(w http.ResponseWriter, r *http.Request) {
		_ = tp.Payment(w, Payment{Lang: "en", Merchant: "Shop", OrderID: "17", Amount: "10.00", Currency: "KZT", Action: "card"})
	})
	mux.HandleFunc("POST /pay/card", func(w http.ResponseWriter, r *http.Request) {
		keep(r)
		_ = tp.ACS(w, ACS{Lang: "en", Action: "/acs/p-1", Merchant: "Shop", Amount: "10.00", Currency: "KZT"})
	})
	mux.HandleFunc("POST /acs/p-1", func(w http.ResponseWriter, r *http.Request) {
		keep(r)
		_ = tp.Redirect(w, Redirect{Lang: "en", Success: true, URL: "/shop/ok?from=fp", Method: MethodPost, Fields: back})
	})
	mux.HandleFunc("POST /shop/ok", func(w http.ResponseWriter, r *http.Request) {
		keep(r)
		if r.URL.Query().Get("from") != "fp" {
			t.Errorf("the merchant's URL lost its query: %s", r.URL)
		}
		_, _ = io.WriteString(w, "thanks")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/pay/p-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	card := map[string]string{"card_number": "4916 3074 1633 4310", "card_holder": "IVAN IVANOV",
		"card_exp_month": "12", "card_exp_year": "2030", "card_cvc": "123"}
	acs := submit(t, srv.URL+"/pay/p-1", string(b), card, "pay")
	redirect := submit(t, srv.URL+"/acs/p-1", acs, nil, "confirm")
	if body := submit(t, srv.URL+"/acs/p-1", redirect, nil, ""); body != "thanks" {
		t.Errorf("the merchant answered %q, want thanks", body)
	}

	if len(got) != 3 {
		t.Fatalf("got %d forms, want 3", len(got))
	}
	want := url.Values{"action": {"pay"}}
	for k, v := range card {
		want[k] = []string{v}
	}
	if g := got[0]; !equal(g, want) {
		t.Errorf("card form sent %v, want %v", g, want)
	}
	if g, want := got[1], (url.Values{"acs": {"confirm"}}); !equal(g, want) {
		t.Errorf("ACS form sent %v, want %v", g, want)
	}
	want = url.Values{}
	for _, f := range back {
		want.Add(f.Name, f.Value)
	}
	if g := got[2]; !equal(g, want) {
		t.Errorf("the way back sent %v, want %v", g, want)
	}
}

func equal(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
