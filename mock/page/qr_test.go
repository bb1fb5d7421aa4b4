package page

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const qrText = "https://customer.freedompay.kz/pay.html?customer=0123456789abcdef0123456789abcdef"

// qrPNG is the PNG of a data URL from QRDataURL.
func qrPNG(t *testing.T, text string) []byte {
	t.Helper()
	u, err := QRDataURL(text)
	if err != nil {
		t.Fatalf("QRDataURL(%d bytes): %v", len(text), err)
	}
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(u, prefix) {
		t.Fatalf("QRDataURL = %.40q…, want it to start with %q", u, prefix)
	}
	b, err := base64.StdEncoding.DecodeString(u[len(prefix):])
	if err != nil {
		t.Fatalf("QRDataURL's base64: %v", err)
	}
	return b
}

func TestQRDataURL(t *testing.T) {
	for _, text := range []string{qrText, "1", strings.Repeat("x", MaxQRText)} {
		b := qrPNG(t, text)
		if ct := http.DetectContentType(b); ct != "image/png" {
			t.Errorf("%d bytes of text: content type %q, want image/png", len(text), ct)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%d bytes of text: %v", len(text), err)
		}
		if r := img.Bounds(); r.Dx() != QRSize || r.Dy() != QRSize {
			t.Errorf("%d bytes of text: %v, want %d×%d", len(text), r, QRSize, QRSize)
		}
	}
	a, b := qrPNG(t, qrText), qrPNG(t, qrText)
	if !bytes.Equal(a, b) {
		t.Errorf("two codes of one text differ")
	}
	if bytes.Equal(a, qrPNG(t, qrText+"0")) {
		t.Errorf("codes of two texts are the same")
	}
	if _, err := QRDataURL(strings.Repeat("x", MaxQRText+1)); err == nil {
		t.Errorf("QRDataURL(%d bytes) gave no error, want one", MaxQRText+1)
	}
}

// The code reads back as its text, by zbarimg (Debian package zbar-tools)
// where it is installed.
func TestQRReadsBack(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg is not installed (Debian package zbar-tools): the QR codes are not read back")
	}
	dir := t.TempDir()
	for i, text := range []string{qrText, "Оплата заказа 17", strings.Repeat("0123456789abcdef", MaxQRText/16)} {
		file := filepath.Join(dir, "qr"+string(rune('a'+i))+".png")
		if err := os.WriteFile(file, qrPNG(t, text), 0o600); err != nil {
			t.Fatal(err)
		}
		// -Sbinary: the bytes as they are; else zbar guesses the
		// encoding of non-ASCII text (Shift JIS for this Russian).
		out, err := exec.Command(zbar, "--raw", "-q", "-Sbinary", file).Output()
		if err != nil {
			t.Fatalf("zbarimg on %d bytes of text: %v", len(text), err)
		}
		if got := string(out); got != text {
			t.Errorf("zbarimg reads %.80q, want %.80q", got, text)
		}
	}
}
