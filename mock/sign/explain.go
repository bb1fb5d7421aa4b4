package sign

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// Explanation tells why a message's pg_sig does or does not match.
type Explanation struct {
	Script string `json:"script"` // script name the signature was checked against
	// SigningString is the string whose MD5 is the expected pg_sig, with the
	// secret masked by [redact.Secret].
	SigningString string   `json:"signing_string"`
	Expected      string   `json:"expected"`                // pg_sig the secret gives
	Got           string   `json:"got"`                     // pg_sig the message carries ("" when absent)
	OK            bool     `json:"ok"`                      // Got == Expected
	Hints         []string `json:"likely_causes,omitempty"` // likely causes of a mismatch, most likely first
}

// String renders the explanation on one line, fit for a log.
func (e Explanation) String() string {
	var b strings.Builder
	if e.OK {
		b.WriteString("signature ok")
	} else {
		b.WriteString("signature mismatch: got pg_sig=" + quoteOrAbsent(e.Got) + ", want " + e.Expected)
	}
	b.WriteString("; signing string " + e.SigningString)
	for _, h := range e.Hints {
		b.WriteString("; hint: " + h)
	}
	return b.String()
}

func quoteOrAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// maskedSigningString is the signing string with the secret masked where
// it ends and elsewhere by redact's rule: a secret of redact.MinMasked
// characters or more wherever it is (in a field that holds it, a salt set
// to the secret say, across a ';', in the script name), a shorter one in a
// value equal to it. One pass: a mask is never masked again.
func maskedSigningString(script string, values []string, secret string) string {
	parts := make([]string, 0, len(values)+1)
	parts = append(append(parts, script), values...)
	return redact.New(secret).Join(parts, ";") + ";" + redact.Secret(secret)
}

// view is a message flattened once, for every hypothesis Explain tries:
// its leaves in the order sent, the order signed, and the top-level field
// (group) each one comes from.
type view struct {
	sent   Fields
	roots  []string // roots[i] names the top-level field sent[i] comes from
	groups []bool   // groups[i]: that field is a group of bracketed names
	sorted []int    // indexes into sent, in signing order
}

func newView(fields Fields) view {
	var v view
	if !hasBrackets(fields) {
		v.sent = fields
		v.roots = make([]string, len(fields))
		v.groups = make([]bool, len(fields))
		for i, f := range fields {
			v.roots[i] = f.Name
		}
	} else {
		for _, n := range Tree(fields) {
			from := len(v.sent)
			v.sent = append(v.sent, FlattenNodes([]Node{n})...)
			for range v.sent[from:] {
				v.roots = append(v.roots, n.Name)
				v.groups = append(v.groups, len(n.Children) > 0)
			}
		}
	}
	v.sorted = make([]int, len(v.sent))
	for i := range v.sorted {
		v.sorted[i] = i
	}
	slices.SortStableFunc(v.sorted, func(a, b int) int { return strings.Compare(v.sent[a].Name, v.sent[b].Name) })
	return v
}

// values are the leaves' values in signing order.
func (v view) values() []string {
	out := make([]string, len(v.sorted))
	for i, j := range v.sorted {
		out[i] = v.sent[j].Value
	}
	return out
}

// hasher computes the signature of a variant of a message in one reused
// buffer, so that trying dozens of variants of a large message costs the
// hashing, not dozens of copies of it.
type hasher struct{ buf []byte }

