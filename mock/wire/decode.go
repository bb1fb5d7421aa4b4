// Package wire is the pg_* wire format: it decodes a gateway request in any
// of the encodings FreedomPay accepts into ordered fields, encodes <response>
// XML replies, and holds the one table of error codes and texts.
package wire

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// FieldXML is the form field that carries a whole request as XML.
const FieldXML = "pg_xml"

// Encodings a request can arrive in.
const (
	EncForm      = "urlencoded"
	EncMultipart = "multipart"
	EncQuery     = "query"
	EncXMLField  = "pg_xml"
	EncXMLBody   = "xml"
	EncJSON      = "json" // an application/json object (see DecodeJSON)
)

// Request is a decoded gateway request.
type Request struct {
	// Fields are the message's fields as signed: pg_xml expanded, nested
	// tags and nested JSON values flattened, in order of appearance.
	Fields   sign.Fields
	Encoding string // one of the Enc constants
}

// ErrTooLarge is returned when the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// MaxFields bounds the fields of one request, as PHP's max_input_vars
// (1000) does at the gateway. It is counted while a request is read, so
// that no more than this many fields are ever built.
const MaxFields = 1000

// MaxNesting bounds the levels of brackets in a form field's name, as
// PHP's max_input_nesting_level (64) does at the gateway.
const MaxNesting = 64

// MaxFlatNameBytes bounds the names of a pg_xml document's fields once
// nested elements are flattened (each leaf is named after its whole path):
// leaves that share one long path would otherwise flatten to far more than
// the document. A real request stays well below it.
const MaxFlatNameBytes = 1 << 20

// tooManyFields is the error for a request with more than MaxFields
// fields, found while reading it.
func tooManyFields(what string) error {
	return Errorf(CodeValidation, "%s holds more than %d fields (PHP's max_input_vars would drop the rest)", what, MaxFields)
}

// checkName refuses a field name nested deeper than MaxNesting, in one
// pass over the name.
func checkName(name string) error {
	if n := sign.Nesting(name); n > MaxNesting {
		return Errorf(CodeValidation, "Field %s nests %d levels of brackets: at most %d (PHP's max_input_nesting_level would drop it)",
			strings.ToValidUTF8(Shorten(redact.Cards(name), 40), "?"), n, MaxNesting)
	}
	return nil
}

// textProblem says what is wrong with s as field text, in one pass: bytes
// that are not UTF-8, a NUL, or another character an XML reply cannot
// carry (controls other than tab, CR and LF; U+FFFE, U+FFFF). "" when fine.
func textProblem(s string) string {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < utf8.RuneSelf { // most bytes: printable ASCII
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "is not valid UTF-8: send text in UTF-8"
		case r == 0:
			return "holds a NUL byte"
		case (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF:
			return "holds a control character that an XML reply cannot carry"
		}
		i += size
	}
	return ""
}

// ErrSlowBody is returned when the body did not arrive within the server's
// read timeout.
var ErrSlowBody = errors.New("request body not received in time")

// maxXMLDepth bounds nesting inside pg_xml.
const maxXMLDepth = 32

// Decode reads a request: a GET query, an urlencoded or multipart POST body,
// a pg_xml field in either, a raw XML body, or a JSON object body. A POST
// with an empty body (of any Content-Type) falls back to its query string.
// Bodies over maxBody bytes fail with [ErrTooLarge]; anything unreadable
// fails with a 9403 *Error naming the problem.
func Decode(r *http.Request, maxBody int64) (Request, error) {
	var body []byte
	if r.ContentLength > maxBody {
		return Request{}, ErrTooLarge // said by its Content-Length: no need to wait for it
	}
	if r.Body != nil {
		var err error
		body, err = readAll(r.Body, r.ContentLength, maxBody)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return Request{}, ErrSlowBody
		}
		if err != nil {
			return Request{}, Errorf(CodeValidation, "Request body could not be read: %v", err)
		}
		if int64(len(body)) > maxBody {
			return Request{}, ErrTooLarge
		}
	}
	if err := checkHeaders(r); err != nil {
		return Request{}, err
	}
	req, err := decodeBody(r, body)
	if err != nil {
		return Request{}, err
	}
	if req.Encoding != EncQuery && r.URL.RawQuery != "" {
		if err := checkQuery(r.URL.RawQuery); err != nil {
			return Request{}, err
		}
	}
	if req.Encoding != EncXMLBody && req.Encoding != EncJSON {
		// PHP renames what it reads from a form, not what json_decode or
		// an XML parser reads.
		req.Fields = phpNames(req.Fields)
	}
	if xmlText, ok := req.Fields.Get(FieldXML); ok {
		fields, err := DecodeXML([]byte(xmlText))
		if err != nil {
			return Request{}, err
		}
		req = Request{Fields: fields, Encoding: EncXMLField}
	}
	return req, checkFields(req.Fields)
}

