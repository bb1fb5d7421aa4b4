package wire

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// vectorG is payments.md §8 vector G as a JSON client sends it: ids,
// amount and testing mode as numbers, "/" escaped as PHP's json_encode
// escapes it.
const vectorG = `{
  "pg_merchant_id": 9970,
  "pg_order_id": "ORD-1001",
  "pg_amount": 1500.00,
  "pg_currency": "KZT",
  "pg_description": "Order 1001",
  "pg_result_url": "http:\/\/shop\/hooks\/result",
  "pg_success_url": "http://shop/ok",
  "pg_failure_url": "http://shop/fail",
  "pg_request_method": "POST",
  "pg_testing_mode": 1,
  "pg_salt": "Xz3kP9qLmN2vB7tY",
  "cart_id": "c-77",
  "pg_sig": "a7094bf0f6b105d38127dbb3fd1dc465"
}`

func decodeJSONRequest(t *testing.T, ct, body string) (Request, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/init_payment.php", strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	return Decode(r, 1<<20)
}

// TestDecodeJSONVectorG: a signed init_payment request sent as JSON
// verifies, numbers read as the text that was signed ("1500.00").
func TestDecodeJSONVectorG(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"} {
		req, err := decodeJSONRequest(t, ct, vectorG)
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		if req.Encoding != EncJSON {
			t.Errorf("%s: encoding %q, want %q", ct, req.Encoding, EncJSON)
		}
		if got := req.Fields.Value("pg_amount"); got != "1500.00" {
			t.Errorf("%s: pg_amount %q, want 1500.00 as written", ct, got)
		}
		if got, want := sign.SigningString("init_payment.php", req.Fields, "pay_secret_key"),
			"init_payment.php;c-77;1500.00;KZT;Order 1001;http://shop/fail;9970;ORD-1001;POST;http://shop/hooks/result;Xz3kP9qLmN2vB7tY;http://shop/ok;1;pay_secret_key"; got != want {
			t.Errorf("%s: signing string\ngot  %s\nwant %s", ct, got, want)
		}
		if !sign.Verify("init_payment.php", req.Fields, "pay_secret_key") {
			t.Errorf("%s: vector G's pg_sig does not verify", ct)
		}
		if req.Fields[0].Name != "pg_merchant_id" || req.Fields[len(req.Fields)-1].Name != "pg_sig" {
			t.Errorf("%s: fields %v, want them in document order", ct, req.Fields)
		}
	}
}

