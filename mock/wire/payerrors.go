package wire

import "sort"

// Codes a payment can fail with (payments.md §6), beside the ones payouts
// share (10000, 10001).
const (
	Code3DSFailed      = 10004 // 3DS code not entered or wrong
	CodeBadCardData    = 10005 // wrong card data
	CodeInsufficientPM = 10009 // insufficient funds on the card
	CodeCardExpired    = 10017 // the card has expired
	CodeLifetimeOver   = 10018 // the payment's lifetime is over
	CodeNotAvailable   = 10019 // operation refused (another card)
	Code3DSTechnical   = 8889  // 3-D Secure technical error
)

// Codes that refuse a capture or a cancel (payments.md §6); each reply is
// signed, as every business error is.
const (
	CodeCancelRefused   = 10012 // the payment cannot be cancelled (captured)
	CodeCancelledBefore = 10033 // the payment was cancelled before
	CodeClearingFailed  = 10035 // a payment that did not succeed cannot be captured
	CodeClearedBefore   = 10036 // the payment was captured before
	CodeCancelFailed    = 9013  // a payment that did not succeed cannot be cancelled
)

// Codes that refuse a refund (payments.md §6). A refund of a payment that
// did not succeed has no code of its own: it answers CodeCancelFailed, the
// revoke of an unsuccessful payment (docs/choices.md).
const (
	CodeRefundExceeds   = 10020 // the refund is more than remains of the payment
	CodeRefundNeedsHold = 10034 // the payment is held: capture it first
	CodeRefundedBefore  = 11018 // the payment is refunded in full already
)

// paymentTexts are the texts a payment's failure carries, as the gateway
// returns them (payments.md §6: DUMP's text where it gives one).
var paymentTexts = map[int]string{
	CodeUnavailable:    "Ошибка оплаты. Повторите попытку позже.",
	CodeContactBank:    "Ошибка оплаты. Обратитесь в банк выпустивший карту",
	Code3DSFailed:      "3DS код карты списания не введен или введен некорректно. Повторите попытку.",
	CodeBadCardData:    "Неверно указаны карточные данные",
	10008:              "Неверно введены данные карты. Попробуйте повторить оплату.",
	CodeInsufficientPM: "Недостаточно средств",
	CodeCardExpired:    "Срок действия карты истек.Просим оплатить с другой карты",
	CodeLifetimeOver:   "Время жизни платежа истекло, необходимо создать новый",
	CodeNotAvailable:   "Операция не выполнена. Попробуйте использовать другую карту",
	Code3DSTechnical:   "Ошибка прохождения 3D-Secure",
}

// InPaymentWords is err as a payment route answers it: an unknown
// merchant (9997) in the payment reference's words (payments.md §6: the
// payouts' reference gives it in English). Other errors are unchanged.
func InPaymentWords(err error) error {
	if e, ok := err.(*Error); ok && e.Code == CodeBadMerchant && e.Description == Text(CodeBadMerchant) {
		return &Error{Code: e.Code, Description: "Неверный номер магазина", Signed: e.Signed}
	}
	return err
}

// PaymentText returns the failure text of a payment's error code.
func PaymentText(code int) string {
	if t, ok := paymentTexts[code]; ok {
		return t
	}
	return Text(code)
}

// IsPaymentError reports whether a payment can fail with code.
func IsPaymentError(code int) bool {
	_, ok := paymentTexts[code]
	return ok
}

// PaymentErrorCodes lists the codes a payment can fail with, ascending.
func PaymentErrorCodes() []int {
	out := make([]int, 0, len(paymentTexts))
	for c := range paymentTexts {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// operationOnly are the codes that refuse an operation on a payment (a
// capture, a cancel, a refund) besides those a payment can fail with.
var operationOnly = []int{CodeCancelFailed, CodeSystem, CodeCancelRefused, CodeRefundExceeds, CodeCancelledBefore,
	CodeRefundNeedsHold, CodeClearingFailed, CodeClearedBefore, CodeRefundedBefore}

// OperationCodes lists, ascending, the codes a scenario may have an
// operation on a payment refused with: the payment error codes and the
// codes of captures, cancels and refunds (payments.md §6).
func OperationCodes() []int {
	out := append(PaymentErrorCodes(), operationOnly...)
	sort.Ints(out)
	return out
}

// OperationError is the signed reply refusing an operation on a payment
// with code, in the reference's words.
func OperationError(code int) *Error {
	return &Error{Code: code, Description: PaymentText(code), Signed: true}
}
