package fleet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA signs leaf certificates for TLS servers on 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "opsdeck test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return &testCA{cert: cert, key: key, file: file}
}

// serve starts a TLS server on 127.0.0.1 with a certificate for names,
// valid until notAfter; it returns host:port.
func (ca *testCA) serve(t *testing.T, names []string, notAfter time.Time) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestCertCheck(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	day := 24 * time.Hour
	uu := map[string]struct {
		names    []string
		notAfter time.Time
		sni      string
		caFile   bool
		want     State
		reason   string
	}{
		"valid":          {[]string{"api.test"}, now.Add(60 * day), "api.test", true, OK, "valid until " + now.Add(60*day).UTC().Format("2006-01-02")},
		"10 days left":   {[]string{"api.test"}, now.Add(10*day + time.Hour), "api.test", true, Warn, "expires on " + now.Add(10*day+time.Hour).UTC().Format("2006-01-02") + ", in 10 day(s)"},
		"2 days left":    {[]string{"api.test"}, now.Add(2*day + time.Hour), "api.test", true, Crit, "expires on " + now.Add(2*day+time.Hour).UTC().Format("2006-01-02") + ", in 2 day(s)"},
		"expired":        {[]string{"api.test"}, now.Add(-day), "api.test", true, Crit, "expired on " + now.Add(-day).UTC().Format("2006-01-02")},
		"wrong name":     {[]string{"other.test"}, now.Add(60 * day), "api.test", true, Crit, "not api.test"},
		"unknown issuer": {[]string{"api.test"}, now.Add(60 * day), "api.test", false, Crit, "not trusted: signed by an unknown authority"},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			addr := ca.serve(t, u.names, u.notAfter)
			c := &Cert{Endpoint: addr, Name: u.sni, WarnDays: 14, CritDays: 3}
			if u.caFile {
				c.CAFile = ca.file
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			st := CheckCert(ctx, c)
			got := CertCheck(c, &st, time.Now())
			if got.State != u.want || !strings.Contains(got.Reason, u.reason) {
				t.Errorf("%s %q, want %s containing %q", got.State, got.Reason, u.want, u.reason)
			}
		})
	}
	t.Run("no TLS", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		c := &Cert{Endpoint: addr, WarnDays: 14, CritDays: 3}
		st := CheckCert(context.Background(), c)
		if got := CertCheck(c, &st, time.Now()); got.State != Crit || !strings.Contains(got.Reason, "no TLS handshake") {
			t.Errorf("%s %q", got.State, got.Reason)
		}
	})
}
