package gateway

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// OrderTimeLimitLayout is pg_order_time_limit's form, "Y-m-d H:i:s".
const OrderTimeLimitLayout = "2006-01-02 15:04:05"

// form reads a request's fields for a handler. Checks run in the order a
// handler calls them and stop at the first problem, which is what the
// gateway reports.
type form struct {
	fields sign.Fields
	err    error
}

// requireAll checks that every named field is present and not empty, in
// the order the docs list them. A missing pg_post_link is 9993.
func (f *form) requireAll(names ...string) {
	for _, n := range names {
		if f.err != nil {
			return
		}
		if v, ok := f.fields.Get(n); !ok || v == "" {
			if n == "pg_post_link" {
				f.err = wire.Errorf(wire.CodeNoPostLink, "Field pg_post_link is required: the payout notify goes there")
			} else {
				f.err = wire.Missing(n)
			}
		}
	}
}

func (f *form) str(name string) string { return f.fields.Value(name) }

func (f *form) fail(e *wire.Error) {
	if f.err == nil {
		f.err = e
	}
}

// orderID reads pg_order_id: at most 50 characters.
func (f *form) orderID() string {
	v := f.str("pg_order_id")
	if f.err == nil && utf8.RuneCountInString(v) > 50 {
		f.fail(wire.Malformed("pg_order_id", "at most 50 characters"))
	}
	return v
}

// amount reads pg_amount: 0.01 to 99999999, at most two decimals.
func (f *form) amount() money.Amount {
	v := f.str("pg_amount")
	a, err := money.Parse(v)
	if f.err == nil && (err != nil || a < 1 || a > money.Max) {
		f.fail(wire.Malformed("pg_amount", "want 0.01 to 99999999 with at most two decimals, such as 1000 or 1000.50"))
	}
	return a
}

// description reads pg_description: 1 to 255 characters.
func (f *form) description() string {
	v := f.str("pg_description")
	if f.err == nil && utf8.RuneCountInString(v) > 255 {
		f.fail(wire.Malformed("pg_description", "at most 255 characters"))
	}
	return v
}

// MaxUserID bounds pg_user_id, which a payout keeps: FreedomPay documents
// no length; this is the length PHP gateways give a text column.
const MaxUserID = 255

// link reads a callback URL: see wire.CallbackURLProblem.
func (f *form) link(name string) string {
	v := f.str(name)
	if v == "" || f.err != nil {
		return v
	}
	if problem := wire.CallbackURLProblem(v); problem != "" {
		f.fail(wire.Malformed(name, problem))
	}
	return v
}

// userID reads an optional pg_user_id of at most MaxUserID characters.
func (f *form) userID() string {
	v := f.str("pg_user_id")
	if f.err == nil && utf8.RuneCountInString(v) > MaxUserID {
		f.fail(wire.Malformed("pg_user_id", "at most "+strconv.Itoa(MaxUserID)+" characters"))
	}
	return v
}

// currency reads an optional pg_currency, which must be the merchant's.
func (f *form) currency(merchant string) string {
	v := f.str("pg_currency")
	if v == "" {
		return merchant
	}
	if f.err == nil && v != merchant {
		f.fail(wire.Malformed("pg_currency", "the merchant's payout balance is in "+merchant))
	}
	return v
}

// card reads a card number: 13 to 20 digits passing the Luhn check, or the
// gateway's 10032.
func (f *form) card(name string) string {
	v := f.str(name)
	if f.err == nil && !ValidPAN(v) {
		f.fail(wire.Errorf(wire.CodeBadCard, "Wrong or nonexistent card number: %s must be 13 to 20 digits passing the Luhn check", name))
	}
	return v
}

// iban reads a Kazakh IBAN: "KZ" and 18 letters or digits.
func (f *form) iban(name string) string {
	v := f.str(name)
	if f.err == nil && !ValidIBAN(v) {
		f.fail(wire.Malformed(name, `want a Kazakh IBAN: "KZ" and 18 letters or digits, such as KZ86125KZT5004100100`))
	}
	return v
}

// digits checks that a field is exactly n digits (IIN/BIN 12, Kbe 2, KNP 3).
func (f *form) digits(name string, n int) string {
	v := f.str(name)
	if f.err == nil && (len(v) != n || !fixtures.IsDigits(v)) {
		f.fail(wire.Malformed(name, "want "+strconv.Itoa(n)+" digits"))
	}
	return v
}

// bic checks a bank BIC: 8 or 11 letters or digits.
func (f *form) bic(name string) string {
	v := f.str(name)
	if f.err == nil && ((len(v) != 8 && len(v) != 11) || !isAlnumUpper(v)) {
		f.fail(wire.Malformed(name, "want a bank BIC of 8 or 11 capital letters or digits, such as KCJBKZKX"))
	}
	return v
}

// timeLimit checks pg_order_time_limit's form, "Y-m-d H:i:s". The sandbox
// does not expire payouts, so a limit in the past is accepted.
func (f *form) timeLimit() {
	v := f.str("pg_order_time_limit")
	if _, err := time.Parse(OrderTimeLimitLayout, v); f.err == nil && err != nil {
		f.fail(wire.Malformed("pg_order_time_limit", `want "Y-m-d H:i:s", such as 2030-01-31 23:59:59`))
	}
}

// ValidPAN reports whether s is a card number: 13 to 20 digits that pass
// the Luhn check.
func ValidPAN(s string) bool { return fixtures.ValidPAN(s) }

// ValidIBAN reports whether s has the form of a Kazakh IBAN.
func ValidIBAN(s string) bool {
	return len(s) == 20 && strings.HasPrefix(s, "KZ") && isAlnumUpper(s[2:])
}

func isAlnumUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}
