package page

import (
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// Lang normalises pg_language to one of the page languages: "ru" (the
// default, also for an empty or unknown value), "en", "kz" (also written
// "kk", its ISO 639-1 code), "uz" and "kg" (Kyrgyz; also "ky"). Case,
// spaces and a region ("en-US") do not matter.
func Lang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "en", "uz", "kz", "kg":
		return s
	case "kk":
		return "kz"
	case "ky":
		return "kg"
	}
	return "ru"
}

// texts are the words of the pages in one language.
type texts struct {
	HTMLLang string // BCP 47 code for <html lang>
	Sandbox  string // the banner on every page

	PaymentTitle, Merchant, Order, Amount, Description, PaymentID, PayBefore string
	CardNumber, CardHolder, Expiry, Month, Year, CVC, Pay                    string
	TestCards, TestCardsNote, Outcome                                        string

	ACSTitle, ACSIntro, Card, Confirm, Fail string

	SuccessTitle, FailureTitle, Back, RedirectIn, RedirectNow string

	NotFoundTitle, NotFoundMessage, ExpiredTitle, ExpiredMessage, PaidTitle, PaidMessage string
	BusyTitle, BusyMessage                                                               string

	// The card-storage page (cardstorage/add).
	CardTitle, CardIntro, User, Save                                       string
	CardNotFoundTitle, CardNotFoundMessage, CardUsedTitle, CardUsedMessage string
	// A test card's outcome: OutcomeDeclined takes the error code (%d).
	OutcomeSuccess, Outcome3DS, OutcomeDeclined string

	// What is wrong with a card as typed (ledger.CardProblem), said
	// above the card form shown again.
	ProblemNumberLength, ProblemNumberLuhn, ProblemExpMonth, ProblemExpYear, ProblemCVC, ProblemHolder, ProblemHolderChars string
}

// problem says card problem p in these texts' language; "" for
// ledger.CardOK, and in English (p.String) one the page has no words for.
func (t *texts) problem(p ledger.CardProblem) string {
	switch p {
	case ledger.CardOK:
		return ""
	case ledger.CardNumberLength:
		return t.ProblemNumberLength
	case ledger.CardNumberLuhn:
		return t.ProblemNumberLuhn
	case ledger.CardExpMonth:
		return t.ProblemExpMonth
	case ledger.CardExpYear:
		return t.ProblemExpYear
	case ledger.CardCVC:
		return t.ProblemCVC
	case ledger.CardHolderLong:
		return t.ProblemHolder
	case ledger.CardHolderChars:
		return t.ProblemHolderChars
	}
	return p.String()
}

// textsOf is the texts of pg_language s.
func textsOf(s string) *texts { return languages[Lang(s)] }