// checkHeaders refuses a body that could be read two ways: two different
// Content-Types, or a Content-Encoding (the gateway's web server does not
// decompress request bodies; the sandbox would read the bytes as they
// came).
func checkHeaders(r *http.Request) error {
	if ct := r.Header["Content-Type"]; len(ct) > 1 && slices.ContainsFunc(ct[1:], func(c string) bool { return c != ct[0] }) {
		return Errorf(CodeValidation, "Content-Type is given %d times with different values; send one", len(ct))
	}
	for _, ce := range r.Header["Content-Encoding"] {
		if !strings.EqualFold(strings.TrimSpace(ce), "identity") {
			return Errorf(CodeValidation, "Content-Encoding %q is not accepted; send the body uncompressed", Shorten(ce, 40))
		}
	}
	return nil
}

// checkQuery refuses pg_ fields in the query string of a request whose
// fields are in its body: whether the gateway reads them (PHP's $_REQUEST)
// or not ($_POST) is not known, and the two readings differ.
func checkQuery(raw string) error {
	fields, err := ParseQuery(raw)
	if err != nil {
		return err
	}
	for _, f := range phpNames(fields) {
		if strings.HasPrefix(f.Name, "pg_") {
			return Errorf(CodeValidation, "Field %s is in the query string of a request with a body; send every field in the body", Shorten(f.Name, 40))
		}
	}
	return nil
}

// phpNames renames fields as PHP does when it reads a form: leading spaces
// dropped, and spaces and dots before the first "[" made "_", so that
// "pg.order_id" is pg_order_id here too (and a second pg_order_id). A name
// left empty is dropped, as PHP drops it.
func phpNames(fields sign.Fields) sign.Fields {
	out := fields[:0]
	for _, f := range fields {
		if keptAsIs(f.Name) { // most names: one look at each byte
			out = append(out, f)
			continue
		}
		base, rest := f.Name, ""
		if j := strings.IndexByte(base, '['); j >= 0 {
			base, rest = base[:j], base[j:]
		}
		trimmed := strings.TrimLeft(base, " ")
		if trimmed == "" {
			continue // "[x]", " [y]": PHP drops a field whose name is empty
		}
		renamed := len(trimmed) != len(base)
		if rest != "" && !strings.Contains(rest, "]") {
			// An unmatched "[" is no list: PHP makes it "_", and spaces,
			// dots and "[" after it too ("pg[order_id").
			trimmed, rest, renamed = trimmed+phpBracketReplacer.Replace(rest), "", true
		}
		if strings.ContainsAny(trimmed, " .") {
			trimmed, renamed = phpReplacer.Replace(trimmed), true
		}
		if renamed { // most names are kept as they came, without a copy
			f.Name = trimmed + rest
		}
		out = append(out, f)
	}
	return out
}

// keptAsIs reports whether PHP reads a field name as it is: not empty, no
// space, dot or "[" in it.
func keptAsIs(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case ' ', '.', '[':
			return false
		}
	}
	return name != ""
}

var (
	phpReplacer        = strings.NewReplacer(" ", "_", ".", "_")
	phpBracketReplacer = strings.NewReplacer(" ", "_", ".", "_", "[", "_")
)

// checkFields refuses what would be read one way here and another way by
// the gateway's own stack: text that is not UTF-8 or holds a control
// character (see textProblem), more fields than PHP takes, and a
// field given twice with different values (PHP keeps the last, this
// sandbox would read the first). A field repeated with the same value is
// kept, and signed in order of appearance (spec §2); names ending in "[]"
// are lists and may repeat freely.
func checkFields(fields sign.Fields) error {
	if len(fields) > MaxFields {
		return Errorf(CodeValidation, "%d fields: at most %d (PHP's max_input_vars would drop the rest)", len(fields), MaxFields)
	}
	var seen map[string]string // past a few fields; below, a scan is cheaper
	if len(fields) > 16 {
		seen = make(map[string]string, len(fields))
	}
	for i, f := range fields {
		prev, again := seen[f.Name]
		if seen == nil {
			prev, again = earlier(fields[:i], f.Name)
		}
		name := func() string { return strings.ToValidUTF8(Shorten(redact.Cards(f.Name), 40), "?") } // only for a message
		problem := textProblem(f.Name)
		if problem == "" {
			problem = textProblem(f.Value)
		}
		switch {
		case problem != "":
			return Errorf(CodeValidation, "Field %q %s", name(), problem)
		case again && prev != f.Value && !strings.HasSuffix(f.Name, "[]"):
			return Errorf(CodeValidation, "Field %s is given twice with different values; which one counts is undefined: send it once", name())
		}
		if seen != nil {
			seen[f.Name] = f.Value
		}
	}
	return valueAndList(fields)
}

