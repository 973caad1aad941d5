// Package temporalconn holds how the worker and the crmsync command reach a Temporal server
// that asks for TLS (a cluster with mutual TLS, Temporal Cloud) or an API key: the settings
// both read from the environment, and the client options they make.
package temporalconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
)

// Settings are the CRMSYNC_TEMPORAL_* variables of the connection's security. All empty (the
// default): plain gRPC, as a dev server or a cluster inside a private network answers.
type Settings struct {
	// TLS turns TLS on with the system's roots; any other setting below turns it on too.
	TLS bool `envconfig:"CRMSYNC_TEMPORAL_TLS" desc:"true: TLS to Temporal with the system's roots (the settings below turn it on too)"`
	// CA is a PEM file of the authorities to trust instead of the system's (a private CA).
	CA string `envconfig:"CRMSYNC_TEMPORAL_TLS_CA" desc:"PEM file of the authorities to trust instead of the system's"`
	// Cert and Key are PEM files of the client's certificate and key, for mutual TLS.
	Cert string `envconfig:"CRMSYNC_TEMPORAL_TLS_CERT" desc:"PEM file of the client certificate (mutual TLS)"`
	Key  string `envconfig:"CRMSYNC_TEMPORAL_TLS_KEY" desc:"PEM file of the client certificate's key (mutual TLS)"`
	// ServerName is the name the server's certificate must hold, when it is not the host of
	// CRMSYNC_TEMPORAL_ADDRESS.
	ServerName string `envconfig:"CRMSYNC_TEMPORAL_TLS_SERVER_NAME" desc:"name the server's certificate holds, when not the address's host"`
	// APIKey is sent as the bearer token of every call (Temporal Cloud's API keys).
	APIKey string `envconfig:"CRMSYNC_TEMPORAL_API_KEY" desc:"API key sent as the bearer token (Temporal Cloud); turns TLS on"`
}

// Enabled reports whether any setting asks for TLS.
func (s Settings) Enabled() bool {
	return s.TLS || s.CA != "" || s.Cert != "" || s.Key != "" || s.ServerName != "" || s.APIKey != ""
}

// Apply sets the TLS configuration and the credentials of o. Each error names the variable
// and why; no key or API key is ever written in one.
func (s Settings) Apply(o *client.Options) error {
	if !s.Enabled() {
		return nil
	}
	if strings.TrimSpace(s.APIKey) != s.APIKey {
		return errors.New("CRMSYNC_TEMPORAL_API_KEY: has spaces around it (not shown here)")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if s.CA != "" {
		pem, err := os.ReadFile(s.CA)
		if err != nil {
			return fmt.Errorf("CRMSYNC_TEMPORAL_TLS_CA=%q: %w", s.CA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("CRMSYNC_TEMPORAL_TLS_CA=%q: no PEM certificate in it", s.CA)
		}
		cfg.RootCAs = pool
	}
	switch {
	case s.Cert != "" && s.Key != "":
		pair, err := tls.LoadX509KeyPair(s.Cert, s.Key)
		if err != nil {
			// The error names the files, never the key's content.
			return fmt.Errorf("CRMSYNC_TEMPORAL_TLS_CERT=%q, CRMSYNC_TEMPORAL_TLS_KEY=%q: %w", s.Cert, s.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	case s.Cert != "":
		return errors.New("CRMSYNC_TEMPORAL_TLS_KEY: missing: CRMSYNC_TEMPORAL_TLS_CERT is set, and mutual TLS needs the certificate's key too")
	case s.Key != "":
		return errors.New("CRMSYNC_TEMPORAL_TLS_CERT: missing: CRMSYNC_TEMPORAL_TLS_KEY is set, and mutual TLS needs the certificate too")
	}
	o.ConnectionOptions.TLS = cfg
	if s.APIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(s.APIKey)
	}
	return nil
}
