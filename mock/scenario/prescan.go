package scenario

import (
	"fmt"
	"strconv"
)

// Bounds of a scenario's shape, checked in one pass over the text before the
// TOML library sees it. The library's cost grows with the square of a key's
// length in parts (every part copies the path before it), so a 12 KB text
// with keys nested 3 000 deep cost 424 MB; and every value costs it a few
// hundred bytes. Real scenarios nest 2 levels (timeline = [{ … }]) and write
// keys of at most 4 parts (payouts.existing.timeline.status).
const (
	// MaxDepth is how deep arrays and inline tables may nest in one value.
	MaxDepth = 16
	// MaxKeyParts is how many parts a key may have, counting those of its
	// [table] header and of the keys of the inline tables around it:
	// `[a.b]` then `c.d = { e = 1 }` sets a.b.c.d.e, 5 parts.
	MaxKeyParts = 16
	// MaxValues is how many values a scenario sent over the network may hold
	// ([ParseUpload]); a file ([Parse], [Load]) may hold that many plus one
	// per byte of it. An array element is one value; a key counts the square
	// of its full path's length (times its own dotted parts when written
	// a.b.c), as the library's cost grows: `[payouts]` is 1, `status = …` in
	// a timeline under it 9, a payout of five keys and a two-step timeline 55
	// in 145 bytes.
	MaxValues = 30_000
	// MaxKeyBytes is how long a key or a [table] header may be as written:
	// the library copies a key's text into every part it reads, and a
	// scenario's longest key is under 30 bytes.
	MaxKeyBytes = 1024
)

// uploadLimit and fileLimit are how many values a text of n bytes may hold.
func uploadLimit(int) int { return MaxValues }
func fileLimit(n int) int { return MaxValues + n }

// frame is one array or inline table open around the scanner.
type frame struct {
	inline bool
	path   int // parts of the key the array or inline table is the value of
}

// prescanner walks a TOML text once, telling keys from values and strings
// from the rest just well enough to count depth, key parts and values. It
// does not check the syntax: what it cannot read, the library refuses.
type prescanner struct {
	file  string
	data  []byte
	i     int
	line  int
	stack []frame
	limit int // values allowed
	count int // values seen

	header int  // parts of the last [table] header
	keyPos bool // a key comes next (or is being read)
	dots   int  // dots of the key being read
	start  int  // offset where the key being read starts, -1 before it
	path   int  // parts of the key whose value is being read
}

// prescan checks data against [MaxDepth], [MaxKeyParts] and the values
// limit allows for its size; its error is a [Problem] with the line where
// a bound is passed.
func prescan(file string, data []byte, limit func(n int) int) error {
	p := &prescanner{file: file, data: data, line: 1, keyPos: true, start: -1, limit: limit(len(data)), stack: make([]frame, 0, MaxDepth)}
	return p.run()
}

func (p *prescanner) problem(format string, args ...any) error {
	return Problem{p.file, p.line, fmt.Sprintf(format, args...)}
}

