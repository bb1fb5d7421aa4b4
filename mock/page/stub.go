package page

import (
	"errors"
	"fmt"
	"io"
)

// Temporary stand-in (removed when the page package lands).

func Lang(s string) string { return s }

type Field struct{ Name, Value string }
type TestCard struct{ Number, Outcome string }
type Payment struct {
	Lang, Merchant, OrderID, PaymentID, Description, Amount, Currency, Action string
	Frame                                                                     bool
	Error                                                                     string
	TestCards                                                                 []TestCard
	ExpiresAt                                                                 string
}
type ACS struct{ Lang, Action, Merchant, Amount, Currency, CardPAN, PaymentID string }
type Redirect struct {
	Lang    string
	Success bool
	Message string
	URL     string
	Method  string
	Fields  []Field
	Frame   bool
	Timeout int
}
type Notice struct{ Lang, Title, Message string }
type Templates struct{}

func New() *Templates { return &Templates{} }
func (t *Templates) Payment(w io.Writer, v Payment) error {
	_, err := fmt.Fprintf(w, "%+v", v)
	return err
}
func (t *Templates) ACS(w io.Writer, v ACS) error { _, err := fmt.Fprintf(w, "%+v", v); return err }
func (t *Templates) Redirect(w io.Writer, v Redirect) error {
	_, err := fmt.Fprintf(w, "%+v", v)
	return err
}
func (t *Templates) Notice(w io.Writer, v Notice) error {
	_, err := fmt.Fprintf(w, "%+v", v)
	return err
}
func RedirectURL(base string, fields []Field) string { return base }
func QRDataURL(text string) (string, error)          { return "", errors.New("stub") }
