package wire

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/xml")

const goldenDir = "../../fixtures/xml"

func fields(kv ...string) sign.Fields {
	var fs sign.Fields
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, sign.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

// The documented samples (spec §3, §5), byte for byte as the sandbox writes
// them. The success sample carries vector B's real signature.
func TestGolden(t *testing.T) {
	success := fields("pg_merchant_id", "9970", "pg_payment_id", "7777777777", "pg_status", "ok",
		"pg_payment_status", "success", "pg_order_id", "12345", "pg_amount", "13441.5", "pg_net_amount", "13441.5",
		"pg_datetime", "2024-11-28T11:10:03+00:00", "pg_salt", "FdsmjkonfzxsDF")
	success = append(success, sign.Field{Name: "pg_sig", Value: sign.Sign("payout_status2", success, "test_secret_key")})
	golden := map[string][]byte{
		"payout_status2_success.xml": Encode(success),
		"error_9998.xml":             NewError(CodeBadSignature).Encode(),
		"error_11068.xml":            NewError(CodeNotFound).Encode(),
	}
	for name, got := range golden {
		path := filepath.Join(goldenDir, name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./mock/wire -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
		}
	}
	if !strings.Contains(string(golden["payout_status2_success.xml"]), "<pg_sig>0c7d7ad0cede3d37f5da8ae6945ce530</pg_sig>") {
		t.Errorf("success sample is not signed with vector B's pg_sig")
	}
}

// The documented request sample, sent as pg_xml, decodes to fields whose
// signature is vector A's.
func TestDecodeXMLRequestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "payout_status2_request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := DecodeXML(data)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Value("pg_sig") != "aac04fa34ae2e48c9e44efea48cb4b6b" || !sign.Verify("payout_status2", fs, "test_secret_key") {
		t.Fatalf("decoded %v: want vector A, verifying", fs)
	}
}