// TestDecodeJSONNestedSignsAsForm: receipt positions as a JSON array of
// objects sign as freedompay.md's vector F, as the same positions sent
// with bracketed form names and as nested pg_xml tags do.
func TestDecodeJSONNestedSignsAsForm(t *testing.T) {
	fs, err := DecodeJSON([]byte(`{"pg_amount":25,"pg_description":"test","pg_merchant_id":1,"pg_order_id":"23",
		"pg_receipt_positions":[{"count":1,"name":"Item A","tax_type":3,"price":10},{"count":2,"name":"Item B","tax_type":0,"price":7.5}],
		"pg_salt":"molbulak"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "init_payment.php;25;test;1;23;1;Item A;10;3;2;Item B;7.5;0;molbulak;sk"
	if got := sign.SigningString("init_payment.php", fs, "sk"); got != want {
		t.Errorf("JSON: got %q, want %q", got, want)
	}
	form, err := ParseQuery("pg_amount=25&pg_description=test&pg_merchant_id=1&pg_order_id=23" +
		"&pg_receipt_positions[0][count]=1&pg_receipt_positions[0][name]=Item+A&pg_receipt_positions[0][tax_type]=3&pg_receipt_positions[0][price]=10" +
		"&pg_receipt_positions[1][count]=2&pg_receipt_positions[1][name]=Item+B&pg_receipt_positions[1][tax_type]=0&pg_receipt_positions[1][price]=7.5&pg_salt=molbulak")
	if err != nil {
		t.Fatal(err)
	}
	if got := sign.SigningString("init_payment.php", form, "sk"); got != want {
		t.Errorf("form: got %q, want %q", got, want)
	}
	if !slices.Equal(sign.Flatten(form), fs) {
		t.Errorf("JSON flattens to %v, the form to %v: want the same fields", fs, sign.Flatten(form))
	}
}

// TestDecodeJSONValues: what each kind of JSON value becomes.
func TestDecodeJSONValues(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       sign.Fields
	}{
		{"strings and escapes", `{"a":"x","b":"","c":"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 é"}`,
			fields("a", "x", "b", "", "c", "\"\\/\b\f\n\r\té€😀 é")},
		{"numbers as written", `{"a":1500.00,"b":-0,"c":1e3,"d":2.50E-2,"e":12345678901234567890123,"f":0}`,
			fields("a", "1500.00", "b", "-0", "c", "1e3", "d", "2.50E-2", "e", "12345678901234567890123", "f", "0")},
		{"document order, white space", " \t\r\n{ \"z\" : \"1\" ,\n\"a\":\"2\" } \n", fields("z", "1", "a", "2")},
		{"empty object", `{}`, nil},
		{"nested object", `{"g":{"b":"1","a":"2"}}`, fields("gb001", "1", "ga002", "2")},
		{"array", `{"l":["x",5]}`, fields("l0001", "x", "l1002", "5")},
		{"names kept as json_decode keeps them", `{"pg.order_id":" 1","":"e"," pg_x":"2"}`, fields("pg.order_id", " 1", "", "e", " pg_x", "2")},
		{"the same name in two objects", `{"a":{"n":"1"},"b":{"n":"1"}}`, fields("an001", "1", "bn001", "1")},
		{"NUL escaped (refused later, by Decode)", `{"a":"\u0000"}`, fields("a", "\x00")},
	} {
		got, err := DecodeJSON([]byte(c.body))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestDecodeJSONRefuses: each rule's 9403, naming the field where there is
// one.
func TestDecodeJSONRefuses(t *testing.T) {
	deep := func(n int) string {
		return `{"pg_x":` + strings.Repeat("[", n-1) + `"1"` + strings.Repeat("]", n-1) + "}"
	}
	members := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"f%d":1,`, i)
		}
		return strings.TrimSuffix(b.String(), ",") + "}"
	}
	longNames := `{"` + strings.Repeat("n", 40<<10) + `":[` + strings.Repeat(`"1",`, 30) + `"1"]}`
	for _, c := range []struct{ name, body, want string }{
		{"true", `{"pg_merchant_id":"1","pg_testing_mode":true}`, `Field pg_testing_mode is invalid: true has no text of its own`},
		{"false", `{"pg_testing_mode":false}`, `Field pg_testing_mode is invalid: false has no text of its own`},
		{"null", `{"pg_user_phone":null}`, `Field pg_user_phone is invalid: null has no text of its own`},
		{"nested true", `{"pg_receipt_positions":[{"name":"A","mark":true}]}`, `Field pg_receipt_positions[0][mark] is invalid: true`},
		{"empty array", `{"pg_receipt_positions":[]}`, `Field pg_receipt_positions is invalid: an empty array holds nothing to sign`},
		{"empty object", `{"pg_x":{"a":{}}}`, `Field pg_x[a] is invalid: an empty object holds nothing to sign`},
		{"duplicate", `{"pg_amount":"1","pg_amount":"1"}`, `Field pg_amount is given twice in one JSON object`},
		{"duplicate nested", `{"g":[{"a":"1","a":"2"}]}`, `Field g[0][a] is given twice in one JSON object`},
		{"duplicate past 16 members", members(40)[:len(members(40))-1] + `,"f3":1}`, `Field f3 is given twice`},
		{"brackets in a name", `{"pg_receipt_positions[0][name]":"A"}`, `Field pg_receipt_positions[0][name] has "[" in its name`},
		{"brackets in a nested name", `{"g":{"a[":"1"}}`, `Field g[a[] has "[" in its name`},
		{"32 levels read", deep(31), ""},
		{"33 levels", deep(32), "Field pg_x[0][0][0][0][0][0][0][0][0][0][0][0]… is nested deeper than 32 levels"},
		{"1 MiB of nested arrays", `{"pg_x":` + strings.Repeat("[", 1<<20), "is nested deeper than 32 levels"},
		{"1 000 fields read", members(MaxFields), ""},
		{"1 001 fields", members(MaxFields + 1), "The JSON body holds more than 1000 fields"},
		{"100 000 members", members(100_000), "The JSON body holds more than 1000 fields"},
		{"flattened names over 1 MiB", longNames, "The JSON body's nested member names add up to 1269905 bytes once flattened: at most 1048576"},
		{"array", `["pg_amount","1"]`, "Malformed JSON body: the body is an array, not an object"},
		{"string", ` "pg_amount=1"`, "Malformed JSON body: the body is a string, not an object"},
		{"number", `12`, "Malformed JSON body: the body is a number, not an object"},
		{"null body", `null`, "Malformed JSON body: the body is null, not an object"},
		{"form sent as JSON", `pg_amount=1`, `Malformed JSON body: 'p' at byte 0 where a JSON object was expected`},
		{"empty", "", "Malformed JSON body: the body is empty"},
		{"white space", " \n", "Malformed JSON body: the body is empty"},
		{"BOM", "\uFEFF{}", "Malformed JSON body: the body starts with a byte order mark"},
		{"trailing object", `{"a":"1"}{"b":"2"}`, "Malformed JSON body: text after the object at byte 9"},
		{"trailing garbage", "{\"a\":\"1\"}\n,", "Malformed JSON body: text after the object at byte 10"},
		{"not closed", `{"a":"1"`, `Malformed JSON body: the body ends where "," or "}" after a member was expected`},
		{"string not closed", `{"a":"1`, `Malformed JSON body: the body ends where the string's closing " was expected`},
		{"trailing comma", `{"a":"1",}`, `Malformed JSON body: '}' at byte 9 where a member name in quotes was expected`},
		{"trailing comma in an array", `{"a":["1",]}`, `Malformed JSON body: ']' at byte 10 where a value was expected`},
		{"unquoted name", `{a:"1"}`, `'a' at byte 1 where a member name in quotes was expected`},
		{"single quotes", `{'a':'1'}`, `'\'' at byte 1 where a member name in quotes was expected`},
		{"no colon", `{"a" "1"}`, `'"' at byte 5 where ":" after a member name was expected`},
		{"leading zero", `{"a":01}`, `'1' at byte 6 where "," or "}" after a member was expected`},
		{"bare dot", `{"a":1.}`, `'}' at byte 7 where a digit after "." was expected`},
		{"leading dot", `{"a":.5}`, `'.' at byte 5 where a value was expected`},
		{"plus", `{"a":+1}`, `'+' at byte 5 where a value was expected`},
		{"minus alone", `{"a":-}`, `'}' at byte 6 where a digit was expected`},
		{"empty exponent", `{"a":1e}`, `'}' at byte 7 where a digit in the exponent was expected`},
		{"NaN", `{"a":NaN}`, `'N' at byte 5 where a value was expected`},
		{"misspelt true", `{"a":tru}`, `'t' at byte 5 where a value was expected`},
		{"raw newline in a string", "{\"a\":\"x\ny\"}", "a control character in a string at byte 7"},
		{"unknown escape", `{"a":"\x41"}`, `an escape at byte 6 is not one of`},
		{"short \\u", `{"a":"\u12"}`, `an escape at byte 6 is not one of`},
		{"invalid UTF-8 in a value", "{\"pg_description\":\"caf\xe9\"}", "Field pg_description is not valid UTF-8: send text in UTF-8"},
		{"invalid UTF-8 in a name", "{\"pg_caf\xe9\":\"1\"}", `Malformed JSON body: the member name "pg_caf" at byte 8 is not valid UTF-8`},
		{"invalid UTF-8 in a nested name", "{\"g\":{\"\xff\":\"1\"}}", `the member name "" in g at byte 7 is not valid UTF-8`},
		{"lone high surrogate", `{"pg_description":"\ud83d"}`, `Field pg_description holds \ud83d, half of a UTF-16 surrogate pair without the other`},
		{"high surrogate and a letter", `{"d":"\ud83dx"}`, `Field d holds \ud83d, half of a UTF-16 surrogate pair`},
		{"two high surrogates", `{"d":"\ud83d\ud83d"}`, `Field d holds \ud83d, half of a UTF-16 surrogate pair`},
		{"lone low surrogate", `{"d":"\ude00"}`, `Field d holds \ude00, half of a UTF-16 surrogate pair`},
		{"lone surrogate in a name", `{"a\udc00":"1"}`, `the member name "a" at byte 3 holds \udc00`},
	} {
		_, err := DecodeJSON([]byte(c.body))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want read", c.name, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != CodeValidation || !strings.Contains(e.Description, c.want) {
			t.Errorf("%s: got %v, want a 9403 saying %q", c.name, err, c.want)
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: a message of %d bytes, want it short", c.name, len(err.Error()))
		}
	}
}

