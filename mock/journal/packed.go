package journal

import (
	"encoding/binary"
	"strings"
	"time"
	"unsafe"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// packed is an entry as a ring keeps it: every string of it in one, each
// after its length. A full journal is then a few pointers per entry for
// the garbage collector to follow instead of a score, which keeps its
// pauses short however many requests are kept.
type packed struct {
	seq        int64
	at         time.Time
	text       string
	signature  *sign.Explanation
	tookMS     float64
	httpStatus int
	code       int
	cut        int
	made       bool
	// raw is set when the fields are as the request came: unpack masks
	// them by mask (Journal.RecordMasking).
	raw  bool
	mask *redact.Redactor
}

// The strings of an entry, in the order text holds them; fields follow.
const (
	pMethod = iota
	pPath
	pMerchant
	pOrder
	pPayment
	pEncoding
	pOutcome
	pDescription
	pFault
	pStrings
)

func pack(e *Entry) packed {
	strs := [pStrings]string{e.Method, e.Path, e.MerchantID, e.OrderID, e.PaymentID, e.Encoding, e.Outcome, e.Description, e.Fault}
	n := 0 // exactly: the text keeps every byte allocated
	for _, s := range strs {
		n += stringLen(s)
	}
	for _, f := range e.Fields {
		n += stringLen(f.Name) + stringLen(f.Value)
	}
	b := make([]byte, 0, n)
	for _, s := range strs {
		b = appendString(b, s)
	}
	for _, f := range e.Fields {
		b = appendString(appendString(b, f.Name), f.Value)
	}
	// b is never written again: the text is its bytes, not a copy.
	text := unsafe.String(unsafe.SliceData(b), len(b))
	return packed{seq: e.Seq, at: e.At, text: text, signature: ownExplanation(e.Signature), tookMS: e.TookMS,
		httpStatus: e.HTTPStatus, code: e.Code, cut: e.Cut, made: e.Made}
}

// stringLen is what appendString adds for s.
func stringLen(s string) int {
	n := 1
	for x := uint64(len(s)); x >= 0x80; x >>= 7 {
		n++
	}
	return n + len(s)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// next splits the first string off text: it, and the rest.
func next(text string) (string, string) {
	var n uint64
	for k := 0; k < len(text) && k < binary.MaxVarintLen64; k++ {
		n |= uint64(text[k]&0x7f) << (7 * k)
		if text[k] < 0x80 {
			if uint64(len(text)-k-1) < n {
				break
			}
			return text[k+1 : k+1+int(n)], text[k+1+int(n):]
		}
	}
	return "", "" // never: text is what pack wrote
}

// head returns the entry's strings before its fields, and the rest.
func (p *packed) head() ([pStrings]string, string) {
	var strs [pStrings]string
	rest := p.text
	for i := range strs {
		strs[i], rest = next(rest)
	}
	return strs, rest
}

// shownWeight is about what the entry weighs as JSON (the control API's,
// indented): its text, and for each field and the entry the names and
// punctuation around the values.
func (p *packed) shownWeight() int {
	n := weight(*p) + 512
	_, rest := p.head()
	for rest != "" {
		_, rest = next(rest)
		n += 32 // a name or a value, quoted, named and indented
	}
	return n
}

// matches is Filter.match without unpacking the fields.
func (f Filter) matches(p *packed) bool {
	if f.MerchantID == "" && f.Path == "" && f.OrderID == "" && f.PaymentID == "" && f.Outcome == "" {
		return true
	}
	s, _ := p.head()
	return (f.MerchantID == "" || s[pMerchant] == f.MerchantID) &&
		(f.Path == "" || s[pPath] == f.Path) &&
		(f.OrderID == "" || s[pOrder] == f.OrderID) &&
		(f.PaymentID == "" || s[pPayment] == f.PaymentID) &&
		(f.Outcome == "" || s[pOutcome] == f.Outcome)
}

// unpack is the entry again; its strings share the packed text.
func (p *packed) unpack() Entry {
	s, rest := p.head()
	e := Entry{Seq: p.seq, At: p.at, Method: s[pMethod], Path: s[pPath], MerchantID: s[pMerchant], OrderID: s[pOrder],
		PaymentID: s[pPayment], Encoding: s[pEncoding], Fields: sign.Fields{}, HTTPStatus: p.httpStatus, Outcome: s[pOutcome],
		Code: p.code, Description: s[pDescription], Signature: p.signature, TookMS: p.tookMS, Fault: s[pFault], Made: p.made, Cut: p.cut}
	for rest != "" {
		var name, value string
		name, rest = next(rest)
		value, rest = next(rest)
		e.Fields = append(e.Fields, sign.Field{Name: name, Value: value})
	}
	if p.raw { // Journal.RecordMasking: masked now, and cut again if masking made a value longer
		e.Fields = e.Fields.Redacted(p.mask)
		bound(&e)
	}
	return e
}

// ownExplanation copies x with strings of its own, so that an entry kept
// for long holds no part of the request it came from (a pg_sig sliced
// from a large body would keep all of the body).
func ownExplanation(x *sign.Explanation) *sign.Explanation {
	if x == nil {
		return nil
	}
	c := *x
	c.Script, c.SigningString, c.Expected, c.Got = strings.Clone(c.Script), strings.Clone(c.SigningString), strings.Clone(c.Expected), strings.Clone(c.Got)
	if x.Hints != nil {
		c.Hints = make([]string, len(x.Hints))
		for i, h := range x.Hints {
			c.Hints[i] = strings.Clone(h)
		}
	}
	return &c
}
