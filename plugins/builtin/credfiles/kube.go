package credfiles

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/jwtclaims"
	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type kubeconfig struct {
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token                 string `yaml:"token"`
			ClientCertificateData string `yaml:"client-certificate-data"`
			ClientKeyData         string `yaml:"client-key-data"`
			Password              string `yaml:"password"`
			Username              string `yaml:"username"`
			Exec                  *struct {
				Command string   `yaml:"command"`
				Args    []string `yaml:"args"`
			} `yaml:"exec"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server string `yaml:"server"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
}

// parseKubeconfig reads a kubeconfig's users: bearer tokens (a service
// account token's principal is system:serviceaccount:ns:name from its
// claims, with its expiry), client certificates (principal: the
// certificate's subject, expiry: notAfter; fingerprint of the key) and exec
// plugins (no secret in the file: the command is recorded).
func parseKubeconfig(in input) ([]finding, error) {
	var kc kubeconfig
	if err := yaml.Unmarshal(in.content, &kc); err != nil {
		return nil, errors.New("not a kubeconfig")
	}
	servers := map[string]string{}
	for _, c := range kc.Clusters {
		servers[c.Name] = c.Cluster.Server
	}
	userServer := map[string]string{}
	for _, c := range kc.Contexts {
		userServer[c.Context.User] = servers[c.Context.Cluster]
	}
	var out []finding
	for _, u := range kc.Users {
		attrs := map[string]string{"user": u.Name}
		if s := userServer[u.Name]; s != "" {
			attrs["server"] = s
		}
		switch {
		case u.User.Token != "" && !decoy.Placeholder(u.User.Token):
			f := finding{kind: event.KindKubernetesToken, principal: u.Name, fingerprint: in.fp.Of(u.User.Token), key: "token", attrs: attrs}
			if c, ok := jwtclaims.Decode(u.User.Token); ok && c.Subject != "" {
				f.principal, f.expires, f.created = c.Subject, c.ExpiresAt, c.IssuedAt
				if strings.HasPrefix(c.Subject, "system:serviceaccount:") {
					f.kind = event.KindKubernetesSAToken
				}
			}
			out = append(out, f)
		case u.User.ClientKeyData != "":
			key, err := base64.StdEncoding.DecodeString(u.User.ClientKeyData)
			if err != nil {
				return nil, errors.New("client-key-data is not base64")
			}
			f := finding{kind: event.KindKubernetesClientCert, principal: u.Name, fingerprint: in.fp.Of(string(key)), key: "client-key-data", attrs: attrs}
			if cert := firstCert(u.User.ClientCertificateData); cert != nil {
				f.principal = certSubject(cert)
				f.created, f.expires = certTimes(cert)
			}
			out = append(out, f)
		case u.User.Password != "" && !decoy.Placeholder(u.User.Password):
			out = append(out, finding{kind: event.KindPassword, principal: u.User.Username, fingerprint: in.fp.Of(u.User.Password), key: "password", attrs: attrs})
		case u.User.Exec != nil && u.User.Exec.Command != "":
			attrs["command"] = u.User.Exec.Command
			out = append(out, finding{kind: event.KindKubernetesExec, principal: u.Name, key: "exec", attrs: attrs})
		}
	}
	return out, nil
}

// firstCert decodes base64 PEM certificate data and returns its first certificate.
func firstCert(b64 string) *x509.Certificate {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	return c
}

// certSubject names a client certificate's identity: its CN, with its
// organisations (Kubernetes groups) when present.
func certSubject(c *x509.Certificate) string {
	s := c.Subject.CommonName
	if len(c.Subject.Organization) > 0 {
		s += " (" + strings.Join(c.Subject.Organization, ",") + ")"
	}
	return s
}

// certTimes are a certificate's notBefore, the credential's age as the
// host shows it, and notAfter, its expiry.
func certTimes(c *x509.Certificate) (created, expires *time.Time) {
	nb, na := c.NotBefore.UTC(), c.NotAfter.UTC()
	return &nb, &na
}
