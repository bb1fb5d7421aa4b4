package page

import (
	"encoding/base64"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// QR codes of pg_redirect_qr.
const (
	MaxQRText = 2048 // bytes of text a QR code takes; a payment page URL is far shorter
	QRSize    = 256  // the PNG's width and height in pixels
)

// QRDataURL returns "data:image/png;base64,…": a PNG QR code of text
// (pg_generate_qr), QRSize pixels square, medium error correction. The same
// text gives the same URL. Text longer than MaxQRText bytes is an error.
func QRDataURL(text string) (string, error) {
	if len(text) > MaxQRText {
		return "", fmt.Errorf("qr code: text of %d bytes, more than %d", len(text), MaxQRText)
	}
	png, err := qrcode.Encode(text, qrcode.Medium, QRSize)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
