// Package sign implements FreedomPay's pg_sig: the MD5 signature that every
// request, reply and callback of the pg_* protocol carries.
//
//	signing string = script;value_1;…;value_n;secret
//	pg_sig         = lowercase hex MD5 of the signing string
//
// The values are those of every field except pg_sig, ordered by field name in
// plain byte order (PHP ksort). Empty values are kept, a repeated field keeps
// its values in order of appearance, and nested fields (bracketed form names
// such as pg_receipt_positions[0][name], or nested tags inside pg_xml) are
// flattened first; see [FlattenNodes].
//
// The package has no dependencies beyond the standard library and the
// sandbox's redact package (which has none), so a merchant's own tests can
// import it to sign requests and verify callbacks.
package sign

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// FieldSig is the name of the signature field, which is never signed itself.
const FieldSig = "pg_sig"

// Field is one name=value pair of a pg_* message, in order of appearance.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Fields is a message: its fields in order of appearance.
type Fields []Field

// Get returns the first value of the named field and whether it is present.
func (fs Fields) Get(name string) (string, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Value returns the first value of the named field, or "" when it is absent.
func (fs Fields) Value(name string) string {
	v, _ := fs.Get(name)
	return v
}

// Without returns a copy of fs without any field of the given name.
func (fs Fields) Without(name string) Fields {
	out := make(Fields, 0, len(fs))
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

// With returns a copy of fs with the named field's first value replaced.
func (fs Fields) With(name, value string) Fields {
	out := append(Fields(nil), fs...)
	for i := range out {
		if out[i].Name == name {
			out[i].Value = value
			break
		}
	}
	return out
}

// Values converts fs to url.Values, keeping the order of repeated fields.
func (fs Fields) Values() url.Values {
	v := make(url.Values, len(fs))
	for _, f := range fs {
		v[f.Name] = append(v[f.Name], f.Value)
	}
	return v
}

// FromValues converts url.Values to Fields. Names come out sorted (a map has
// no order); the values of a repeated name keep their order.
func FromValues(v url.Values) Fields {
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	var fs Fields
	for _, name := range names {
		for _, val := range v[name] {
			fs = append(fs, Field{name, val})
		}
	}
	return fs
}

// SigningString returns the string whose MD5 is pg_sig: the script name, the
// values of every field but pg_sig in key order, and the secret, joined by ";".
// Bracketed names are flattened first (see [FlattenNodes]).
func SigningString(script string, fields Fields, secret string) string {
	return strings.Join(signingParts(script, fields, secret), ";")
}

// Sign returns pg_sig for a message: lowercase hex MD5 of [SigningString].
// It hashes the same bytes without building the string, on every request
// and every reply.
func Sign(script string, fields Fields, secret string) string {
	sig := sum(script, fields, secret)
	return string(sig[:])
}

// sum is [Sign] into an array, so that [Verify] compares without making a
// string.
func sum(script string, fields Fields, secret string) [2 * md5.Size]byte {
	var fieldBuf [24]Field
	flat := signed(fields, fieldBuf[:0])
	var textBuf [512]byte
	b := append(textBuf[:0], script...)
	for _, f := range flat {
		b = append(append(b, ';'), f.Value...)
	}
	b = append(append(b, ';'), secret...)
	digest := md5.Sum(b)
	var sig [2 * md5.Size]byte
	hex.Encode(sig[:], digest[:])
	return sig
}

// signed returns the fields a signature covers, in the order it takes
// them: pg_sig left out, nested fields flattened, sorted by name. buf may
// hold them, so that the common case allocates nothing.
func signed(fields Fields, buf Fields) Fields {
	for _, f := range fields {
		if f.Name != FieldSig {
			buf = append(buf, f)
		}
	}
	flat := Flatten(buf)
	if len(flat) <= 12 { // a message's few fields: insertion sort, stable, in place
		for i := 1; i < len(flat); i++ {
			for j := i; j > 0 && flat[j].Name < flat[j-1].Name; j-- {
				flat[j], flat[j-1] = flat[j-1], flat[j]
			}
		}
		return flat
	}
	slices.SortStableFunc(flat, byName)
	return flat
}

func byName(a, b Field) int { return strings.Compare(a.Name, b.Name) }

// SignValues is [Sign] for url.Values.
func SignValues(script string, v url.Values, secret string) string {
	return Sign(script, FromValues(v), secret)
}

// Verify reports whether the message's pg_sig is the one [Sign] computes.
// The comparison is exact: the real gateway rejects an upper-case signature.
func Verify(script string, fields Fields, secret string) bool {
	got, ok := fields.Get(FieldSig)
	if !ok {
		return false
	}
	want := sum(script, fields, secret)
	return subtle.ConstantTimeCompare([]byte(got), want[:]) == 1
}

// ScriptName returns the script name that signs a message sent to path or URL
// u: the last path segment, query string and fragment ignored.
//
//	/g2g/payout_status2                       → payout_status2
//	/init_payment.php                         → init_payment.php
//	https://shop.kz/hooks/payout-result?x=1   → payout-result
//
// A path ending in "/" is not documented by FreedomPay; the sandbox uses the
// last non-empty segment (https://shop.kz/hooks/post/ → post).
func ScriptName(u string) string {
	u = strings.TrimRight(pathOf(u), "/")
	return u[strings.LastIndexByte(u, '/')+1:]
}

// ScriptNameAfterLastSlash is [ScriptName] as the official PHP SDK computes
// it on the merchant's side (the text after the last "/" of the path), which
// differs only for a path ending in "/": https://shop.kz/hooks/post/ → "".
func ScriptNameAfterLastSlash(u string) string {
	p := pathOf(u)
	return p[strings.LastIndexByte(p, '/')+1:]
}

func pathOf(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return ""
		}
		return rest[j:]
	}
	return u
}

func signingParts(script string, fields Fields, secret string) []string {
	flat := signed(fields, make(Fields, 0, len(fields)))
	parts := make([]string, 0, len(flat)+2)
	parts = append(parts, script)
	for _, f := range flat {
		parts = append(parts, f.Value)
	}
	return append(parts, secret)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Redacted is fs with each value masked by [redact.Redactor.Field] (card
// numbers, card security codes and r's secrets), and each name's card
// numbers by [redact.Cards] (a card number sent as a field's name, by
// mistake; a secret is not looked for in names, where a short one would
// hide a part of pg_payment_id), for anything shown to people: the
// journal, a notify attempt. fs is never changed; it is returned itself
// when nothing needs masking.
func (fs Fields) Redacted(r *redact.Redactor) Fields {
	var out Fields
	for i, f := range fs {
		v, n := r.Field(f.Name, f.Value), redact.Cards(f.Name)
		if v == f.Value && n == f.Name {
			continue
		}
		if out == nil {
			out = slices.Clone(fs)
		}
		out[i].Name, out[i].Value = n, v
	}
	if out == nil {
		return fs
	}
	return out
}