// sum is the lowercase hex MD5 of parts joined by ";": the script name
// (unless noScript), the values of v's leaves taken in order (sorted or
// sent) and kept by keep, and the secret (unless noSecret).
func (h *hasher) sum(script string, v view, sorted bool, keep func(i int) bool, secret string, noScript, noSecret bool) string {
	b := h.buf[:0]
	first := true
	add := func(s string) {
		if !first {
			b = append(b, ';')
		}
		b, first = append(b, s...), false
	}
	if !noScript {
		add(script)
	}
	for k := range v.sent {
		i := k
		if sorted {
			i = v.sorted[k]
		}
		if keep == nil || keep(i) {
			add(v.sent[i].Value)
		}
	}
	if !noSecret {
		add(secret)
	}
	h.buf = b
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Explain checks a message's pg_sig against script and secret and, when it
// does not match, tries the mistakes integrations commonly make (values in
// sent order, empty fields dropped, a wrong script name, upper-case hex, no
// script name) and names any that reproduce the signature received. The
// secret never appears in the result. The message is flattened once,
// whatever it holds, and every variant is hashed in one buffer.
func Explain(script string, fields Fields, secret string) Explanation {
	return ExplainTrying(script, fields, secret, Tries{})
}

// Tries are more mistakes for [ExplainTrying] to try, beyond the common
// ones: script names a client may have signed with (such as the whole URL
// it sent the message to), and other secrets it may have signed with, each
// with the hint that names it.
type Tries struct {
	Names   []string
	Secrets []Secret
}

// Secret is a secret a client may have signed with by mistake, and the
// hint that says so ("signed with the merchant's payment secret_key").
type Secret struct{ Key, Hint string }

// MaxTries bounds the script names and the secrets ExplainTrying tries
// from its Tries: each costs a hash of the whole message.
const MaxTries = 20

// ExplainTrying is [Explain] that also tries t's script names and secrets
// (the first MaxTries of each). A secret that reproduces the signature is
// named first.
func ExplainTrying(script string, fields Fields, secret string, t Tries) Explanation {
	got := fields.Value(FieldSig)
	v := newView(fields.Without(FieldSig))
	var h hasher
	e := Explanation{
		Script:        script,
		SigningString: maskedSigningString(script, v.values(), secret),
		Expected:      h.sum(script, v, true, nil, secret, false, false),
		Got:           got,
	}
	e.OK = got == e.Expected
	if e.OK {
		return e
	}
	if got == "" {
		e.Hints = append(e.Hints, "the message has no pg_sig field")
		return e
	}
	if strings.EqualFold(got, e.Expected) {
		e.Hints = append(e.Hints, "pg_sig must be lower-case hex")
		return e
	}
	want := strings.ToLower(got)
	try := func(hint, sum string) {
		if sum != e.Expected && sum == want && !slices.Contains(e.Hints, hint) {
			e.Hints = append(e.Hints, hint)
		}
	}
	try("values were joined in the order sent; sort fields by name first", h.sum(script, v, false, nil, secret, false, false))
	try("empty fields were left out; keep them (they give \";;\")", h.sum(script, v, true, func(i int) bool { return v.sent[i].Value != "" }, secret, false, false))
	try("the script name is missing from the start of the signing string", h.sum(script, v, true, nil, secret, true, false))
	try("the secret is missing from the end of the signing string", h.sum(script, v, true, nil, secret, false, true))
	tried := map[string]bool{}
	for i := 0; i < len(v.sent) && len(tried) < maxDropTries; i++ {
		root := v.roots[i]
		if tried[root] {
			continue
		}
		tried[root] = true
		what := "field " + root + " is not in the signature: it was"
		if v.groups[i] {
			what = "fields " + root + "[…] are not in the signature: they were"
		}
		try(what+" added after signing; sign every field sent",
			h.sum(script, v, true, func(j int) bool { return v.roots[j] != root }, secret, false, false))
	}
	for _, s := range []string{"", "/" + script, "/g2g/" + script, "/api/" + script, script + ".php"} {
		if s != script {
			try("signed with script name "+quote(s)+"; the script name is "+quote(script), h.sum(s, v, true, nil, secret, false, false))
		}
	}
	for i, s := range t.Names {
		if i == MaxTries {
			break
		}
		if s != script && s != "" {
			try("signed with the URL "+quote(s)+" as the script name; the script name is only its last segment, "+quote(script), h.sum(s, v, true, nil, secret, false, false))
		}
	}
	for i, o := range t.Secrets {
		if i == MaxTries {
			break
		}
		if o.Key != "" && o.Key != secret && h.sum(script, v, true, nil, o.Key, false, false) == want {
			e.Hints = append([]string{o.Hint}, e.Hints...)
			break
		}
	}
	if len(e.Hints) == 0 {
		e.Hints = append(e.Hints, HintNoMistakeFound)
	}
	return e
}

// HintNoMistakeFound is the hint of a mismatch that none of the mistakes
// Explain tries reproduces: the secret differs, or a value changed after
// signing.
const HintNoMistakeFound = "no common mistake reproduces this pg_sig: most likely it was made with another secret (payout routes take payout_secret_key), or a value changed after signing; compare the signing string with your own, field by field"

// maxDropTries bounds the top-level fields Explain tries leaving out one at
// a time.
const maxDropTries = 64

func quote(s string) string { return "\"" + s + "\"" }
