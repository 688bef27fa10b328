package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/internal/testlog"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// pki is a test certificate authority with a broker and an agent
// certificate, written as PEM files.
type pki struct {
	dir                         string
	caPEM, brokerPEM, brokerKey string // PEM text, for the broker's inline keystore
	caFile, agentCert, agentKey string // files, for the agent's configuration
	otherCAFile                 string // a CA that signed nothing here
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	ca, caKey := certificate(t, "nhi-test-ca", nil, nil, true)
	other, _ := certificate(t, "someone-else", nil, nil, true)
	broker, brokerKey := certificate(t, "broker", ca, caKey, false)
	agent, agentKey := certificate(t, "nhi-agent", ca, caKey, false)
	p := &pki{dir: dir, caPEM: pemCert(ca), brokerPEM: pemCert(broker), brokerKey: pemKey(t, brokerKey)}
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.caFile = write("ca.pem", p.caPEM)
	p.otherCAFile = write("other-ca.pem", pemCert(other))
	p.agentCert = write("agent.pem", pemCert(agent))
	p.agentKey = write("agent-key.pem", pemKey(t, agentKey))
	return p
}

func certificate(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage, tmpl.DNSNames, tmpl.IPAddresses = nil, nil, nil
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func pemCert(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func pemKey(t *testing.T, k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// property renders PEM text as one properties-file value.
func property(pemText string) string {
	return strings.ReplaceAll(strings.TrimSpace(pemText), "\n", `\n`)
}

const (
	plainPassword = "plain-Secret-4417"
	scramPassword = "scram-Secret-9051"
)

// secureBroker starts a private broker with three listeners besides its
// plaintext one: SASL_SSL (PLAIN and SCRAM-SHA-512), and SSL requiring a
// client certificate. It returns their addresses.
func secureBroker(t *testing.T, p *pki) (plaintext, saslSSL, mtls string) {
	t.Helper()
	ports := devservices.FreePorts(t, 2)
	saslSSL = fmt.Sprintf("127.0.0.1:%d", ports[0])
	mtls = fmt.Sprintf("127.0.0.1:%d", ports[1])
	in := devservices.PrivateWith(t, devservices.Options{
		KafkaOnly:       true,
		KafkaFormatArgs: []string{"--add-scram", "SCRAM-SHA-512=[name=agent-scram,password=" + scramPassword + "]"},
		KafkaConfig: func(plain, controller int) string {
			return strings.Join([]string{
				fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,SASL_SSL://%s,SSL://%s", plain, controller, saslSSL, mtls),
				fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d,SASL_SSL://%s,SSL://%s", plain, saslSSL, mtls),
				"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL",
				"ssl.keystore.type=PEM",
				"ssl.keystore.certificate.chain=" + property(p.brokerPEM),
				"ssl.keystore.key=" + property(p.brokerKey),
				"ssl.truststore.type=PEM",
				"ssl.truststore.certificates=" + property(p.caPEM),
				"listener.name.ssl.ssl.client.auth=required",
				"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
				`listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_agent-plain="` + plainPassword + `";`,
				"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
			}, "\n") + "\n"
		},
	})
	return in.KafkaBroker, saslSSL, mtls
}

// TestRunPublishesToSecuredBroker runs the agent against a real broker that
// requires TLS with SASL PLAIN or SCRAM-SHA-512, or mutual TLS: its
// heartbeats arrive. A wrong password, a missing client certificate and an
// untrusted broker certificate each keep events spooled, with an error that
// says why and never holds the password.
func TestRunPublishesToSecuredBroker(t *testing.T) {
	p := newPKI(t)
	plaintext, saslSSL, mtls := secureBroker(t, p)
	secrets := t.TempDir()
	passwordFile := func(name, value string) string {
		path := filepath.Join(secrets, name)
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Setenv("NHI_TEST_SCRAM_PASSWORD", scramPassword)
	tls := fmt.Sprintf("tls: {enabled: true, ca_file: %s}", p.caFile)
	good := []struct{ name, broker, kafka string }{
		{"sasl_plain", saslSSL, fmt.Sprintf("{%s, sasl: {mechanism: plain, username: agent-plain, password: {file: %s}}}", tls, passwordFile("plain", plainPassword))},
		{"sasl_scram_sha_512", saslSSL, fmt.Sprintf("{%s, sasl: {mechanism: scram-sha-512, username: agent-scram, password: {env: NHI_TEST_SCRAM_PASSWORD}}}", tls)},
		{"mutual_tls", mtls, fmt.Sprintf("{tls: {enabled: true, ca_file: %s, cert_file: %s, key_file: %s}}", p.caFile, p.agentCert, p.agentKey)},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			topic := devservices.UniqueName("nhi_agent_secure")
			createTopic(t, plaintext, topic)
			logs, _ := runAgentBriefly(t, c.broker, topic, c.kafka, func(string) bool { return countMessages(t, plaintext, topic) > 0 })
			if n := countMessages(t, plaintext, topic); n == 0 {
				t.Fatalf("no heartbeat reached %s over %s; log:\n%s", topic, c.name, logs)
			}
			if strings.Contains(logs, "publish failed") {
				t.Errorf("publishing failed before it worked:\n%s", logs)
			}
		})
	}
	bad := []struct{ name, broker, kafka, want string }{
		{"wrong_scram_password", saslSSL, fmt.Sprintf("{%s, sasl: {mechanism: scram-sha-512, username: agent-scram, password: {file: %s}}}", tls, passwordFile("wrong", "not-the-"+scramPassword)), "Authentication"},
		{"no_client_certificate", mtls, fmt.Sprintf("{tls: {enabled: true, ca_file: %s}}", p.caFile), "publish failed"},
		{"untrusted_broker", saslSSL, fmt.Sprintf("{tls: {enabled: true, ca_file: %s}, sasl: {mechanism: plain, username: agent-plain, password: {file: %s}}}", p.otherCAFile, passwordFile("plain2", plainPassword)), "certificate"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			topic := devservices.UniqueName("nhi_agent_secure")
			createTopic(t, plaintext, topic)
			logs, stateDir := runAgentBriefly(t, c.broker, topic, c.kafka, func(logs string) bool { return strings.Contains(logs, "publish failed") })
			if !strings.Contains(logs, "publish failed") || !strings.Contains(logs, c.want) {
				t.Fatalf("log does not say publishing failed with %q:\n%s", c.want, logs)
			}
			t.Log(firstLine(logs, "publish failed"))
			for _, secret := range []string{plainPassword, scramPassword} {
				if strings.Contains(logs, secret) {
					t.Fatal("a SASL password appears in the agent's log")
				}
			}
			if n := countMessages(t, plaintext, topic); n != 0 {
				t.Fatalf("%d messages reached the topic despite the failure", n)
			}
			sp, err := spool.Open(filepath.Join(stateDir, "spool.db"), 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			if st := sp.Stats(); st.Depth == 0 {
				t.Fatalf("nothing kept in the spool after failed publishing: %+v", st)
			}
		})
	}
}

func firstLine(text, containing string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, containing) {
			return l
		}
	}
	return ""
}