// languages holds the texts by Lang's codes. RedirectIn takes the seconds
// (%d). Uzbek is written in the Latin script, as FreedomPay's Uzbek pages
// are. The Kyrgyz texts have not been checked by a native speaker; where
// one is wrong, the Russian text is the safe replacement (Russian is an
// official language of Kyrgyzstan).
var languages = map[string]*texts{
	"ru": {
		HTMLLang: "ru", Sandbox: "Песочница — без реальных денег",
		PaymentTitle: "Оплата", Merchant: "Магазин", Order: "Заказ", Amount: "Сумма", Description: "Описание",
		PaymentID: "Номер платежа", PayBefore: "Оплатить до",
		CardNumber: "Номер карты", CardHolder: "Имя держателя карты", Expiry: "Срок действия",
		Month: "Месяц", Year: "Год", CVC: "CVC/CVV", Pay: "Оплатить",
		TestCards: "Тестовые карты", TestCardsNote: "Результат зависит от номера карты.", Outcome: "Результат",
		ACSTitle: "Подтверждение платежа",
		ACSIntro: "Ваш банк просит подтвердить платёж (3\u2011D\u00a0Secure). В песочнице код не отправляется: " +
			"«Подтвердить»\u00a0— верный код, «Отклонить»\u00a0— неверный.",
		Card: "Карта", Confirm: "Подтвердить", Fail: "Отклонить",
		SuccessTitle: "Оплата прошла успешно", FailureTitle: "Оплата не прошла", Back: "Вернуться в магазин",
		RedirectIn: "Вы вернётесь в магазин через %d с.", RedirectNow: "Возвращаемся в магазин…",
		NotFoundTitle: "Платёж не найден", NotFoundMessage: "Такого платежа нет, или ссылка неверна.",
		ExpiredTitle: "Время оплаты истекло", ExpiredMessage: "Срок оплаты истёк. Вернитесь в магазин и начните заново.",
		PaidTitle: "Уже оплачено", PaidMessage: "Этот платёж уже проведён.",
		BusyTitle: "Платёж обрабатывается", BusyMessage: "Карта для этого платежа уже отправлена и обрабатывается. Обновите страницу через несколько секунд.",
		CardTitle: "Сохранение карты", CardIntro: "Карта будет сохранена для оплат в этом магазине. Деньги не списываются.",
		User: "Пользователь", Save: "Сохранить карту",
		CardNotFoundTitle: "Страница не найдена", CardNotFoundMessage: "Такой страницы сохранения карты нет, или ссылка неверна.",
		CardUsedTitle: "Карта уже сохранена", CardUsedMessage: "На этой странице карта уже сохранена; другую карту она не принимает.",
		OutcomeSuccess: "успех", Outcome3DS: "успех после 3-D Secure", OutcomeDeclined: "отказ %d",
		ProblemNumberLength: "Номер карты должен состоять из 13–19 цифр.",
		ProblemNumberLuhn:   "Номер карты неверен: проверьте, нет ли опечатки.",
		ProblemExpMonth:     "Месяц должен быть от 01 до 12.",
		ProblemExpYear:      "Год должен состоять из двух или четырёх цифр.",
		ProblemCVC:          "CVC/CVV должен состоять из 3 или 4 цифр.",
		ProblemHolder:       "Имя держателя карты должно быть не длиннее 100 символов.",
		ProblemHolderChars:  "Имя держателя карты может содержать только буквы, пробелы и знаки препинания.",
	},
	"en": {
		HTMLLang: "en", Sandbox: "Sandbox — no real money",
		PaymentTitle: "Payment", Merchant: "Merchant", Order: "Order", Amount: "Amount", Description: "Description",
		PaymentID: "Payment no.", PayBefore: "Pay before",
		CardNumber: "Card number", CardHolder: "Cardholder name", Expiry: "Expiry date",
		Month: "Month", Year: "Year", CVC: "CVC/CVV", Pay: "Pay",
		TestCards: "Test cards", TestCardsNote: "The card number decides the outcome.", Outcome: "Outcome",
		ACSTitle: "Payment confirmation",
		ACSIntro: "Your bank asks you to confirm this payment (3\u2011D\u00a0Secure). The sandbox sends no code: " +
			"“Confirm” acts as the right code, “Fail” as a wrong one.",
		Card: "Card", Confirm: "Confirm", Fail: "Fail",
		SuccessTitle: "Payment successful", FailureTitle: "Payment failed", Back: "Return to the store",
		RedirectIn: "You will be taken back to the store in %d s.", RedirectNow: "Taking you back to the store…",
		NotFoundTitle: "Payment not found", NotFoundMessage: "There is no such payment, or the link is wrong.",
		ExpiredTitle: "Time to pay is over", ExpiredMessage: "The time to pay has run out. Return to the store and start again.",
		PaidTitle: "Already paid", PaidMessage: "This payment has already been made.",
		BusyTitle: "Payment in progress", BusyMessage: "A card for this payment has been sent and is being processed. Reload this page in a few seconds.",
		CardTitle: "Save a card", CardIntro: "The card is saved for payments to this merchant. No money is taken.",
		User: "User", Save: "Save the card",
		CardNotFoundTitle: "Page not found", CardNotFoundMessage: "There is no such card page, or the link is wrong.",
		CardUsedTitle: "Card already saved", CardUsedMessage: "A card has been saved on this page; it takes no other.",
		OutcomeSuccess: "success", Outcome3DS: "success after 3-D Secure", OutcomeDeclined: "declined %d",
		ProblemNumberLength: "The card number must be 13 to 19 digits.",
		ProblemNumberLuhn:   "The card number is not valid: check it for a typing error.",
		ProblemExpMonth:     "The month must be 01 to 12.",
		ProblemExpYear:      "The year must be two or four digits.",
		ProblemCVC:          "The CVC/CVV must be 3 or 4 digits.",
		ProblemHolder:       "The cardholder name must be at most 100 characters.",
		ProblemHolderChars:  "The cardholder name may hold only letters, spaces and punctuation.",
	},
	"kz": {
		HTMLLang: "kk", Sandbox: "Тест ортасы — нақты ақша қолданылмайды",
		PaymentTitle: "Төлем", Merchant: "Дүкен", Order: "Тапсырыс", Amount: "Сома", Description: "Сипаттама",
		PaymentID: "Төлем нөмірі", PayBefore: "Төлеу мерзімі",
		CardNumber: "Карта нөмірі", CardHolder: "Карта иесінің аты", Expiry: "Жарамдылық мерзімі",
		Month: "Ай", Year: "Жыл", CVC: "CVC/CVV", Pay: "Төлеу",
		TestCards: "Тест карталары", TestCardsNote: "Нәтиже карта нөміріне байланысты.", Outcome: "Нәтиже",
		ACSTitle: "Төлемді растау",
		ACSIntro: "Банкіңіз бұл төлемді растауды сұрайды (3\u2011D\u00a0Secure). Тест ортасында код жіберілмейді: " +
			"«Растау»\u00a0— дұрыс код, «Қабылдамау»\u00a0— қате код.",
		Card: "Карта", Confirm: "Растау", Fail: "Қабылдамау",
		SuccessTitle: "Төлем сәтті өтті", FailureTitle: "Төлем өтпеді", Back: "Дүкенге оралу",
		RedirectIn: "%d с кейін дүкенге ораласыз.", RedirectNow: "Дүкенге қайтарылуда…",
		NotFoundTitle: "Төлем табылмады", NotFoundMessage: "Мұндай төлем жоқ немесе сілтеме қате.",
		ExpiredTitle: "Төлем уақыты өтті", ExpiredMessage: "Төлеу мерзімі аяқталды. Дүкенге оралып, қайта бастаңыз.",
		PaidTitle: "Төленіп қойған", PaidMessage: "Бұл төлем бұрын жасалған.",
		BusyTitle: "Төлем өңделуде", BusyMessage: "Бұл төлемнің картасы жіберілді және өңделуде. Бірнеше секундтан кейін бетті жаңартыңыз.",
		CardTitle: "Картаны сақтау", CardIntro: "Карта осы дүкендегі төлемдер үшін сақталады. Ақша шешілмейді.",
		User: "Пайдаланушы", Save: "Картаны сақтау",
		CardNotFoundTitle: "Бет табылмады", CardNotFoundMessage: "Мұндай картаны сақтау беті жоқ немесе сілтеме қате.",
		CardUsedTitle: "Карта сақталып қойған", CardUsedMessage: "Бұл бетте карта сақталған; басқа карта қабылданбайды.",
		OutcomeSuccess: "сәтті", Outcome3DS: "3-D Secure кейін сәтті", OutcomeDeclined: "бас тартылды %d",
		ProblemNumberLength: "Карта нөмірі 13–19 цифрдан тұруы керек.",
		ProblemNumberLuhn:   "Карта нөмірі қате: тексеріп, қайта енгізіңіз.",
		ProblemExpMonth:     "Ай 01–12 аралығында болуы керек.",
		ProblemExpYear:      "Жыл екі немесе төрт цифрдан тұруы керек.",
		ProblemCVC:          "CVC/CVV 3 немесе 4 цифрдан тұруы керек.",
		ProblemHolder:       "Карта иесінің аты 100 таңбадан аспауы керек.",
		ProblemHolderChars:  "Карта иесінің атында тек әріптер, бос орындар және тыныс белгілері болуы керек.",
	},
	"uz": {
		HTMLLang: "uz", Sandbox: "Sinov muhiti — haqiqiy pul ishlatilmaydi",
		PaymentTitle: "To‘lov", Merchant: "Do‘kon", Order: "Buyurtma", Amount: "Summa", Description: "Tavsif",
		PaymentID: "To‘lov raqami", PayBefore: "To‘lov muddati",
		CardNumber: "Karta raqami", CardHolder: "Karta egasining ismi", Expiry: "Amal qilish muddati",
		Month: "Oy", Year: "Yil", CVC: "CVC/CVV", Pay: "To‘lash",
		TestCards: "Test kartalari", TestCardsNote: "Natija karta raqamiga bog‘liq.", Outcome: "Natija",
		ACSTitle: "To‘lovni tasdiqlash",
		ACSIntro: "Bankingiz ushbu to‘lovni tasdiqlashni so‘raydi (3\u2011D\u00a0Secure). Sinov muhitida kod yuborilmaydi: " +
			"«Tasdiqlash»\u00a0— to‘g‘ri kod, «Rad etish»\u00a0— noto‘g‘ri kod.",
		Card: "Karta", Confirm: "Tasdiqlash", Fail: "Rad etish",
		SuccessTitle: "To‘lov muvaffaqiyatli o‘tdi", FailureTitle: "To‘lov amalga oshmadi", Back: "Do‘konga qaytish",
		RedirectIn: "%d soniyadan so‘ng do‘konga qaytasiz.", RedirectNow: "Do‘konga qaytarilmoqda…",
		NotFoundTitle: "To‘lov topilmadi", NotFoundMessage: "Bunday to‘lov yo‘q yoki havola noto‘g‘ri.",
		ExpiredTitle: "To‘lov vaqti tugadi", ExpiredMessage: "To‘lov muddati o‘tdi. Do‘konga qaytib, qaytadan boshlang.",
		PaidTitle: "Allaqachon to‘langan", PaidMessage: "Bu to‘lov allaqachon amalga oshirilgan.",
		BusyTitle: "To‘lov amalga oshirilmoqda", BusyMessage: "Bu to‘lov uchun karta yuborildi va ishlov berilmoqda. Bir necha soniyadan keyin sahifani yangilang.",
		CardTitle: "Kartani saqlash", CardIntro: "Karta ushbu do‘kondagi to‘lovlar uchun saqlanadi. Pul yechilmaydi.",
		User: "Foydalanuvchi", Save: "Kartani saqlash",
		CardNotFoundTitle: "Sahifa topilmadi", CardNotFoundMessage: "Bunday kartani saqlash sahifasi yo‘q yoki havola noto‘g‘ri.",
		CardUsedTitle: "Karta allaqachon saqlangan", CardUsedMessage: "Bu sahifada karta saqlangan; boshqa karta qabul qilinmaydi.",
		OutcomeSuccess: "muvaffaqiyatli", Outcome3DS: "3-D Secure’dan keyin muvaffaqiyatli", OutcomeDeclined: "rad etildi %d",
		ProblemNumberLength: "Karta raqami 13–19 ta raqamdan iborat bo‘lishi kerak.",
		ProblemNumberLuhn:   "Karta raqami noto‘g‘ri: tekshirib, qayta kiriting.",
		ProblemExpMonth:     "Oy 01–12 oralig‘ida bo‘lishi kerak.",
		ProblemExpYear:      "Yil ikki yoki to‘rt raqamdan iborat bo‘lishi kerak.",
		ProblemCVC:          "CVC/CVV 3 yoki 4 ta raqamdan iborat bo‘lishi kerak.",
		ProblemHolder:       "Karta egasining ismi 100 ta belgidan oshmasligi kerak.",
		ProblemHolderChars:  "Karta egasining ismida faqat harflar, bo‘sh joylar va tinish belgilari bo‘lishi mumkin.",
	},
	"kg": {
		HTMLLang: "ky", Sandbox: "Сыноо чөйрөсү — чыныгы акча колдонулбайт",
		PaymentTitle: "Төлөм", Merchant: "Дүкөн", Order: "Буйрутма", Amount: "Сумма", Description: "Сүрөттөмө",
		PaymentID: "Төлөмдүн номери", PayBefore: "Төлөө мөөнөтү",
		CardNumber: "Картанын номери", CardHolder: "Карта ээсинин аты", Expiry: "Жарактуулук мөөнөтү",
		Month: "Ай", Year: "Жыл", CVC: "CVC/CVV", Pay: "Төлөө",
		TestCards: "Тест карталары", TestCardsNote: "Жыйынтык картанын номерине жараша болот.", Outcome: "Жыйынтык",
		ACSTitle: "Төлөмдү ырастоо",
		ACSIntro: "Банкыңыз бул төлөмдү ырастоону суранат (3\u2011D\u00a0Secure). Сыноо чөйрөсүндө код жөнөтүлбөйт: " +
			"«Ырастоо»\u00a0— туура код, «Четке кагуу»\u00a0— туура эмес код.",
		Card: "Карта", Confirm: "Ырастоо", Fail: "Четке кагуу",
		SuccessTitle: "Төлөм ийгиликтүү өттү", FailureTitle: "Төлөм өткөн жок", Back: "Дүкөнгө кайтуу",
		RedirectIn: "%d секунддан кийин дүкөнгө кайтасыз.", RedirectNow: "Дүкөнгө кайтарылууда…",
		NotFoundTitle: "Төлөм табылган жок", NotFoundMessage: "Мындай төлөм жок же шилтеме туура эмес.",
		ExpiredTitle: "Төлөө убактысы бүттү", ExpiredMessage: "Төлөө мөөнөтү өттү. Дүкөнгө кайтып, кайра баштаңыз.",
		PaidTitle: "Мурда төлөнгөн", PaidMessage: "Бул төлөм мурда жүргүзүлгөн.",
		BusyTitle: "Төлөм иштетилүүдө", BusyMessage: "Бул төлөмдүн картасы жөнөтүлдү жана иштетилүүдө. Бир нече секунддан кийин бетти жаңыртыңыз.",
		CardTitle: "Картаны сактоо", CardIntro: "Карта бул дүкөндөгү төлөмдөр үчүн сакталат. Акча алынбайт.",
		User: "Колдонуучу", Save: "Картаны сактоо",
		CardNotFoundTitle: "Бет табылган жок", CardNotFoundMessage: "Мындай картаны сактоо бети жок же шилтеме туура эмес.",
		CardUsedTitle: "Карта мурда сакталган", CardUsedMessage: "Бул бетте карта сакталган; башка карта кабыл алынбайт.",
		OutcomeSuccess: "ийгиликтүү", Outcome3DS: "3-D Secure’ден кийин ийгиликтүү", OutcomeDeclined: "четке кагылды %d",
		ProblemNumberLength: "Картанын номери 13–19 сандан турушу керек.",
		ProblemNumberLuhn:   "Картанын номери туура эмес: текшерип, кайра киргизиңиз.",
		ProblemExpMonth:     "Ай 01–12 аралыгында болушу керек.",
		ProblemExpYear:      "Жыл эки же төрт сандан турушу керек.",
		ProblemCVC:          "CVC/CVV 3 же 4 сандан турушу керек.",
		ProblemHolder:       "Карта ээсинин аты 100 белгиден ашпашы керек.",
		ProblemHolderChars:  "Карта ээсинин атында тамгалар, боштуктар жана тыныш белгилери гана болушу керек.",
	},
}