// TestDecodeJSONRequest: JSON through Decode, with what it shares with the
// other encodings.
func TestDecodeJSONRequest(t *testing.T) {
	for _, c := range []struct{ name, ct, body, want string }{
		{"a charset other than UTF-8", "application/json; charset=windows-1251", `{"a":"1"}`, "charset=windows-1251 is not accepted: JSON is UTF-8"},
		{"a NUL escaped", "application/json", `{"pg_a":"x\u0000"}`, `Field "pg_a" holds a NUL byte`},
		{"a name flattened twice, different values", "application/json", `{"g0001":"x","g":["y"]}`, "Field g0001 is given twice with different values"},
		{"a pg_ field in the query too", "application/json", `{"pg_a":"1"}`, "Field pg_b is in the query string"},
		{"another type", "text/plain", `{"pg_a":"1"}`, "send application/x-www-form-urlencoded, multipart/form-data, application/json, application/xml or a pg_xml field"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/init_payment.php?pg_b=1", strings.NewReader(c.body))
		if c.name != "a pg_ field in the query too" {
			r.URL.RawQuery = ""
		}
		r.Header.Set("Content-Type", c.ct)
		if _, err := Decode(r, 1<<20); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a 9403 saying %q", c.name, err, c.want)
		}
	}
	// A pg_xml member is the whole message, as in a form.
	req, err := decodeJSONRequest(t, "application/json", `{"pg_xml":"<request><pg_a>1</pg_a></request>","pg_b":"2"}`)
	if err != nil || req.Encoding != EncXMLField || !slices.Equal(req.Fields, fields("pg_a", "1")) {
		t.Errorf("pg_xml in JSON: got %v %q %v, want pg_a=1 read as pg_xml", req.Fields, req.Encoding, err)
	}
	// An empty body falls back to the query string, whatever its type.
	r := httptest.NewRequest(http.MethodPost, "/init_payment.php?pg_a=1", strings.NewReader(" "))
	r.Header.Set("Content-Type", "application/json")
	if req, err := Decode(r, 1<<20); err != nil || req.Encoding != EncQuery || req.Fields.Value("pg_a") != "1" {
		t.Errorf("an empty JSON POST: got %v %q %v, want its query read", req.Fields, req.Encoding, err)
	}
}
