module github.com/freedompay-mock/freedompay-mock

go 1.26

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/brianvoe/gofakeit/v6 v6.28.0
	github.com/gorilla/mux v1.8.1
)
