package fleet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// CertEvery is how often TLS endpoints are checked.
const CertEvery = 5 * time.Minute

// CheckCert connects to a TLS endpoint from this machine and reads its
// certificate. The handshake itself does not verify the chain — an expired
// or misnamed certificate must still be read to say how it is wrong — so
// the name and the chain are verified right after, against the system
// roots plus ca_file.
func CheckCert(ctx context.Context, c *Cert) CertStatus {
	st := CertStatus{Endpoint: c.Endpoint, Name: c.Name, CheckedAt: time.Now()}
	host, _, err := net.SplitHostPort(c.Endpoint)
	if err != nil {
		st.Err = err.Error()
		return st
	}
	if st.Name == "" {
		st.Name = host
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil || !roots.AppendCertsFromPEM(pem) {
			st.Err = fmt.Sprintf("ca_file %s: cannot load", c.CAFile)
			return st
		}
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{
		ServerName: st.Name,
		// Verified below, by hand: see the doc comment.
		InsecureSkipVerify: true, //nolint:gosec
	}}
	conn, err := d.DialContext(ctx, "tcp", c.Endpoint)
	if err != nil {
		st.Err = "no TLS handshake: " + Sanitize(err.Error(), 200)
		return st
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		st.Err = "no certificate presented"
		return st
	}
	leaf := certs[0]
	st.NotAfter = leaf.NotAfter
	st.Issuer = Sanitize(leaf.Issuer.CommonName, 100)
	if err := leaf.VerifyHostname(st.Name); err != nil {
		st.NameErr = Sanitize(err.Error(), 200)
	}
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	// Verify at a time inside the validity window: expiry is reported by
	// the dates, not as a trust failure.
	at := time.Now()
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter.Add(-time.Second)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at}); err != nil {
		var ue x509.UnknownAuthorityError
		if errors.As(err, &ue) {
			st.TrustErr = "signed by an unknown authority"
		} else {
			st.TrustErr = Sanitize(err.Error(), 200)
		}
	}
	return st
}

// WithCerts adds the host's TLS endpoints, checked from this machine every
// CertEvery apart from the polls, to the samples of src.
func WithCerts(src Source, h *Host) Source {
	if len(h.Certs) == 0 {
		return src
	}
	return &certSource{src: src, host: h, checks: NewPeriodic(CertEvery, certsTimeout, certsFirst, func(ctx context.Context) ([]CertStatus, error) {
		out := make([]CertStatus, len(h.Certs))
		var wg sync.WaitGroup
		for i := range h.Certs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = CheckCert(ctx, &h.Certs[i])
			}()
		}
		wg.Wait()
		return out, nil
	})}
}

// Deadline and first-run spread of the certificate checks.
const (
	certsTimeout = 15 * time.Second
	certsFirst   = 10 * time.Second
)

type certSource struct {
	src    Source
	host   *Host
	checks *Periodic[[]CertStatus]
}

func (s *certSource) Sample(ctx context.Context) (*Sample, error) {
	smp, err := s.src.Sample(ctx)
	if err != nil {
		return nil, err
	}
	s.fill(smp)
	s.checks.Poke(smp.At)
	return smp, nil
}

func (s *certSource) fill(smp *Sample) {
	if v, _, ok, _ := s.checks.Result(); ok {
		smp.Certs = append([]CertStatus(nil), v...)
	}
}

// Settle runs the wrapped source's heavy checks and the certificates now.
func (s *certSource) Settle(ctx context.Context, smp *Sample) {
	var wg sync.WaitGroup
	if st, ok := s.src.(Settler); ok {
		wg.Add(1)
		go func() { defer wg.Done(); st.Settle(ctx, smp) }()
	}
	s.checks.Now(ctx)
	wg.Wait()
	s.fill(smp)
}

// Connect passes on to the wrapped source.
func (s *certSource) Connect(ctx context.Context, budget time.Duration) error {
	if c, ok := s.src.(Connector); ok {
		return c.Connect(ctx, budget)
	}
	return nil
}

// Close ends the certificate checks and closes the wrapped source.
func (s *certSource) Close() {
	s.checks.Close()
	if c, ok := s.src.(interface{ Close() }); ok {
		c.Close()
	}
}

// Recheck passes a backup re-check on to the wrapped source.
func (s *certSource) Recheck() {
	if r, ok := s.src.(interface{ Recheck() }); ok {
		r.Recheck()
	}
}
