package temporalconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/crmsync/crmsync/internal/testenv"
)

// pki is a private CA, a server certificate for 127.0.0.1 and a client certificate, as PEM
// files in a temporary folder.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey string
	server                                           tls.Certificate
	pool                                             *x509.CertPool
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	issue := func(serial int64, usage x509.ExtKeyUsage, ip bool) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "crmsync"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if ip {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		require.NoError(t, err)
		return der, key
	}
	var p pki
	p.ca = write("ca.pem", "CERTIFICATE", caDER)
	sDER, sKey := issue(2, x509.ExtKeyUsageServerAuth, true)
	sKeyDER, err := x509.MarshalECPrivateKey(sKey)
	require.NoError(t, err)
	p.serverCert, p.serverKey = write("server.pem", "CERTIFICATE", sDER), write("server-key.pem", "EC PRIVATE KEY", sKeyDER)
	p.server, err = tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	require.NoError(t, err)
	cDER, cKey := issue(3, x509.ExtKeyUsageClientAuth, false)
	cKeyDER, err := x509.MarshalECPrivateKey(cKey)
	require.NoError(t, err)
	p.clientCert, p.clientKey = write("client.pem", "CERTIFICATE", cDER), write("client-key.pem", "EC PRIVATE KEY", cKeyDER)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(caCert)
	return p
}

// tlsProxy ends TLS (mutual when mutual is set) in front of a plain server at target, as a
// load balancer in front of a Temporal cluster does.
func tlsProxy(t *testing.T, p pki, target string, mutual bool) string {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{p.server}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
	if mutual {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer in.Close()
				if err := in.(*tls.Conn).Handshake(); err != nil {
					return
				}
				out, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				go func() { _, _ = io.Copy(out, in) }()
				_, _ = io.Copy(in, out)
			}()
		}
	}()
	return l.Addr().String()
}

// The settings refuse what cannot work before anything is dialled, naming the variable.
func TestApplyRefusals(t *testing.T) {
	p := newPKI(t)
	notPEM := filepath.Join(t.TempDir(), "ca.der")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a PEM file"), 0o600))
	tests := []struct {
		name    string
		s       Settings
		wantErr string
	}{
		{name: "nothing set: plain gRPC"},
		{name: "a CA that does not exist", s: Settings{CA: "/nowhere/ca.pem"}, wantErr: `CRMSYNC_TEMPORAL_TLS_CA="/nowhere/ca.pem": open /nowhere/ca.pem`},
		{name: "a CA that is no PEM", s: Settings{CA: notPEM}, wantErr: `CRMSYNC_TEMPORAL_TLS_CA="` + notPEM + `": no PEM certificate in it`},
		{name: "a key file given as CA", s: Settings{CA: p.clientKey}, wantErr: "no PEM certificate in it"},
		{name: "a certificate without its key", s: Settings{Cert: p.clientCert}, wantErr: "CRMSYNC_TEMPORAL_TLS_KEY: missing"},
		{name: "a key without its certificate", s: Settings{Key: p.clientKey}, wantErr: "CRMSYNC_TEMPORAL_TLS_CERT: missing"},
		{name: "a key of another certificate", s: Settings{Cert: p.clientCert, Key: p.serverKey}, wantErr: "CRMSYNC_TEMPORAL_TLS_CERT="},
		{name: "an API key with spaces", s: Settings{APIKey: " k "}, wantErr: "CRMSYNC_TEMPORAL_API_KEY: has spaces around it (not shown here)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o client.Options
			err := tt.s.Apply(&o)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Nil(t, o.ConnectionOptions.TLS)
			assert.Nil(t, o.Credentials)
		})
	}
}

// A client made with the settings reaches a Temporal server behind TLS, mutual TLS, or TLS
// with an API key; without them, or with a certificate the server does not trust, it does not.
func TestConnectsThroughTLS(t *testing.T) {
	srv := testenv.DevServer(t)
	p := newPKI(t)
	tlsAddr := tlsProxy(t, p, srv.FrontendHostPort(), false)
	mtlsAddr := tlsProxy(t, p, srv.FrontendHostPort(), true)
	other := newPKI(t) // a client certificate of another CA
	tests := []struct {
		name string
		addr string
		s    Settings
		ok   bool
	}{
		{name: "TLS with a private CA", addr: tlsAddr, s: Settings{CA: p.ca}, ok: true},
		{name: "TLS with an API key", addr: tlsAddr, s: Settings{CA: p.ca, APIKey: "key-1"}, ok: true},
		{name: "mutual TLS", addr: mtlsAddr, s: Settings{CA: p.ca, Cert: p.clientCert, Key: p.clientKey}, ok: true},
		{name: "a server name the certificate does not hold", addr: tlsAddr, s: Settings{CA: p.ca, ServerName: "temporal.example"}},
		{name: "plain gRPC to a TLS server", addr: tlsAddr},
		{name: "the system's roots only", addr: tlsAddr, s: Settings{TLS: true}},
		{name: "mutual TLS without a certificate", addr: mtlsAddr, s: Settings{CA: p.ca}},
		{name: "mutual TLS with another CA's certificate", addr: mtlsAddr, s: Settings{CA: p.ca, Cert: other.clientCert, Key: other.clientKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := client.Options{HostPort: tt.addr, Namespace: "default", ConnectionOptions: client.ConnectionOptions{}}
			require.NoError(t, tt.s.Apply(&o))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.DialContext(ctx, o)
			if err == nil {
				defer c.Close()
				_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			}
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

// keyCatcher is a Temporal frontend that answers the call a client dials with, and keeps the
// authorization header it came with.
type keyCatcher struct {
	workflowservice.UnimplementedWorkflowServiceServer
	got chan []string
}

func (k *keyCatcher) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	select {
	case k.got <- md.Get("authorization"):
	default:
	}
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// CRMSYNC_TEMPORAL_API_KEY reaches the server as the bearer token of the calls (Temporal
// Cloud's API keys); none is sent without it. The dev server behind TestConnectsThroughTLS
// takes any call, key or not, so only a server that reads the header tells.
func TestAPIKeyIsSentAsBearerToken(t *testing.T) {
	p := newPKI(t)
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12})
	srv := grpc.NewServer(grpc.Creds(creds))
	k := &keyCatcher{got: make(chan []string, 1)}
	workflowservice.RegisterWorkflowServiceServer(srv, k)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	tests := []struct {
		name string
		s    Settings
		want []string
	}{
		{name: "an API key", s: Settings{CA: p.ca, APIKey: "key-1"}, want: []string{"Bearer key-1"}},
		{name: "TLS alone", s: Settings{CA: p.ca}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := client.Options{HostPort: l.Addr().String(), Namespace: "default"}
			require.NoError(t, tt.s.Apply(&o))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.DialContext(ctx, o)
			require.NoError(t, err)
			defer c.Close()
			select {
			case got := <-k.got:
				assert.Equal(t, tt.want, got)
			case <-ctx.Done():
				t.Fatal("the server was never called")
			}
		})
	}
}
