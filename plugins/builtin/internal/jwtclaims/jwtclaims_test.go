package jwtclaims

import (
	"encoding/base64"
	"testing"
	"time"
)

func token(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestDecode(t *testing.T) {
	iat := time.Date(2024, 12, 2, 0, 0, 0, 0, time.UTC)
	exp := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		tok      string
		ok       bool
		sub      string
		iat, exp *time.Time
	}{
		{"all claims", token(`{"sub":"svc","iat":1733097600,"exp":1924992000}`), true, "svc", &iat, &exp},
		{"no times", token(`{"sub":"svc"}`), true, "svc", nil, nil},
		{"absurd iat", token(`{"iat":1e300,"exp":-5}`), true, "", nil, nil},
		{"not JSON", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig", false, "", nil, nil},
		{"two parts", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", false, "", nil, nil},
		{"not base64", "a.b!c.d", false, "", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Decode(c.tok)
			if ok != c.ok || got.Subject != c.sub || !same(got.IssuedAt, c.iat) || !same(got.ExpiresAt, c.exp) {
				t.Fatalf("Decode = %+v, %v; want sub %q iat %v exp %v ok %v", got, ok, c.sub, c.iat, c.exp, c.ok)
			}
		})
	}
}

func same(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
