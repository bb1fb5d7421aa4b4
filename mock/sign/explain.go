package sign

import (
	"slices"
	"strings"
)

// Explanation tells why a message's pg_sig does or does not match.
type Explanation struct {
	Script string `json:"script"` // script name the signature was checked against
	// SigningString is the string whose MD5 is the expected pg_sig, with the
	// secret masked by [MaskSecret].
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
// it ends and, for a secret of MinMasked characters or more, wherever else
// it is: in a field that holds it (a salt set to the secret, say), across
// a ';', in the script name. One pass: a mask is never masked again.
func maskedSigningString(script string, fields Fields, secret string) string {
	mask := MaskSecret(secret)
	if len(secret) < MinMasked {
		return SigningString(script, MaskSecrets(fields, secret), mask) // a value equal to it
	}
	head := strings.TrimSuffix(SigningString(script, fields, ""), ";")
	return strings.ReplaceAll(head, secret, mask) + ";" + mask
}

// Explain checks a message's pg_sig against script and secret and, when it
// does not match, tries the mistakes integrations commonly make (values in
// sent order, empty fields dropped, a wrong script name, upper-case hex, no
// script name) and names any that reproduce the signature received. The
// secret never appears in the result.
func Explain(script string, fields Fields, secret string) Explanation {
	got := fields.Value(FieldSig)
	e := Explanation{
		Script:        script,
		SigningString: maskedSigningString(script, fields, secret),
		Expected:      Sign(script, fields, secret),
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
	correct := SigningString(script, fields, secret)
	for _, alt := range alternatives(script, fields, secret) {
		if alt.signing != correct && md5hex(alt.signing) == strings.ToLower(got) && !slices.Contains(e.Hints, alt.hint) {
			e.Hints = append(e.Hints, alt.hint)
		}
	}
	if len(e.Hints) == 0 {
		e.Hints = append(e.Hints, "check the secret (payout secret for payout routes) and that every field sent is signed")
	}
	return e
}

type alternative struct {
	hint    string
	signing string
}

// maxDropTries bounds the fields Explain tries leaving out one at a time.
const maxDropTries = 64

func alternatives(script string, fields Fields, secret string) []alternative {
	rest := fields.Without(FieldSig)
	inOrder := []string{script}
	for _, f := range Flatten(rest) {
		inOrder = append(inOrder, f.Value)
	}
	inOrder = append(inOrder, secret)

	var nonEmpty Fields
	for _, f := range rest {
		if f.Value != "" {
			nonEmpty = append(nonEmpty, f)
		}
	}
	parts := signingParts(script, rest, secret)
	alts := []alternative{
		{"values were joined in the order sent; sort fields by name first", strings.Join(inOrder, ";")},
		{"empty fields were left out; keep them (they give \";;\")", SigningString(script, nonEmpty, secret)},
		{"the script name is missing from the start of the signing string", strings.Join(parts[1:], ";")},
		{"the secret is missing from the end of the signing string", strings.Join(parts[:len(parts)-1], ";")},
	}
	for _, f := range rest[:min(len(rest), maxDropTries)] { // each try signs the whole message again
		alts = append(alts, alternative{
			"field " + f.Name + " is not in the signature: it was added after signing; sign every field sent",
			SigningString(script, rest.Without(f.Name), secret),
		})
	}
	for _, s := range []string{"", "/" + script, "/g2g/" + script, "/api/" + script, script + ".php"} {
		if s != script {
			alts = append(alts, alternative{
				"signed with script name " + quote(s) + "; the script name is " + quote(script),
				SigningString(s, rest, secret),
			})
		}
	}
	return alts
}

func quote(s string) string { return "\"" + s + "\"" }
