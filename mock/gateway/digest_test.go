package gateway

import (
	"crypto/md5"
	"encoding/hex"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

func fieldsOf(kv ...string) sign.Fields {
	var fs sign.Fields
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, sign.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

// digest is the same for the same fields in any order, whatever the salt
// and signature; another value, or a list's items in another order, is
// another digest.
func TestDigestIgnoresOrder(t *testing.T) {
	req := fieldsOf("pg_merchant_id", "9970", "pg_amount", "1", "cart", "c-1", "items[]", "a", "items[]", "b",
		"pg_salt", "s1", "pg_sig", "x1")
	want := digest(req)
	for _, c := range []struct {
		name string
		fs   sign.Fields
		same bool
	}{
		{"reversed", fieldsOf("pg_sig", "x1", "pg_salt", "s1", "items[]", "a", "items[]", "b", "cart", "c-1", "pg_amount", "1", "pg_merchant_id", "9970"), true},
		{"another salt and signature", fieldsOf("pg_merchant_id", "9970", "pg_amount", "1", "cart", "c-1", "items[]", "a", "items[]", "b", "pg_salt", "s2", "pg_sig", "x2"), true},
		{"no salt or signature", fieldsOf("cart", "c-1", "pg_amount", "1", "pg_merchant_id", "9970", "items[]", "a", "items[]", "b"), true},
		{"another value", fieldsOf("pg_merchant_id", "9970", "pg_amount", "2", "cart", "c-1", "items[]", "a", "items[]", "b"), false},
		{"a list in another order", fieldsOf("pg_merchant_id", "9970", "pg_amount", "1", "cart", "c-1", "items[]", "b", "items[]", "a"), false},
		{"a value moved to another name", fieldsOf("pg_merchant_id", "9970", "pg_amount", "1", "cart", "", "items[]", "a", "items[]", "b", "c-1", ""), false},
	} {
		if got := digest(c.fs); (got == want) != c.same {
			t.Errorf("%s: got digest %s, want it equal to %s: %v", c.name, got, want, c.same)
		}
	}
}

// orderedDigest is the digest as saved states hold it: MD5 over the
// fields query-escaped in request order, salt and signature left out.
func TestOrderedDigestIsTheSavedOne(t *testing.T) {
	sum := md5.Sum([]byte("pg_merchant_id=9970&pg_amount=1&note=a+b%26c&"))
	want := hex.EncodeToString(sum[:])
	if got := orderedDigest(fieldsOf("pg_merchant_id", "9970", "pg_salt", "s", "pg_amount", "1", "note", "a b&c", "pg_sig", "x")); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
