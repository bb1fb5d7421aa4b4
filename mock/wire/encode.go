package wire

import (
	"bytes"
	"encoding/xml"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// ContentType of every gateway reply.
const ContentType = "application/xml; charset=utf-8"

// Header opens every reply.
const Header = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// Encode writes fields as the gateway's reply: the XML declaration and a
// <response> element whose children are the fields in the order given.
func Encode(fields sign.Fields) []byte {
	var b bytes.Buffer
	b.Grow(64 + 48*len(fields))
	b.WriteString(Header)
	b.WriteString("<response>")
	for _, f := range fields {
		b.WriteByte('<')
		b.WriteString(f.Name)
		b.WriteByte('>')
		_ = xml.EscapeText(&b, []byte(f.Value)) // a bytes.Buffer never fails
		b.WriteString("</")
		b.WriteString(f.Name)
		b.WriteByte('>')
	}
	b.WriteString("</response>\n")
	return b.Bytes()
}