func TestDecodeNestedXML(t *testing.T) {
	fs, err := DecodeXML([]byte(`<request><pg_amount>25</pg_amount><pg_description>test</pg_description>
		<pg_merchant_id>1</pg_merchant_id><pg_order_id>23</pg_order_id>
		<pg_receipt_positions><item><count>1</count><name>Item A</name><tax_type>3</tax_type><price>10</price></item>
		<item><count>2</count><name>Item B</name><tax_type>0</tax_type><price>7.5</price></item></pg_receipt_positions>
		<pg_salt>molbulak</pg_salt></request>`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sign.SigningString("init_payment.php", fs, "sk"), "init_payment.php;25;test;1;23;1;Item A;10;3;2;Item B;7.5;0;molbulak;sk"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeKeepsOrderAndRepeats(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/g2g/x?utm=ignored", strings.NewReader("pg_b=2&pg_a=1&pg_b=2&pg_e=&pg_p=a+b%26c"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req, err := Decode(r, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := fields("pg_b", "2", "pg_a", "1", "pg_b", "2", "pg_e", "", "pg_p", "a b&c")
	if len(req.Fields) != len(want) || req.Encoding != EncForm {
		t.Fatalf("got %v (%s), want %v", req.Fields, req.Encoding, want)
	}
	for i := range want {
		if req.Fields[i] != want[i] {
			t.Fatalf("got %v, want %v", req.Fields, want)
		}
	}
	// POST without a body falls back to the query string.
	r = httptest.NewRequest(http.MethodPost, "/g2g/x?pg_a=1", nil)
	if req, err := Decode(r, 1<<20); err != nil || req.Fields.Value("pg_a") != "1" || req.Encoding != EncQuery {
		t.Fatalf("bodyless POST: %v %v", req, err)
	}
}

func TestDecodeRawXMLBodyAndLimit(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><request><pg_a>&lt;1&gt;</pg_a><pg_b><![CDATA[x&y]]></pg_b></request>`))
	r.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req, err := Decode(r, 1<<20)
	if err != nil || req.Fields.Value("pg_a") != "<1>" || req.Fields.Value("pg_b") != "x&y" {
		t.Fatalf("got %v %v", req.Fields, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader("pg_a=12345"))
	if _, err := Decode(r, 5); err != ErrTooLarge {
		t.Fatalf("body of 10 bytes over a 5-byte limit: %v, want ErrTooLarge", err)
	}
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	if _, err := DecodeXML([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("deep XML: %v, want a depth error", err)
	}
}

func FuzzDecodeXML(f *testing.F) {
	f.Add([]byte(`<request><pg_a>1</pg_a><pg_b><c>2</c></pg_b></request>`))
	f.Add([]byte(`<?xml version="1.0" encoding="koi8-r"?><request/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := DecodeXML(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not a gateway *Error", err)
			}
			return
		}
		// What decodes re-encodes and decodes to the same flat fields.
		again, err := DecodeXML(Encode(fs))
		if err != nil {
			return // flattened names of odd tags need not be XML names
		}
		if len(again) != len(fs) {
			t.Fatalf("round trip: %v became %v", fs, again)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add("pg_a=1&pg_b=%20x&&pg_c")
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseQuery(s)
		if err != nil {
			return
		}
		if len(fs) > strings.Count(s, "&")+1 {
			t.Fatalf("%q gave %d fields", s, len(fs))
		}
	})
}

func TestMalformedFieldMasksCardNumber(t *testing.T) {
	r := httptest.NewRequest("POST", "/g2g/p2p2nonreg", strings.NewReader("pg_payment_to=4671593866478252%ZZ"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err := Decode(r, 1<<20)
	if err == nil || strings.Contains(err.Error(), "4671593866478252") || !strings.Contains(err.Error(), "467159-XX-XXXX-8252") {
		t.Errorf("got %v, want the error to show the card masked", err)
	}
}

// TestMalformedFieldMasksCardNumberBeforeTheCut: a card number that the
// message's 40-byte quote would cut (14 of its digits would pass, failing
// the Luhn check) is masked before the cut.
func TestMalformedFieldMasksCardNumberBeforeTheCut(t *testing.T) {
	r := httptest.NewRequest("POST", "/g2g/p2p2nonreg", strings.NewReader("pg_x="+strings.Repeat("a", 21)+"4671593866478252%ZZ"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err := Decode(r, 1<<20)
	if err == nil || strings.Contains(err.Error(), "46715938664782") || !strings.Contains(err.Error(), "467159-XX-XXXX") {
		t.Errorf("got %v, want the error to show the card masked", err)
	}
}

func TestDecodeRefusesAmbiguousText(t *testing.T) {
	for body, want := range map[string]string{
		"pg_b=2&pg_b=3":             "given twice with different values",
		"pg_d=caf%E9":               "is not valid UTF-8",
		"pg_d=a%00b":                "holds a NUL byte",
		"pg_x%5B%5D=1&pg_x%5B%5D=2": "",
	} {
		r := httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, err := Decode(r, 1<<20)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/g2g/x", strings.NewReader("pg_a=1"))
	if _, err := Decode(r, 1<<20); err == nil || !strings.Contains(err.Error(), "Content-Type is missing") {
		t.Errorf("a body without Content-Type: %v", err)
	}
}

// TestShortenKeepsWhatItQuotes: Shorten cuts at a character's start and
// drops nothing before the cut; an invalid byte in the middle once vanished,
// joining "test_" and "secret_key" into a secret the text did not hold.
func TestShortenKeepsWhatItQuotes(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"abвг", 3, "ab…"}, // "в" is 2 bytes: the cut steps back
		{"ab€d", 4, "ab…"}, // "€" is 3 bytes
		{"test_\x80secret_key00000", 15, "test_\x80secret_ke…"},
		{"\x80\x80\x80\x80\x80\x80", 4, "\x80\x80\x80\x80…"},
		{"abc", 0, "…"},
	} {
		if got := Shorten(c.in, c.n); got != c.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// textProblem skips printable ASCII a byte at a time; it must say what
// decoding every character says.
func FuzzTextProblem(f *testing.F) {
	for _, s := range []string{"pg_amount", "a\x00b", "\t\r\n", "é\x7f", "\xff", "\uFFFE", "x\x1by"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := ""
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				want = "is not valid UTF-8: send text in UTF-8"
			case r == 0:
				want = "holds a NUL byte"
			case (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF:
				want = "holds a control character that an XML reply cannot carry"
			}
			if want != "" {
				break
			}
			i += size
		}
		if got := textProblem(s); got != want {
			t.Fatalf("textProblem(%q) = %q, want %q", s, got, want)
		}
	})
}

// encodeRoot sizes a reply for values written as they are; values XML must
// escape grow it, and come out as xml.EscapeText writes them.
func TestEncodeEscapesWhatItMust(t *testing.T) {
	got := string(Encode(fields("pg_a", "1", "pg_b", `<&>"'`+"\t\n", "pg_c", "é")))
	want := Header + "<response><pg_a>1</pg_a><pg_b>&lt;&amp;&gt;&#34;&#39;&#x9;&#xA;</pg_b><pg_c>é</pg_c></response>\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
