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

// AppendEncode is Encode appending to b: the hot path writes its reply
// into a buffer it uses again.
func AppendEncode(b []byte, fields sign.Fields) []byte { return appendRoot(b, "response", fields) }

func encodeRoot(root string, fields sign.Fields) []byte {
	// Sized for values written as they are, as most are: one allocation.
	n := len(Header) + 2*len(root) + len("<></>\n")
	for _, f := range fields {
		n += 2*len(f.Name) + len(f.Value) + len("<></>")
	}
	return appendRoot(make([]byte, 0, n), root, fields)
}

func appendRoot(b []byte, root string, fields sign.Fields) []byte {
	b = append(append(append(b, Header...), '<'), root...)
	b = append(b, '>')
	for _, f := range fields {
		b = append(append(append(b, '<'), f.Name...), '>')
		if plain(f.Value) {
			b = append(b, f.Value...)
		} else {
			b = appendEscaped(b, f.Value)
		}
		b = append(append(append(b, "</"...), f.Name...), '>')
	}
	b = append(append(append(b, "</"...), root...), ">\n"...)
	return b
}

// EncodeTree writes a reply whose fields may nest, as get_status3.php's
// refund_payments does: a node with children is an element holding
// theirs, in order; a leaf is written as Encode writes a field.
func EncodeTree(nodes []sign.Node) []byte {
	b := append([]byte(Header), "<response>"...)
	b = appendNodes(b, nodes)
	return append(b, "</response>\n"...)
}

func appendNodes(b []byte, nodes []sign.Node) []byte {
	for _, n := range nodes {
		b = append(append(append(b, '<'), n.Name...), '>')
		switch {
		case len(n.Children) > 0:
			b = appendNodes(b, n.Children)
		case plain(n.Value):
			b = append(b, n.Value...)
		default:
			b = appendEscaped(b, n.Value)
		}
		b = append(append(append(b, "</"...), n.Name...), '>')
	}
	return b
}

// appendEscaped appends s escaped as xml.EscapeText does.
func appendEscaped(b []byte, s string) []byte {
	w := bytes.NewBuffer(b)
	_ = xml.EscapeText(w, []byte(s)) // a bytes.Buffer never fails
	return w.Bytes()
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
