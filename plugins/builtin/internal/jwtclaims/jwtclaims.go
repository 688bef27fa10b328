// Package jwtclaims reads the non-secret claims of a JWT found on a host:
// who it names (sub), when it was issued (iat: the identity's age on the
// first scan) and when it expires (exp). It never verifies a signature and
// nothing else of the token leaves it.
package jwtclaims

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Claims are a JWT's subject and times; a time the token does not carry is nil.
type Claims struct {
	Subject   string
	IssuedAt  *time.Time
	ExpiresAt *time.Time
}

// Decode reads tok's claims; ok is false when tok is not a JWT (three
// dot-separated parts, the second a base64url JSON object).
func Decode(tok string) (c Claims, ok bool) {
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return Claims{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, false
	}
	var raw struct {
		Sub string  `json:"sub"`
		Iat float64 `json:"iat"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return Claims{}, false
	}
	return Claims{Subject: raw.Sub, IssuedAt: unix(raw.Iat), ExpiresAt: unix(raw.Exp)}, true
}

// unix turns a NumericDate into a time; absent, negative or absurd values
// (past year 9999, what ClickHouse cannot hold anyway) are no evidence.
func unix(v float64) *time.Time {
	if v <= 0 || math.IsNaN(v) || v > 253402300799 {
		return nil
	}
	t := time.Unix(int64(v), 0).UTC()
	return &t
}
