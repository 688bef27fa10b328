package publish

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/nhiradar/nhiradar/agent/config"
)

// TLSOptions says how to reach brokers over TLS. With CertFile and KeyFile
// the agent authenticates itself too (mutual TLS).
type TLSOptions struct {
	CAFile, CertFile, KeyFile, ServerName string
	InsecureSkipVerify                    bool
}

// TLSConfig builds the TLS configuration for opts. Without a CA file the
// system roots are trusted.
func TLSConfig(opts TLSOptions) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: opts.ServerName, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // an explicit, documented option
	if opts.CAFile != "" {
		pem, err := config.ReadRegularFile(opts.CAFile, pemMaxBytes)
		if err != nil {
			return nil, fmt.Errorf("publish: tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("publish: tls ca %s holds no PEM certificate", opts.CAFile)
		}
		c.RootCAs = pool
	}
	if opts.CertFile != "" || opts.KeyFile != "" {
		cert, err := loadKeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			// The error names the files, not their content.
			return nil, fmt.Errorf("publish: tls client certificate %s / %s: %w", opts.CertFile, opts.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// pemMaxBytes bounds a PEM file; a system CA bundle is about 200 KiB.
const pemMaxBytes = 1 << 20

// loadKeyPair is tls.LoadX509KeyPair reading only bounded regular files, so
// that a FIFO or device at a configured path cannot hang the agent.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := config.ReadRegularFile(certFile, pemMaxBytes)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := config.ReadRegularFile(keyFile, pemMaxBytes)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// SASLMechanism returns the kafka-go mechanism for name: "plain" or
// "scram-sha-512" ("" means no SASL and returns nil).
func SASLMechanism(name, user string, password []byte) (sasl.Mechanism, error) {
	switch name {
	case "":
		return nil, nil
	case "plain":
		return plain.Mechanism{Username: user, Password: string(password)}, nil
	case "scram-sha-512":
		m, err := scram.Mechanism(scram.SHA512, user, string(password))
		if err != nil {
			return nil, fmt.Errorf("publish: sasl scram-sha-512 for user %s: %w", user, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("publish: unknown sasl mechanism %q (want plain or scram-sha-512)", name)
	}
}

// Codec returns the compression codec named name (none, gzip, snappy, lz4,
// zstd).
func Codec(name string) (compress.Compression, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "gzip":
		return compress.Gzip, nil
	case "snappy":
		return compress.Snappy, nil
	case "lz4":
		return compress.Lz4, nil
	case "zstd":
		return compress.Zstd, nil
	}
	return 0, fmt.Errorf("publish: unknown compression %q", name)
}
