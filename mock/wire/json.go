package wire

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// jsonType is the Content-Type of a JSON request body.
const jsonType = "application/json"

// maxJSONDepth bounds nesting in a JSON body as maxXMLDepth does in
// pg_xml, counted the same way: the body's object is level 1, its members
// level 2. Both flatten to the same fields, so both stop at the same depth.
const maxJSONDepth = maxXMLDepth

// decodeJSONBody reads a body sent as application/json, whose only
// parameter may say it is UTF-8 (JSON is UTF-8: RFC 8259 §8.1).
func decodeJSONBody(body []byte, params map[string]string) (sign.Fields, error) {
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return nil, Errorf(CodeValidation, "Content-Type %s; charset=%s is not accepted: JSON is UTF-8, send charset=utf-8 or no charset", jsonType, Shorten(cs, 40))
	}
	return DecodeJSON(body)
}

// DecodeJSON reads a JSON request body: one object whose members are the
// fields, in the order written. Some FreedomPay clients send init_payment
// such a body, with string values; that the gateway reads it is assumed
// (payments.md §1). What else a member may hold is decided here, each as
// the rest of the package reads the other encodings:
//
//   - a string is the field's value, unescaped;
//   - a number is the text written, as it was signed ("1500.00" stays
//     "1500.00", 1e3 stays "1e3"): never read as a float;
//   - an object or an array is a group of nested fields, exactly as nested
//     tags of pg_xml are: FreedomPay signs both the same way, so each leaf
//     is named as [sign.FlattenNodes] names it, an array's elements keyed
//     0, 1, … as PHP's json_decode keys them ({"pg_receipt_positions":
//     [{"name": "A"}]} signs as pg_receipt_positions[0][name]=A does);
//   - true, false and null are refused with a 9403 naming the field: they
//     have no text of their own (PHP signs true as "1" and null as "",
//     JavaScript as "true" and "null"), so any reading here would fail some
//     clients' signatures with a 9998 that hides why;
//   - an empty object or array is refused the same way: it holds nothing
//     to sign, and how the gateway counts it among its siblings is not
//     known.
//
// A member name given twice in one object is refused (PHP keeps the last,
// a reader in order the first), and so is a name holding "[": signing
// reads brackets in a name as nesting, which a JSON name does not mean.
// Like pg_xml, the body holds at most MaxFields leaves, maxJSONDepth
// levels and MaxFlatNameBytes of flattened names; it is read in one pass,
// and reading stops at the first problem.
func DecodeJSON(data []byte) (sign.Fields, error) {
	p := jsonParser{data: data}
	root, err := p.document()
	if err != nil {
		return nil, err
	}
	if n := sign.FlatNameBytes(root); n > MaxFlatNameBytes {
		return nil, Errorf(CodeValidation, "The JSON body's nested member names add up to %d bytes once flattened: at most %d", n, MaxFlatNameBytes)
	}
	return sign.FlattenNodes(root), nil
}

// jsonParser reads a JSON document by recursive descent, one byte at a
// time and never back: its cost is linear in the document's size.
type jsonParser struct {
	data   []byte
	pos    int
	leaves int      // leaves read so far, stopped past MaxFields
	path   []string // the names from the body's object down to the value being read, for messages
	buf    []byte   // a string being unescaped
}

// document reads the body: one object, white space around it.
func (p *jsonParser) document() ([]sign.Node, error) {
	if bytes.HasPrefix(p.data, []byte("\uFEFF")) {
		return nil, p.malformed("the body starts with a byte order mark; send it without")
	}
	p.space()
	if p.pos == len(p.data) {
		return nil, p.malformed("the body is empty; send one JSON object whose members are the fields")
	}
	if c := p.data[p.pos]; c != '{' {
		what := ""
		switch {
		case c == '[':
			what = "an array"
		case c == '"':
			what = "a string"
		case c == '-' || c >= '0' && c <= '9':
			what = "a number"
		}
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
				what = lit
			}
		}
		if what == "" {
			return nil, p.syntax("a JSON object")
		}
		return nil, p.malformed("the body is " + what + ", not an object; send one JSON object whose members are the fields")
	}
	nodes, err := p.object(1)
	if err != nil {
		return nil, err
	}
	if p.space(); p.pos < len(p.data) {
		return nil, p.malformed("text after the object at byte " + strconv.Itoa(p.pos) + "; send one JSON object and nothing after it")
	}
	return nodes, nil
}

