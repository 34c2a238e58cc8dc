package testutil

import (
	"io"
	"net/http"
	"testing"
)

// GetOK fetches url and returns its body, failing the test unless the
// answer is 200 OK.
func GetOK(t testing.TB, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d %v", url, res.StatusCode, err)
	}
	return string(b)
}
