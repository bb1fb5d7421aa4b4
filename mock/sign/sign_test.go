package sign

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

func pg(kv ...string) Fields {
	var fs Fields
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, Field{"pg_" + kv[i], kv[i+1]})
	}
	return fs
}

// The spec's vectors A–F, cross-checked against the official PHP SDK.
func TestVectors(t *testing.T) {
	tests := []struct {
		name, script, secret, want string
		fields                     Fields
	}{
		{"A request", "payout_status2", "test_secret_key", "aac04fa34ae2e48c9e44efea48cb4b6b",
			pg("merchant_id", "9970", "order_id", "12345", "payment_id", "7777777777", "salt", "FdsmjkonfzxsDF")},
		{"B response", "payout_status2", "test_secret_key", "0c7d7ad0cede3d37f5da8ae6945ce530",
			pg("merchant_id", "9970", "payment_id", "7777777777", "status", "ok", "payment_status", "success",
				"order_id", "12345", "amount", "13441.5", "net_amount", "13441.5",
				"datetime", "2024-11-28T11:10:03+00:00", "salt", "FdsmjkonfzxsDF")},
		{"C notify", ScriptName("http://merchant/hooks/post"), "asflerjgsdfv", "882528008e01745284c9fe7dd789c2bc",
			pg("payment_id", "12345678", "order_id", "157674271", "card_hash", "123456-XX-XXXX-1234", "status", "ok",
				"balance", "13476085.15", "payment_amount", "5000.00", "to_pay", "5300", "merchant_id", "123456",
				"payment_date", "2018-12-31 15:00:00", "salt", "G66PbiRDxqa44tB8")},
		{"D ack", "post", "asflerjgsdfv", "579736010e22a4cac4de3f787fe0fbdc",
			pg("status", "ok", "description", "Success message", "salt", "d35c2d6142891f3cf1119c115af837b0", "merchant_id", "123456")},
		{"E p2p2nonreg", "p2p2nonreg", "payout_secret", "74fb35ba527f5322bd2e0703a4e6bdad",
			pg("merchant_id", "9970", "order_id", "ORD12345", "amount", "1000", "currency", "KZT", "description", "Payout",
				"payment_to", "4671593866478252", "post_link", "http://127.0.0.1:9000/hooks/post", "salt", "YtfwCGiBHsFLpYGk")},
		{"F nested", ScriptName("/init_payment.php"), "sk", "27c3782b1f4af8b02221f0ca260001ea",
			pg("order_id", "23", "merchant_id", "1", "amount", "25", "description", "test", "salt", "molbulak",
				"receipt_positions[0][count]", "1", "receipt_positions[0][name]", "Item A",
				"receipt_positions[0][tax_type]", "3", "receipt_positions[0][price]", "10",
				"receipt_positions[1][count]", "2", "receipt_positions[1][name]", "Item B",
				"receipt_positions[1][tax_type]", "0", "receipt_positions[1][price]", "7.5")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sign(tt.script, tt.fields, tt.secret); got != tt.want {
				t.Fatalf("Sign = %s, want %s (signing string %q)", got, tt.want, SigningString(tt.script, tt.fields, tt.secret))
			}
			signed := append(tt.fields, Field{FieldSig, tt.want})
			if !Verify(tt.script, signed, tt.secret) {
				t.Fatalf("Verify of a correctly signed message = false")
			}
			if Verify(tt.script, signed, tt.secret+"x") {
				t.Fatalf("Verify with another secret = true")
			}
		})
	}
}