// valueAndList refuses a name given both as a value and as a list or group
// (pg_order_id=1&pg_order_id[]=2, pg_x[a]=1&pg_x[a][b]=2): PHP keeps
// whichever comes last.
func valueAndList(fields sign.Fields) error {
	var values map[string]bool
	for _, f := range fields {
		if strings.IndexByte(f.Name, '[') > 0 {
			if values == nil {
				values = make(map[string]bool, len(fields))
				for _, g := range fields {
					values[g.Name] = true
				}
			}
			for j := 1; j < len(f.Name); j++ { // pg_x and pg_x[a] of pg_x[a][b]
				if f.Name[j] == '[' && values[f.Name[:j]] {
					return Errorf(CodeValidation, "Field %s is given both as a value and as a list (%s); send one of them", Shorten(f.Name[:j], 40), Shorten(f.Name, 40))
				}
			}
		}
	}
	return nil
}

// earlier is the last value of the named field among fields.
func earlier(fields sign.Fields, name string) (string, bool) {
	for i := len(fields) - 1; i >= 0; i-- {
		if fields[i].Name == name {
			return fields[i].Value, true
		}
	}
	return "", false
}

// readAll reads a body of at most max bytes (one more tells it is over),
// sized by its Content-Length when it has one.
func readAll(body io.Reader, length, max int64) ([]byte, error) {
	size := int64(512)
	if length > 0 && length <= max {
		size = length + 1 // room for the read that finds the end
	}
	buf := make([]byte, 0, size)
	lr := io.LimitReader(body, max+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

const formType = "application/x-www-form-urlencoded"

// decodeForm reads an urlencoded body. PHP counts every "&"-separated part
// of a body, empty ones too (not a last empty one), against
// max_input_vars and drops what is past it, so more is refused here.
func decodeForm(body []byte) (Request, error) {
	if n := bytes.Count(bytes.TrimSuffix(body, []byte("&")), []byte("&")) + 1; n > MaxFields {
		return Request{}, Errorf(CodeValidation, "%d fields, empty ones included: at most %d (PHP's max_input_vars would drop the rest)", n, MaxFields)
	}
	// The body is the request's own, read by readAll and never written
	// again: its fields may share its bytes (ParseQuery copies them when
	// they would keep a large body alive) instead of a copy of it.
	fields, err := ParseQuery(unsafe.String(unsafe.SliceData(body), len(body)))
	return Request{Fields: fields, Encoding: EncForm}, err
}

func decodeBody(r *http.Request, body []byte) (Request, error) {
	if r.Method == http.MethodGet || len(bytes.TrimSpace(body)) == 0 {
		fields, err := ParseQuery(r.URL.RawQuery)
		return Request{Fields: fields, Encoding: EncQuery}, err
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return Request{}, Errorf(CodeValidation, "Content-Type is missing: send application/x-www-form-urlencoded (or multipart/form-data, application/json) with the body")
	}
	if ct == formType { // most requests: no parameters to parse
		return decodeForm(body)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return Request{}, Errorf(CodeValidation, "Content-Type %q does not parse", ct)
	}
	switch mt {
	case formType:
		return decodeForm(body)
	case "multipart/form-data":
		fields, err := parseMultipart(body, params["boundary"])
		return Request{Fields: fields, Encoding: EncMultipart}, err
	case "application/xml", "text/xml":
		fields, err := DecodeXML(body)
		return Request{Fields: fields, Encoding: EncXMLBody}, err
	case jsonType:
		fields, err := decodeJSONBody(body, params)
		return Request{Fields: fields, Encoding: EncJSON}, err
	}
	return Request{}, Errorf(CodeValidation, "Content-Type %s is not accepted; send application/x-www-form-urlencoded, multipart/form-data, application/json, application/xml or a pg_xml field", mt)
}

// ownCopies is the size of text past which ParseQuery gives every field a
// copy of its own: a name or value that needs no unescaping is otherwise a
// slice of the whole text, and a short field kept for long (an order id in
// a payout, a pg_sig in the journal) would keep all of a 1 MiB body alive.
const ownCopies = 4 << 10

// ParseQuery parses an urlencoded string keeping the order of fields, which
// url.ParseQuery loses.
func ParseQuery(s string) (sign.Fields, error) {
	var fields sign.Fields
	own := len(s) > ownCopies
	if s != "" {
		fields = make(sign.Fields, 0, min(strings.Count(s, "&")+1, MaxFields+1))
	}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err := errors.Join(err1, err2); err != nil {
			return nil, Errorf(CodeValidation, "Malformed urlencoded field %q", Shorten(redact.Cards(pair), 40))
		}
		if name == "" {
			continue // PHP drops a field without a name
		}
		if len(fields) == MaxFields {
			return nil, tooManyFields("The query string")
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		if own {
			name, value = strings.Clone(name), strings.Clone(value)
		}
		fields = append(fields, sign.Field{Name: name, Value: value})
	}
	return fields, nil
}

func parseMultipart(body []byte, boundary string) (sign.Fields, error) {
	if boundary == "" {
		return nil, Errorf(CodeValidation, "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var fields sign.Fields
	for parts := 0; ; parts++ {
		part, err := mr.NextRawPart() // as PHP: no quoted-printable decoding
		if err == io.EOF {
			return fields, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, Errorf(CodeValidation, "Malformed multipart body: a line before the first boundary or in a part's headers is too long (or the boundary %q is not in the body)", Shorten(boundary, 70))
		}
		if err != nil {
			return nil, Errorf(CodeValidation, "Malformed multipart body: %v", err)
		}
		if parts == MaxFields {
			return nil, tooManyFields("The multipart body")
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return nil, Errorf(CodeValidation, "Malformed multipart body: %v", err)
		}
		if cd := part.Header.Get("Content-Disposition"); cd != "" {
			if _, _, err := mime.ParseMediaType(cd); err != nil {
				return nil, Errorf(CodeValidation, "Malformed multipart body: a part's Content-Disposition does not parse (%v)", err)
			}
		}
		if part.FormName() == "" || part.FileName() != "" {
			continue // PHP puts file parts in $_FILES, not among the fields
		}
		if err := checkName(part.FormName()); err != nil {
			return nil, err
		}
		fields = append(fields, sign.Field{Name: part.FormName(), Value: string(value)})
	}
}

// DecodeXML reads a pg_xml document, <request> with one element per field,
// into flat fields: nested elements are flattened as FreedomPay signs them
// (see sign.FlattenNodes). The root's name is not checked.
func DecodeXML(data []byte) (sign.Fields, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		return nil, fmt.Errorf("charset %s is not supported; send utf-8", charset)
	}
	leaves := 0
	root, err := readElement(d, nil, 0, &leaves)
	if leaves > MaxFields {
		return nil, tooManyFields("The pg_xml document")
	}
	if err != nil {
		return nil, Errorf(CodeValidation, "Malformed pg_xml: %v", err)
	}
	if root == nil {
		return nil, Errorf(CodeValidation, "Malformed pg_xml: no root element")
	}
	if err := endOfDocument(d); err != nil {
		return nil, Errorf(CodeValidation, "Malformed pg_xml: %v", err)
	}
	if n := sign.FlatNameBytes(root.Children); n > MaxFlatNameBytes {
		return nil, Errorf(CodeValidation, "pg_xml's nested element names add up to %d bytes once flattened: at most %d", n, MaxFlatNameBytes)
	}
	return sign.FlattenNodes(root.Children), nil
}

// endOfDocument checks that only comments, processing instructions and
// white space follow the root element, as an XML parser requires.
func endOfDocument(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("element <%s> after the root element; a document has one root", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text %q after the root element", Shorten(string(t), 40))
			}
		}
	}
}

// readElement reads up to the next element (start == nil) or the content of
// the element start opened, returning it as a node. It counts the leaves
// read in *leaves and stops past MaxFields of them.
func readElement(d *xml.Decoder, start *xml.StartElement, depth int, leaves *int) (*sign.Node, error) {
	if depth > maxXMLDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxXMLDepth)
	}
	var n *sign.Node
	if start != nil {
		n = &sign.Node{Name: start.Name.Local}
	}
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if start != nil {
				return nil, fmt.Errorf("element <%s> is not closed", start.Name.Local)
			}
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" {
				// Read by local name, <x:pg_amount> would count here
				// as pg_amount and may not at the gateway.
				return nil, fmt.Errorf("element <%s:%s> is in a namespace; send plain element names", t.Name.Space, t.Name.Local)
			}
			child, err := readElement(d, &t, depth+1, leaves)
			if err != nil {
				return nil, err
			}
			if start == nil {
				return child, nil
			}
			n.Children = append(n.Children, *child)
		case xml.CharData:
			if start != nil {
				text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("text %q before the root element", Shorten(string(t), 40))
			}
		case xml.EndElement:
			if len(n.Children) == 0 {
				if *leaves++; *leaves > MaxFields {
					return nil, errTooMany
				}
			}
			n.Value = text.String()
			return n, nil
		}
	}
}

// errTooMany stops reading a document past MaxFields leaves.
var errTooMany = errors.New("too many fields")

// Shorten cuts s to at most n bytes with "…", for a text that a message
// quotes back. The cut steps back to the start of a character it would split;
// nothing before it is dropped or changed, so an invalid byte stays where it
// was (a quoting %q shows it) and never joins the text around it.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for back := 0; cut > 0 && back < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]); back++ {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = max(n, 0) // no character starts near the cut: s is not UTF-8 there
	}
	return s[:cut] + "…"
}
