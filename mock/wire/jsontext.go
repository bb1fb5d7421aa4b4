package wire

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// The bytes of a JSON body below the values DecodeJSON reads: white
// space, strings and their escapes, and the messages that name where a
// body goes wrong.

// space skips JSON's white space.
func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// text reads the string at pos (data[pos] is `"`), unescaped: a member
// name when name is set, else the value of the field p.path names.
func (p *jsonParser) text(name bool) (string, error) {
	d := p.data
	start := p.pos + 1
	from := start // bytes from here on are not yet in buf
	escaped := false
	for i := start; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			p.pos = i + 1
			if !escaped {
				return string(d[start:i]), nil
			}
			p.buf = append(p.buf, d[from:i]...)
			return string(p.buf), nil
		case c == '\\':
			if !escaped {
				escaped, p.buf = true, p.buf[:0]
			}
			p.buf = append(p.buf, d[from:i]...)
			n, err := p.escape(i, name)
			if err != nil {
				return "", err
			}
			i += n
			from = i
		case c < 0x20:
			p.pos = i
			return "", p.malformed("a control character in a string at byte " + strconv.Itoa(i) + "; escape it (\\n, \\u0001)")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.notText(name, start, i, "is not valid UTF-8: send text in UTF-8")
			}
			i += size
		}
	}
	p.pos = len(d)
	return "", p.syntax(`the string's closing "`)
}

// escape appends the character the escape at data[i] stands for to buf
// and returns the escape's length. A \u escape of half a UTF-16 surrogate
// pair must be followed by the other half (a lone half is no character;
// PHP refuses it too).
func (p *jsonParser) escape(i int, name bool) (int, error) {
	d := p.data
	if i+1 == len(d) {
		p.pos = i + 1
		return 0, p.syntax("an escaped character")
	}
	switch c := d[i+1]; c {
	case '"', '\\', '/':
		p.buf = append(p.buf, c)
		return 2, nil
	case 'b', 'f', 'n', 'r', 't':
		p.buf = append(p.buf, "\b\f\n\r\t"[strings.IndexByte("bfnrt", c)])
		return 2, nil
	}
	r, ok := hex4(d[i+1:])
	if !ok {
		p.pos = i
		return 0, p.malformed(`an escape at byte ` + strconv.Itoa(i) + ` is not one of \" \\ \/ \b \f \n \r \t \uXXXX`)
	}
	if !utf16.IsSurrogate(r) {
		p.buf = utf8.AppendRune(p.buf, r)
		return 6, nil
	}
	if rest := d[i+6:]; len(rest) > 0 && rest[0] == '\\' {
		if r2, ok := hex4(rest[1:]); ok {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				p.buf = utf8.AppendRune(p.buf, pair)
				return 12, nil
			}
		}
	}
	return 0, p.notText(name, p.pos+1, i, "holds "+string(d[i:i+6])+", half of a UTF-16 surrogate pair without the other: not a character")
}

// hex4 reads "uXXXX" at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 5 || b[0] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[1:5] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// notText is the error for a string that holds no text at byte i: a value
// names its field, a name what was read of it from start.
func (p *jsonParser) notText(name bool, start, i int, problem string) error {
	if !name {
		return Errorf(CodeValidation, "Field %s %s", p.field(), problem)
	}
	p.pos = i
	what := strconv.Quote(strings.ToValidUTF8(Shorten(redact.Cards(string(p.data[start:i])), 40), "?"))
	if len(p.path) > 0 {
		what += " in " + p.field()
	}
	return p.malformed("the member name " + what + " at byte " + strconv.Itoa(i) + " " + problem)
}

// field names the field p.path leads to for a message, as a form would
// name it (pg_receipt_positions[0][name]), shortened.
func (p *jsonParser) field() string {
	var b strings.Builder
	for i, s := range p.path {
		if b.Len() > 40 {
			break // Shorten cuts it anyway
		}
		if i > 0 {
			s = "[" + s + "]"
		}
		b.WriteString(Shorten(s, 41))
	}
	return strings.ToValidUTF8(Shorten(redact.Cards(b.String()), 40), "?")
}

// syntax is the error for something other than want at pos.
func (p *jsonParser) syntax(want string) error {
	if p.pos == len(p.data) {
		return p.malformed("the body ends where " + want + " was expected")
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return p.malformed(strconv.QuoteRune(r) + " at byte " + strconv.Itoa(p.pos) + " where " + want + " was expected")
}

func (p *jsonParser) malformed(problem string) error {
	return Errorf(CodeValidation, "Malformed JSON body: %s", problem)
}
