// Command goverify is the oracle of meshcert's differential test: it parses and verifies
// certificate chains with Go's own crypto/x509, the way linkerd does (pkg/tls Crt.Verify:
// roots = the trust anchors, intermediates = the rest of crt.pem, a DNS name for webhooks and
// none for the issuer, no key usages, so serverAuth). Standard library only.
//
// Input (stdin): a JSON array of cases. Output (stdout): a JSON array of verdicts, same order.
package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

type testCase struct {
	Name          string   `json:"name"`
	Roots         [][]byte `json:"roots"`
	Intermediates [][]byte `json:"intermediates"`
	Leaf          []byte   `json:"leaf"`
	DNSName       string   `json:"dnsName"`
	At            string   `json:"at"`
}

type verdict struct {
	Name  string   `json:"name"`
	Stage string   `json:"stage"` // "parse", "verify" or "ok"
	Error string   `json:"error,omitempty"`
	Chain []string `json:"chain,omitempty"` // sha256 of each certificate of the first chain
}

func parseAll(role string, ders [][]byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", role, i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func run(tc testCase) verdict {
	v := verdict{Name: tc.Name}
	roots, err := parseAll("root", tc.Roots)
	if err == nil {
		var inters []*x509.Certificate
		inters, err = parseAll("intermediate", tc.Intermediates)
		if err == nil {
			var leaf []*x509.Certificate
			leaf, err = parseAll("leaf", [][]byte{tc.Leaf})
			if err == nil {
				return verify(v, tc, roots, inters, leaf[0])
			}
		}
	}
	v.Stage = "parse"
	v.Error = err.Error()
	return v
}

func verify(v verdict, tc testCase, roots, inters []*x509.Certificate, leaf *x509.Certificate) verdict {
	at, err := time.Parse(time.RFC3339, tc.At)
	if err != nil {
		panic(err)
	}
	rootPool := x509.NewCertPool()
	for _, c := range roots {
		rootPool.AddCert(c)
	}
	interPool := x509.NewCertPool()
	for _, c := range inters {
		interPool.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         rootPool,
		Intermediates: interPool,
		DNSName:       tc.DNSName,
		CurrentTime:   at.UTC(),
	})
	if err != nil {
		v.Stage = "verify"
		v.Error = err.Error()
		return v
	}
	v.Stage = "ok"
	for _, c := range chains[0] {
		sum := sha256.Sum256(c.Raw)
		v.Chain = append(v.Chain, hex.EncodeToString(sum[:]))
	}
	return v
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "goverify: reading cases:", err)
		os.Exit(2)
	}
	out := make([]verdict, 0, len(cases))
	for _, tc := range cases {
		out = append(out, run(tc))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "goverify:", err)
		os.Exit(2)
	}
}