func (p *prescanner) run() error {
	d := p.data
	for p.i < len(d) {
		c := d[p.i]
		switch {
		case c == '\n':
			p.line++
			p.i++
			if len(p.stack) == 0 {
				p.newKey()
			}
		case c == ' ' || c == '\t' || c == '\r':
			p.i++
		case c == '#':
			for p.i < len(d) && d[p.i] != '\n' {
				p.i++
			}
		case c == '"' || c == '\'':
			if p.keyPos && p.start < 0 {
				p.start = p.i
			}
			p.skipString()
		case p.keyPos:
			if err := p.keyByte(c); err != nil {
				return err
			}
		default:
			if err := p.valueByte(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// newKey starts reading a key.
func (p *prescanner) newKey() {
	p.keyPos, p.dots, p.start = true, 0, -1
}

// keyByte reads one byte where a key (or a table header) is expected.
func (p *prescanner) keyByte(c byte) error {
	switch c {
	case '[':
		if len(p.stack) == 0 && p.start < 0 {
			return p.tableHeader()
		}
		p.i++
	case '.':
		p.dots++
		p.i++
	case '=':
		if n := p.keyLen(); n > MaxKeyBytes {
			return p.problem("key %s is %d bytes long; at most %d", p.keyText(), n, MaxKeyBytes)
		}
		parts := p.dots + 1
		if len(p.stack) == 0 {
			parts += p.header
		} else {
			parts += p.stack[len(p.stack)-1].path
		}
		if parts > MaxKeyParts {
			return p.problem("key %s has %d parts, counting its [table] and the inline tables around it; at most %d", p.keyText(), parts, MaxKeyParts)
		}
		if err := p.addValues(parts * parts * (p.dots + 1)); err != nil {
			return err
		}
		p.keyPos, p.path = false, parts
		p.i++
	case '}', ']': // an empty inline table, or a trailing comma
		p.keyPos = false
		return p.valueByte(c)
	default:
		if p.start < 0 {
			p.start = p.i
		}
		p.i++
	}
	return nil
}

// valueByte reads one byte of a value.
func (p *prescanner) valueByte(c byte) error {
	switch c {
	case '[', '{':
		if len(p.stack) == MaxDepth {
			return p.problem("arrays and inline tables nest deeper than %d levels; a scenario needs 2 (timeline = [{ at = \"1s\", status = \"success\" }])", MaxDepth)
		}
		p.stack = append(p.stack, frame{inline: c == '{', path: p.path})
		p.i++
		if c == '{' {
			p.newKey()
			return nil
		}
		return p.addValues(1) // the array's first element, if any
	case ']', '}':
		if n := len(p.stack); n > 0 {
			p.stack = p.stack[:n-1]
			if n > 1 {
				p.path = p.stack[n-2].path
			}
		}
		p.i++
	case ',':
		p.i++
		if n := len(p.stack); n > 0 {
			if p.stack[n-1].inline {
				p.newKey()
				return nil
			}
			return p.addValues(1)
		}
	default:
		p.i++
	}
	return nil
}

// tableHeader reads [a.b] or [[a.b]] up to its closing bracket.
func (p *prescanner) tableHeader() error {
	d := p.data
	at := p.i
	p.i++
	if p.i < len(d) && d[p.i] == '[' {
		p.i++
	}
	parts := 1
	for p.i < len(d) && d[p.i] != ']' && d[p.i] != '\n' {
		switch d[p.i] {
		case '"', '\'':
			p.skipString()
			continue
		case '.':
			parts++
		}
		p.i++
	}
	if parts > MaxKeyParts {
		p.start = at
		return p.problem("table %s has %d parts; at most %d", p.keyText(), parts, MaxKeyParts)
	}
	p.header = parts
	for p.i < len(d) && d[p.i] == ']' {
		p.i++
	}
	if p.i-at > MaxKeyBytes {
		p.start = at
		return p.problem("table %s is %d bytes long; at most %d", p.keyText(), p.i-at, MaxKeyBytes)
	}
	return p.addValues(parts * parts)
}

func (p *prescanner) addValues(n int) error {
	p.count += n
	if p.count > p.limit {
		return p.problem("more than %d values: each key counts the square of its full path's length (times its own dotted parts when written a.b.c), each array element one; a scenario sent to the sandbox may hold %d, a file %d plus one per byte", p.limit, MaxValues, MaxValues)
	}
	return nil
}

// keyLen is the length of the key being read, as written up to p.i.
func (p *prescanner) keyLen() int {
	if p.start < 0 {
		return 0
	}
	return p.keyEnd() - p.start
}

// keyEnd is where the key being read ends, blanks before p.i left out.
func (p *prescanner) keyEnd() int {
	end := min(p.i, len(p.data))
	for end > p.start && (p.data[end-1] == ' ' || p.data[end-1] == '\t') {
		end--
	}
	return end
}

// keyText quotes the key being read, shortened to 40 bytes.
func (p *prescanner) keyText() string {
	if p.start < 0 {
		return `""`
	}
	end := p.keyEnd()
	if end-p.start > 40 {
		return strconv.Quote(string(p.data[p.start:p.start+40])) + "…"
	}
	return strconv.Quote(string(p.data[p.start:end]))
}

// skipString moves past the string starting at p.i: "…" with escapes,
// '…', """…""" or ”'…”'. A single-line string stops at the end of the
// line even when not closed (the library reports that).
func (p *prescanner) skipString() {
	d := p.data
	q := d[p.i]
	if p.i+2 < len(d) && d[p.i+1] == q && d[p.i+2] == q {
		p.i += 3
		for p.i < len(d) {
			switch c := d[p.i]; {
			case c == '\\' && q == '"':
				if p.i+1 < len(d) && d[p.i+1] == '\n' {
					p.line++
				}
				p.i += 2
			case c == '\n':
				p.line++
				p.i++
			case c == q && p.i+2 < len(d) && d[p.i+1] == q && d[p.i+2] == q:
				p.i += 3
				for k := 0; k < 2 && p.i < len(d) && d[p.i] == q; k++ { // """"" closes with two quotes inside
					p.i++
				}
				return
			default:
				p.i++
			}
		}
		return
	}
	p.i++
	for p.i < len(d) && d[p.i] != '\n' {
		c := d[p.i]
		if c == '\\' && q == '"' && p.i+1 < len(d) && d[p.i+1] != '\n' {
			p.i += 2
			continue
		}
		p.i++
		if c == q {
			return
		}
	}
}