// object reads an object at level (data[pos] is "{"): its members as
// nodes, in order.
func (p *jsonParser) object(level int) ([]sign.Node, error) {
	p.pos++ // {
	var nodes []sign.Node
	var seen map[string]bool // past a few members; below, a scan is cheaper
	for {
		if p.space(); p.pos < len(p.data) && p.data[p.pos] == '}' && len(nodes) == 0 {
			p.pos++
			return nodes, nil
		}
		if p.pos == len(p.data) || p.data[p.pos] != '"' {
			return nil, p.syntax("a member name in quotes")
		}
		name, err := p.text(true)
		if err != nil {
			return nil, err
		}
		p.path = append(p.path, name)
		switch {
		case strings.IndexByte(name, '[') >= 0:
			return nil, Errorf(CodeValidation, "Field %s has \"[\" in its name, which signing would read as nesting; send nested fields as JSON objects and arrays", p.field())
		case seen[name] || seen == nil && hasNode(nodes, name):
			return nil, Errorf(CodeValidation, "Field %s is given twice in one JSON object; which one counts is undefined: send it once", p.field())
		}
		if len(nodes) == 16 {
			seen = make(map[string]bool)
			for _, n := range nodes {
				seen[n.Name] = true
			}
		}
		if seen != nil {
			seen[name] = true
		}
		if p.space(); p.pos == len(p.data) || p.data[p.pos] != ':' {
			return nil, p.syntax(`":" after a member name`)
		}
		p.pos++
		n, err := p.value(level + 1)
		if err != nil {
			return nil, err
		}
		n.Name = name
		nodes = append(nodes, n)
		p.path = p.path[:len(p.path)-1]
		if p.space(); p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return nodes, nil
		}
		if p.pos == len(p.data) || p.data[p.pos] != ',' {
			return nil, p.syntax(`"," or "}" after a member`)
		}
		p.pos++
	}
}

// array reads an array at level (data[pos] is "["): its elements as
// nodes named by their index.
func (p *jsonParser) array(level int) ([]sign.Node, error) {
	p.pos++ // [
	var nodes []sign.Node
	for {
		if p.space(); p.pos < len(p.data) && p.data[p.pos] == ']' && len(nodes) == 0 {
			p.pos++
			return nodes, nil
		}
		key := strconv.Itoa(len(nodes))
		p.path = append(p.path, key)
		n, err := p.value(level + 1)
		if err != nil {
			return nil, err
		}
		n.Name = key
		nodes = append(nodes, n)
		p.path = p.path[:len(p.path)-1]
		if p.space(); p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return nodes, nil
		}
		if p.pos == len(p.data) || p.data[p.pos] != ',' {
			return nil, p.syntax(`"," or "]" after an element`)
		}
		p.pos++
	}
}

// value reads the value at pos, the field p.path names, at level: a leaf
// or a group. Its Name is the caller's to set.
func (p *jsonParser) value(level int) (sign.Node, error) {
	if p.space(); p.pos == len(p.data) {
		return sign.Node{}, p.syntax("a value")
	}
	if level > maxJSONDepth {
		return sign.Node{}, Errorf(CodeValidation, "Field %s is nested deeper than %d levels", p.field(), maxJSONDepth)
	}
	var n sign.Node
	var err error
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		kind := "an empty object"
		if c == '{' {
			n.Children, err = p.object(level)
		} else {
			kind = "an empty array"
			n.Children, err = p.array(level)
		}
		if err == nil && len(n.Children) == 0 {
			err = Malformed(p.field(), kind+" holds nothing to sign, and how the gateway would count it among its siblings is not known; leave it out")
		}
		return n, err
	case c == '"':
		n.Value, err = p.text(false)
	case c == '-' || c >= '0' && c <= '9':
		n.Value, err = p.number()
	case c == 't' || c == 'f' || c == 'n':
		return n, p.literal()
	default:
		return n, p.syntax("a value")
	}
	if err == nil {
		if p.leaves++; p.leaves > MaxFields {
			err = tooManyFields("The JSON body")
		}
	}
	return n, err
}

// literal refuses the true, false or null at pos, naming its field (see
// DecodeJSON for why).
func (p *jsonParser) literal() error {
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
			if lit == "null" {
				return Malformed(p.field(), `null has no text of its own (PHP signs it as "", JavaScript as "null"); send the string that was signed, or leave the field out`)
			}
			return Malformed(p.field(), lit+` has no text of its own (PHP signs true as "1" and false as "", JavaScript as "true" and "false"); send the string that was signed`)
		}
	}
	return p.syntax("a value")
}

// number reads the number at pos as the text written, checked against
// JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (string, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if !p.digits() {
		return "", p.syntax("a digit")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		if p.pos++; !p.digits() {
			return "", p.syntax(`a digit after "."`)
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		if p.pos++; p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return "", p.syntax("a digit in the exponent")
		}
	}
	return string(p.data[start:p.pos]), nil
}

// digits reads one or more digits, reporting whether there was one.
func (p *jsonParser) digits() bool {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > start
}

// hasNode reports whether one of nodes is named name.
func hasNode(nodes []sign.Node, name string) bool {
	for _, n := range nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}
