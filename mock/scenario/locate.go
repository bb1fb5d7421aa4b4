package scenario

import (
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// locator finds the line of a table or key in a TOML text, for messages.
// It is a line scanner, not a parser: good enough for the files people write.
type locator struct {
	lines    []string
	sections []section        // in file order; index 0 is the top level (name "")
	byName   map[string][]int // positions in sections of each name, in order
	keyRE    map[string]*regexp.Regexp
}

type section struct {
	name  string // "gateway", "merchants", ...
	line  int    // 1-based line of the header, 0 for the top level
	end   int    // last line of the section
	index int    // occurrence among sections of the same name ([[x]] counts)
}

// headerName returns the name of the [table] or [[array]] a line opens,
// as written between the brackets: letters, digits, "_.- and spaces.
func headerName(ln string) (string, bool) {
	const space = " \t\n\f\r"
	s := strings.TrimLeft(ln, space)
	if !strings.HasPrefix(s, "[") {
		return "", false
	}
	s = strings.TrimLeft(strings.TrimPrefix(s[1:], "["), space)
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", false
	}
	name := strings.TrimRight(s[:end], space)
	if name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(`_.- "`, c) >= 0:
		default:
			return "", false
		}
	}
	return name, true
}

func newLocator(data []byte) *locator {
	l := &locator{lines: strings.Split(string(data), "\n")}
	l.sections = []section{{name: "", line: 0}}
	seen := map[string]int{}
	for i, ln := range l.lines {
		name, ok := headerName(ln)
		if !ok {
			continue
		}
		name = strings.ReplaceAll(name, " ", "")
		l.sections[len(l.sections)-1].end = i
		l.sections = append(l.sections, section{name: name, line: i + 1, index: seen[name]})
		seen[name]++
	}
	l.sections[len(l.sections)-1].end = len(l.lines)
	l.byName = map[string][]int{}
	for i, s := range l.sections {
		l.byName[s.name] = append(l.byName[s.name], i)
	}
	return l
}

// table returns the line of the idx-th [[name]] or [name] header (0 if none).
func (l *locator) table(name string, idx int) int {
	if s, ok := l.find(name, idx); ok {
		return s.line
	}
	return 0
}

func (l *locator) find(name string, idx int) (section, bool) {
	at := l.byName[name]
	if idx < 0 || idx >= len(at) {
		return section{}, false
	}
	return l.sections[at[idx]], true
}

// key returns the line where key is set inside the idx-th section called
// table, or that section's header line when the key is not written there.
func (l *locator) key(table string, idx int, key string) int {
	s, ok := l.find(table, idx)
	if !ok {
		return 0
	}
	if n := l.keyIn(s, key); n > 0 {
		return n
	}
	return s.line
}

// element returns the line of the j-th inline table of an array written
// under key, e.g. the third { at = …, status = … } of a timeline; or the
// key's line when it cannot tell.
func (l *locator) element(table string, idx int, key string, j int) int {
	start := l.key(table, idx, key)
	s, ok := l.find(table, idx)
	if !ok || start == 0 {
		return start
	}
	seen := 0
	for i := start - 1; i < s.end && i < len(l.lines); i++ {
		for _, r := range stripComment(l.lines[i]) {
			if r != '{' {
				continue
			}
			if seen == j {
				return i + 1
			}
			seen++
		}
	}
	return start
}

func (l *locator) keyIn(s section, key string) int {
	re := l.keyRE[key]
	if re == nil {
		if l.keyRE == nil {
			l.keyRE = map[string]*regexp.Regexp{}
		}
		re = regexp.MustCompile(`(^|[\s{,])"?` + regexp.QuoteMeta(key) + `"?\s*=`)
		l.keyRE[key] = re
	}
	for i := s.line; i < s.end && i < len(l.lines); i++ { // s.line is 1-based: lines after the header
		// Contains first: a regexp match per line of a large section costs
		// far more, and allocates under the race detector.
		if strings.Contains(l.lines[i], key) && re.MatchString(stripComment(l.lines[i])) {
			return i + 1
		}
	}
	return 0
}

func stripComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 && !strings.ContainsAny(s[:i], `"'`) {
		return s[:i]
	}
	return s
}

// unknownKey returns the first line where an undecoded key is set: the key's
// last element inside a section named after its parents (or, for keys of
// inline tables such as timeline steps, after a shorter prefix of them).
func (l *locator) unknownKey(k toml.Key) int {
	last := k[len(k)-1]
	for n := len(k) - 1; n >= 0; n-- {
		table := strings.Join(k[:n], ".")
		for _, s := range l.sections {
			if s.name != table {
				continue
			}
			if line := l.keyIn(s, last); line > 0 {
				return line
			}
		}
	}
	// An unknown table: its header.
	for _, s := range l.sections {
		if s.name == k.String() {
			return s.line
		}
	}
	return 0
}

// knownKeysHint lists the keys allowed where an unknown key k stands.
func (sc *Scenario) knownKeysHint(k toml.Key) string {
	t := reflect.TypeOf(Scenario{})
	parents := k[:len(k)-1]
	if len(parents) > 0 {
		if form, ok := sc.handDecoded(parents[0]); ok {
			t, parents = form, parents[1:]
		}
	}
	for _, part := range parents {
		f, ok := fieldByTag(t, part)
		if !ok {
			return ""
		}
		t = f.Type
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("toml"); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	sort.Strings(names)
	return "; known keys here: " + strings.Join(names, ", ")
}

// handDecoded returns the type the `payouts` or `payments` key was decoded
// into, by the form it took: its array form lists existing payouts or
// payments, its table form holds the settings and `existing`.
func (sc *Scenario) handDecoded(key string) (reflect.Type, bool) {
	switch key {
	case "payouts":
		if sc.payoutsTable == "payouts" {
			return reflect.TypeOf(Payout{}), true
		}
		return reflect.TypeOf(PayoutSettings{}), true
	case "payments":
		if sc.paymentsTable == "payments" {
			return reflect.TypeOf(Payment{}), true
		}
		return reflect.TypeOf(PaymentSettings{}), true
	}
	return nil, false
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("toml") == tag {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}
