package wire

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Error codes of the pg_* protocol (spec §5).
const (
	CodeBadSignatureNew = 1100  // invalid request signature (newer docs)
	CodeInsufficient    = 8888  // insufficient payout balance
	CodeValidation      = 9403  // a field is missing or malformed
	CodeNonUniqueOrder  = 9991  // non-unique order id
	CodeNotActivated    = 9992  // method not activated for the merchant
	CodeNoPostLink      = 9993  // post_link / result URL missing
	CodeBadMerchant     = 9997  // invalid merchant number
	CodeBadSignature    = 9998  // invalid request signature (older docs, live replies)
	CodeSystem          = 9999  // system error
	CodeUnavailable     = 10000 // payout failed: service unavailable, retry later
	CodeContactBank     = 10001 // payout failed: contact the issuing bank
	CodePayoutError     = 10026 // payout error
	CodeIBANUnavailable = 10029 // IBAN payouts currently unavailable
	CodeBadCard         = 10032 // wrong or nonexistent card number
	CodeNotFound        = 11068 // payment not found
)

// codeInfo is one row of the error table: the gateway's text, whether the
// reply is signed, and whether a payout can end with the code.
type codeInfo struct {
	text   string
	signed bool
	payout bool
}

// codes is the one table of error texts. Authentication failures and "not
// found" are unsigned (spec §5); other errors are signed once the caller is
// identified, unless the scenario turns that off.
var codes = map[int]codeInfo{
	CodeBadSignatureNew: {text: "Invalid request signature"},
	CodeBadSignature:    {text: "Некорректная подпись запроса"},
	CodeBadMerchant:     {text: "Invalid merchant number"},
	CodeNotFound:        {text: "Payment not found."},
	CodeValidation:      {text: "Validation error", signed: true},
	CodeNonUniqueOrder:  {text: "Non-unique order id", signed: true},
	CodeNotActivated:    {text: "Method not activated for the merchant", signed: true},
	CodeNoPostLink:      {text: "post_link is missing", signed: true},
	CodeSystem:          {text: "System error", signed: true, payout: true},
	CodeInsufficient:    {text: "Insufficient payout balance", signed: true, payout: true},
	CodeUnavailable:     {text: "Payout failed: service unavailable, retry later", signed: true, payout: true},
	CodeContactBank:     {text: "Payout failed: contact the issuing bank", signed: true, payout: true},
	CodePayoutError:     {text: "Payout error", signed: true, payout: true},
	CodeIBANUnavailable: {text: "IBAN payouts currently unavailable", signed: true, payout: true},
	CodeBadCard:         {text: "Wrong or nonexistent card number", signed: true, payout: true},
	// Captures and cancels of payments (payments.md §6).
	CodeCancelRefused:   {text: "Невозможно отменить транзакцию. Обратитесь в магазин", signed: true},
	CodeCancelledBefore: {text: "Ошибка отмены платежа, отмена уже была проведена ранее.", signed: true},
	CodeClearingFailed:  {text: "Ошибка платежа, не успешные платежи не могут пройти клиринг", signed: true},
	CodeClearedBefore:   {text: "Ошибка клиринга платежа, клиринг уже был проведен ранее", signed: true},
	CodeCancelFailed:    {text: "Ошибка отмены платежа, не успешные платежи нельзя отменить.", signed: true},
	// Refunds of payments (payments.md §6).
	CodeRefundExceeds:   {text: "Сумма возврата превышает сумму оплаты. Обратитесь в магазин", signed: true},
	CodeRefundNeedsHold: {text: "Ошибка возврата платежа, по платежу необходимо провести клиринг", signed: true},
	CodeRefundedBefore:  {text: "Платеж уже возвращен", signed: true},
}

// Text returns the gateway's description of an error code.
func Text(code int) string {
	if c, ok := codes[code]; ok {
		return c.text
	}
	return "Error " + strconv.Itoa(code)
}

// IsPayoutError reports whether a payout can end with code.
func IsPayoutError(code int) bool { return codes[code].payout }

// PayoutErrorCodes lists the codes a payout can end with, ascending.
func PayoutErrorCodes() []int {
	var out []int
	for c, info := range codes {
		if info.payout {
			out = append(out, c)
		}
	}
	sort.Ints(out)
	return out
}

// Error is a gateway error reply: pg_status=error with a code and text.
type Error struct {
	Code        int
	Description string
	// Signed replies carry pg_datetime, pg_salt and pg_sig. The adapter signs
	// only when it knows the caller's secret and the scenario allows it.
	Signed bool
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Description) }

// NewError returns the error for code with the table's text.
func NewError(code int) *Error {
	return &Error{Code: code, Description: Text(code), Signed: codes[code].signed}
}

// Errorf returns the error for code with a text of its own.
func Errorf(code int, format string, args ...any) *Error {
	e := NewError(code)
	e.Description = fmt.Sprintf(format, args...)
	return e
}

// Missing is the 9403 reply for an absent required field.
func Missing(field string) *Error {
	return Errorf(CodeValidation, "Field %s is required", field)
}

// Malformed is the 9403 reply for a field whose value does not parse.
func Malformed(field, want string) *Error {
	return Errorf(CodeValidation, "Field %s is invalid: %s", field, want)
}

// Fields returns the reply's fields before pg_datetime/pg_salt/pg_sig.
func (e *Error) Fields() sign.Fields {
	return sign.Fields{
		{Name: "pg_status", Value: "error"},
		{Name: "pg_error_code", Value: strconv.Itoa(e.Code)},
		{Name: "pg_error_description", Value: strings.TrimSpace(e.Description)},
	}
}

// Encode writes the error as an unsigned reply.
func (e *Error) Encode() []byte { return Encode(e.Fields()) }