func TestSigningStringVectorAAndF(t *testing.T) {
	a := pg("salt", "FdsmjkonfzxsDF", "payment_id", "7777777777", "merchant_id", "9970", "order_id", "12345", "sig", "whatever")
	if got, want := SigningString("payout_status2", a, "test_secret_key"), "payout_status2;9970;12345;7777777777;FdsmjkonfzxsDF;test_secret_key"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Vector F written as the nested tree a pg_xml body produces.
	nodes := []Node{
		{Name: "pg_amount", Value: "25"}, {Name: "pg_description", Value: "test"},
		{Name: "pg_merchant_id", Value: "1"}, {Name: "pg_order_id", Value: "23"},
		{Name: "pg_receipt_positions", Children: []Node{
			{Name: "0", Children: []Node{{Name: "count", Value: "1"}, {Name: "name", Value: "Item A"}, {Name: "tax_type", Value: "3"}, {Name: "price", Value: "10"}}},
			{Name: "1", Children: []Node{{Name: "count", Value: "2"}, {Name: "name", Value: "Item B"}, {Name: "tax_type", Value: "0"}, {Name: "price", Value: "7.5"}}},
		}},
		{Name: "pg_salt", Value: "molbulak"},
	}
	if got, want := SigningString("init_payment.php", FlattenNodes(nodes), "sk"), "init_payment.php;25;test;1;23;1;Item A;10;3;2;Item B;7.5;0;molbulak;sk"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEmptyAndRepeatedValues(t *testing.T) {
	fs := Fields{{"pg_b", "2"}, {"pg_a", ""}, {"pg_b", "1"}, {"pg_c", "3"}}
	if got, want := SigningString("s", fs, "k"), "s;;2;1;3;k"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendBrackets(t *testing.T) {
	fs := Fields{{"pg_x[]", "a"}, {"pg_x[]", "b"}, {"pg_y", "c"}}
	flat := Flatten(fs)
	want := Fields{{"pg_x0001", "a"}, {"pg_x1002", "b"}, {"pg_y", "c"}}
	if len(flat) != len(want) {
		t.Fatalf("got %v, want %v", flat, want)
	}
	for i := range want {
		if flat[i] != want[i] {
			t.Fatalf("got %v, want %v", flat, want)
		}
	}
}

func TestScriptName(t *testing.T) {
	tests := map[string]string{
		"/g2g/payout_status2":                     "payout_status2",
		"/api/reg2nonreg":                         "reg2nonreg",
		"/init_payment.php":                       "init_payment.php",
		"/g2g/payout_status2?pg_x=1":              "payout_status2",
		"https://shop.kz/hooks/payout-result?x=1": "payout-result",
		"https://shop.kz/hooks/post/":             "post",
		"http://merchant/hooks/post#frag":         "post",
		"https://shop.kz":                         "",
		"payout_status2":                          "payout_status2",
	}
	for in, want := range tests {
		if got := ScriptName(in); got != want {
			t.Errorf("ScriptName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScriptNameAfterLastSlash(t *testing.T) {
	for in, want := range map[string]string{
		"https://shop.kz/hooks/post/":             "",
		"https://shop.kz/":                        "",
		"https://shop.kz/hooks/payout-result?x=1": "payout-result",
		"https://shop.kz/hooks/post/?x=/a":        "",
		"/g2g/payout_status2":                     "payout_status2",
	} {
		if got := ScriptNameAfterLastSlash(in); got != want {
			t.Errorf("ScriptNameAfterLastSlash(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExplainTriesTheURLAsScriptName(t *testing.T) {
	fields := Fields{{"pg_merchant_id", "9970"}, {"pg_salt", "s"}}
	url := "http://localhost:8080/g2g/payout_status2"
	e := ExplainTrying("payout_status2", append(fields, Field{FieldSig, Sign(url, fields, "k")}), "k",
		Tries{Names: []string{"https://api.freedompay.kz/g2g/payout_status2", url}})
	want := `signed with the URL "` + url + `" as the script name; the script name is only its last segment, "payout_status2"`
	if len(e.Hints) != 1 || e.Hints[0] != want {
		t.Errorf("hints %q, want [%q]", e.Hints, want)
	}
}

func TestExplainTriesOtherSecrets(t *testing.T) {
	fields := Fields{{"pg_merchant_id", "9971"}, {"pg_salt", "s"}}
	tries := Tries{Secrets: []Secret{{Key: "a", Hint: "signed with a"}, {Key: "b", Hint: "signed with b"}}}
	e := ExplainTrying("payout_status2", append(fields, Field{FieldSig, Sign("payout_status2", fields, "b")}), "k", tries)
	if len(e.Hints) != 1 || e.Hints[0] != "signed with b" {
		t.Errorf("hints %q, want [\"signed with b\"]", e.Hints)
	}
	e = ExplainTrying("payout_status2", append(fields, Field{FieldSig, Sign("payout_status2", fields, "c")}), "k", tries)
	if len(e.Hints) != 1 || e.Hints[0] != HintNoMistakeFound {
		t.Errorf("hints %q, want only the hint that nothing reproduces it", e.Hints)
	}
}

func TestExplain(t *testing.T) {
	secret := "test_secret_key"
	base := pg("merchant_id", "9970", "order_id", "12345", "payment_id", "7777777777", "salt", "FdsmjkonfzxsDF", "note", "")

	ok := append(base, Field{FieldSig, Sign("payout_status2", base, secret)})
	if e := Explain("payout_status2", ok, secret); !e.OK || len(e.Hints) != 0 {
		t.Fatalf("Explain of a good message: OK=%v hints=%v, want OK and no hints", e.OK, e.Hints)
	}

	tests := []struct {
		name, sig, hint string
	}{
		{"full path", Sign("/g2g/payout_status2", base, secret), `script name "/g2g/payout_status2"`},
		{"upper case", strings.ToUpper(Sign("payout_status2", base, secret)), "lower-case"},
		{"empties dropped", Sign("payout_status2", base.Without("pg_note"), secret), "empty fields were left out"},
		{"sent order", md5hex("payout_status2;9970;12345;7777777777;FdsmjkonfzxsDF;;" + secret), "order sent"},
		{"no script", md5hex("9970;;12345;7777777777;FdsmjkonfzxsDF;" + secret), "script name is missing"},
		{"wrong secret", Sign("payout_status2", base, "other"), "made with another secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Explain("payout_status2", append(base, Field{FieldSig, tt.sig}), secret)
			if e.OK {
				t.Fatalf("OK = true for a wrong signature")
			}
			if !strings.Contains(strings.Join(e.Hints, "|"), tt.hint) {
				t.Errorf("hints %q, want one containing %q", e.Hints, tt.hint)
			}
			if strings.Contains(e.String(), secret) {
				t.Errorf("explanation leaks the secret: %s", e)
			}
			if !strings.HasSuffix(e.SigningString, ";"+redact.Secret(secret)) {
				t.Errorf("signing string %q does not end with the masked secret", e.SigningString)
			}
		})
	}
}

func FuzzFlatten(f *testing.F) {
	f.Add("pg_a[0][b]", "x", "pg_a[]", "y")
	f.Add("pg_a[", "x", "[b]", "y")
	f.Add("a]]", "", "a[][][]", "z")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		fs := Fields{{n1, v1}, {n2, v2}}
		flat := Flatten(fs)
		if len(flat) != 2 {
			t.Fatalf("Flatten(%v) = %v: %d leaves, want 2", fs, flat, len(flat))
		}
		// Signing never fails and never drops a value.
		s := SigningString("x", fs, "k")
		if !strings.Contains(s, v1) || !strings.Contains(s, v2) {
			t.Fatalf("signing string %q lost a value", s)
		}
		// Sign hashes what SigningString shows, pg_sig left out.
		with := append(Fields{{FieldSig, v1}}, fs...)
		if got, want := Sign("x", with, "k"), md5hex(s); got != want {
			t.Fatalf("Sign = %s, md5 of the signing string %q = %s", got, s, want)
		}
	})
}

func FuzzScriptName(f *testing.F) {
	f.Add("https://shop.kz/hooks/post/?a=b")
	f.Fuzz(func(t *testing.T, u string) {
		s := ScriptName(u)
		if strings.ContainsAny(s, "/?#") {
			t.Fatalf("ScriptName(%q) = %q contains a separator", u, s)
		}
	})
}

func TestExplainNamesAFieldAddedAfterSigning(t *testing.T) {
	signed := Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "1"}, {Name: "pg_salt", Value: "s"}}
	sig := Sign("payout_status2", signed, "k")
	sent := append(append(Fields(nil), signed...), Field{Name: "pg_user_id", Value: "7"}, Field{Name: FieldSig, Value: sig})
	e := Explain("payout_status2", sent, "k")
	if e.OK || len(e.Hints) != 1 || !strings.Contains(e.Hints[0], "field pg_user_id is not in the signature") {
		t.Errorf("hints %q: want the added field named", e.Hints)
	}
	upper := append(append(Fields(nil), signed...), Field{Name: FieldSig, Value: strings.ToUpper(sig)})
	if e := Explain("payout_status2", upper, "k"); len(e.Hints) != 1 || e.Hints[0] != "pg_sig must be lower-case hex" {
		t.Errorf("upper-case pg_sig: hints %q, want only the lower-case one", e.Hints)
	}
}

// FuzzExplain: any fields, script and secret give an explanation that
// agrees with Verify and never shows the secret.
func FuzzExplain(f *testing.F) {
	f.Add("payout_status2", "pg_merchant_id", "9970", "pg_sig", "aac04fa34ae2e48c9e44efea48cb4b6b", "test_secret_key")
	f.Add("payout_status2", "pg_salt", "x-test_secret_key-x", "pg_sig", "0", "test_secret_key") // a client that sends its secret
	f.Add("", "", "", "pg_sig", "", "k")
	f.Fuzz(func(t *testing.T, script, name, value, sigName, sig, secret string) {
		fields := Fields{{Name: name, Value: value}, {Name: sigName, Value: sig}}
		e := Explain(script, fields, secret)
		if e.OK != Verify(script, fields, secret) {
			t.Fatalf("Explain says ok=%v, Verify disagrees", e.OK)
		}
		if len(secret) >= redact.MinMasked && !strings.Contains(redact.Secret(secret), secret) &&
			strings.IndexFunc(secret, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) < 0 &&
			strings.Contains(e.SigningString, secret) {
			t.Fatalf("the signing string %q shows the secret %q", e.SigningString, secret)
		}
		if !strings.HasSuffix(e.SigningString, ";"+redact.Secret(secret)) {
			t.Fatalf("the signing string %q does not end in the masked secret", e.SigningString)
		}
	})
}

func TestExplanationMasksOnceAndSparesShortSecrets(t *testing.T) {
	for _, c := range []struct {
		secret string
		fields Fields
		want   string
	}{
		{"2", Fields{{"pg_order_id", "bank-2"}, {"pg_salt", "2"}}, "payout_status2;bank-2;<secret:1 chars>;<secret:1 chars>"},
		{"secret", Fields{{"pg_order_id", "x-secret"}}, "payout_status2;x-<secret:6 chars>;<secret:6 chars>"},
		{"k3y;9pQaZ", Fields{{"pg_a", "k3y"}, {"pg_b", "9pQaZ"}}, "payout_status2;<secret:9 chars>;<secret:9 chars>"},
	} {
		if got := Explain("payout_status2", append(c.fields, Field{FieldSig, "0"}), c.secret).SigningString; got != c.want {
			t.Errorf("secret %q: signing string %q, want %q", c.secret, got, c.want)
		}
	}
}

// FuzzNesting: Nesting agrees with the path Tree reads from a name, and
// FlatNameBytes with the names FlattenNodes builds.
func FuzzNesting(f *testing.F) {
	f.Add("pg_a[0][b]", "pg_a[]")
	f.Add("pg_a[", "a[b]c[d]")
	f.Add("[b]", "a[][][]")
	f.Fuzz(func(t *testing.T, n1, n2 string) {
		for _, name := range []string{n1, n2} {
			want := 0
			if path, ok := bracketPath(name); ok {
				want = len(path) - 1
			}
			if got := Nesting(name); got != want {
				t.Fatalf("Nesting(%q) = %d, want %d", name, got, want)
			}
		}
		nodes := Tree(Fields{{n1, "x"}, {n2, "y"}})
		total := 0
		for _, f := range FlattenNodes(nodes) {
			total += len(f.Name)
		}
		if got := FlatNameBytes(nodes); got != total {
			t.Fatalf("FlatNameBytes = %d, the flattened names add up to %d", got, total)
		}
	})
}

// TestExplainFlattensOnce: explaining a wrong signature on a message of
// many nested fields costs a few flattenings of it, not one per hypothesis.
func TestExplainFlattensOnce(t *testing.T) {
	var fs Fields
	for i := range 500 {
		fs = append(fs, Field{"pg_receipt_positions[" + strconv.Itoa(i) + "][name]", strings.Repeat("x", 100)})
	}
	fs = append(fs, Field{"pg_salt", "s"}, Field{FieldSig, "0"})
	flatten := testing.AllocsPerRun(3, func() { Sign("payout_status2", fs, "k") })
	explain := testing.AllocsPerRun(3, func() { Explain("payout_status2", fs, "k") })
	if explain > 4*flatten {
		t.Errorf("Explain makes %.0f allocations, Sign %.0f: want at most 4 times as many", explain, flatten)
	}
}

// TestExplainNamesAGroupAddedAfterSigning: a group of bracketed fields
// added after signing is named as a whole.
func TestExplainNamesAGroupAddedAfterSigning(t *testing.T) {
	signed := Fields{{"pg_merchant_id", "9970"}, {"pg_salt", "s"}}
	sig := Sign("payment", signed, "k")
	sent := append(append(Fields(nil), signed...), Field{"pg_x[0][a]", "1"}, Field{"pg_x[0][b]", "2"}, Field{FieldSig, sig})
	e := Explain("payment", sent, "k")
	if len(e.Hints) != 1 || !strings.Contains(e.Hints[0], "fields pg_x[…] are not in the signature") {
		t.Errorf("hints %q: want the group pg_x named", e.Hints)
	}
}

// TestRedacted: fields are masked by redact's field rule into a copy; with
// nothing to mask they are returned as they are, and never changed.
func TestRedacted(t *testing.T) {
	fs := Fields{{"pg_order_id", "4111111111111111"}, {"pg_payment_to", "4405645000006150"}, {"pg_salt", "k"}, {"pg_description", "x-test_secret_key"}}
	got := fs.Redacted(redact.New("test_secret_key", "k"))
	want := Fields{{"pg_order_id", "4111111111111111"}, {"pg_payment_to", "440564-XX-XXXX-6150"}, {"pg_salt", "<secret:1 chars>"}, {"pg_description", "x-<secret:15 chars>"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if fs[1].Value != "4405645000006150" || fs[2].Value != "k" {
		t.Errorf("Redacted changed its fields: %v", fs)
	}
	clean := Fields{{"pg_order_id", "1"}, {"pg_salt", "s"}}
	if got := clean.Redacted(nil); &got[0] != &clean[0] {
		t.Error("fields with nothing to mask were copied")
	}
}

// signed sorts a message's few fields itself, and must give the order the
// stable sort by name gives: ties (a repeated name) keep their order.
func FuzzSignedOrder(f *testing.F) {
	f.Add("pg_b,pg_a,pg_b,pg_sig,pg_a[x],pg_", "1,2,3,4,5,6")
	f.Add(strings.Repeat("b,a,", 10), "")
	f.Fuzz(func(t *testing.T, names, values string) {
		vs := strings.Split(values, ",")
		var fs Fields
		for i, n := range strings.Split(names, ",") {
			fs = append(fs, Field{n, vs[i%len(vs)] + strconv.Itoa(i)})
		}
		want := Flatten(fs.Without(FieldSig))
		slices.SortStableFunc(want, byName)
		if got := signed(fs, nil); !slices.Equal(got, want) {
			t.Fatalf("signed(%v) = %v\nwant %v", fs, got, want)
		}
	})
}

// Verify checks a request's pg_sig without allocating: it runs on every
// gateway request.
func TestVerifyAllocatesNothing(t *testing.T) {
	fs := pg("merchant_id", "9970", "order_id", "12345", "payment_id", "7777777777", "salt", "FdsmjkonfzxsDF", "sig", "aac04fa34ae2e48c9e44efea48cb4b6b")
	if !Verify("payout_status2", fs, "test_secret_key") {
		t.Fatal("vector A does not verify")
	}
	if n := testing.AllocsPerRun(10, func() { Verify("payout_status2", fs, "test_secret_key") }); n != 0 {
		t.Errorf("Verify makes %.0f allocations, want 0", n)
	}
}