// runAgentBriefly runs the agent with no plugins (heartbeats only) until
// done says so, given the log so far, or 30 s pass, and returns its log and
// state directory.
func runAgentBriefly(t *testing.T, broker, topic, kafkaYAML string, done func(logs string) bool) (string, string) {
	t.Helper()
	t.Setenv("NHI_TEST_SECURE_KEY", "secure-test-organisation-key-01")
	state := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf("brokers: [%s]\ntopic: %s\nstate_dir: %s\nfingerprint_key: {env: NHI_TEST_SECURE_KEY}\nheartbeat_interval: 1s\nkafka: %s\n",
		broker, topic, state, kafkaYAML)))
	if err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg, "test", slog.New(slog.NewTextHandler(&logs, nil))) }()
	_ = devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return done(logs.String()), nil })
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v\n%s", err, logs.String())
	}
	return logs.String(), state
}

func createTopic(t *testing.T, broker, topic string) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	resp, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
	if err != nil || resp.Errors[topic] != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Errors[topic])
	}
}

// countMessages returns how many messages the single-partition topic holds,
// read over the plaintext listener.
func countMessages(t *testing.T, broker, topic string) int {
	t.Helper()
	conn, err := kafka.DialLeader(context.Background(), "tcp", broker, topic, 0)
	if err != nil {
		t.Fatalf("dial %s: %v", broker, err)
	}
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil {
		t.Fatalf("last offset of %s: %v", topic, err)
	}
	if last > 0 {
		// The first message must be a valid event from the agent.
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Seek(0, kafka.SeekAbsolute); err == nil {
			if m, err := conn.ReadMessage(1 << 20); err == nil {
				if e, err := event.Decode(m.Value); err != nil || e.Type != event.TypeAgentHeartbeat {
					t.Fatalf("unexpected message on %s: %v", topic, err)
				}
			}
		}
	}
	return int(last)
}
