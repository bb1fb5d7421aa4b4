package wire

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// ContentType of every gateway reply.
const ContentType = "application/xml; charset=utf-8"

// Header opens every reply.
const Header = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// Encode writes fields as the gateway's reply: the XML declaration and a
// <response> element whose children are the fields in the order given.
func Encode(fields sign.Fields) []byte { return encodeRoot("response", fields) }

// EncodeRequest writes fields as a pg_xml document: <request> and the fields.
func EncodeRequest(fields sign.Fields) []byte { return encodeRoot("request", fields) }

func encodeRoot(root string, fields sign.Fields) []byte {
	var b bytes.Buffer
	b.Grow(64 + 48*len(fields))
	b.WriteString(Header)
	b.WriteString("<" + root + ">")
	for _, f := range fields {
		b.WriteByte('<')
		b.WriteString(f.Name)
		b.WriteByte('>')
		if plain(f.Value) {
			b.WriteString(f.Value)
		} else {
			_ = xml.EscapeText(&b, []byte(f.Value)) // a bytes.Buffer never fails
		}
		b.WriteString("</")
		b.WriteString(f.Name)
		b.WriteByte('>')
	}
	b.WriteString("</" + root + ">\n")
	return b.Bytes()
}

// plain reports whether s is printable ASCII that XML needs no escape for,
// as most reply values are: written as is, without EscapeText's copy.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '<', c == '>', c == '&', c == '\'', c == '"':
			return false
		}
	}
	return true
}

// EncodeForm writes fields as an urlencoded body in their own order (which
// url.Values.Encode would sort).
func EncodeForm(fields sign.Fields) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	return b.String()
}
