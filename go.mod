module github.com/freedompay-mock/freedompay-mock

go 1.26

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/brianvoe/gofakeit/v6 v6.28.0
	github.com/chromedp/chromedp v0.14.2
	github.com/gorilla/mux v1.8.1
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e
)

require (
	github.com/chromedp/cdproto v0.0.0-20250724212937-08a3db8b4327 // indirect
	github.com/chromedp/sysutil v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20250725192818-e39067aee2d2 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/gobwas/ws v1.4.0 // indirect
	golang.org/x/sys v0.34.0 // indirect
)
