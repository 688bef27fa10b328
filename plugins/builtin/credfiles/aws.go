package credfiles

import (
	"errors"
	"regexp"
	"strings"

	"gopkg.in/ini.v1"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// awsKeyID matches the identifiers of long-term (AKIA) and temporary (ASIA)
// AWS access keys.
var awsKeyID = regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`)

// awsExampleKeys are the documentation keys AWS prints in its guides.
var awsExampleKeys = map[string]bool{
	"AKIAIOSFODNN7EXAMPLE":                     true,
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
	"AKIAI44QH8DHBEXAMPLE":                     true,
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY": true,
}

// parseAWSCredentials reads an AWS shared credentials or config file. Each
// profile holding a key pair is one aws_access_key identity whose principal
// is the access key id and whose fingerprint is that of the secret key.
func parseAWSCredentials(in input) ([]finding, error) {
	fp := in.fp
	f, err := ini.LoadSources(ini.LoadOptions{Insensitive: false, IgnoreInlineComment: true, AllowBooleanKeys: true}, in.content)
	if err != nil {
		return nil, errors.New("not an INI file")
	}
	var out []finding
	for _, sec := range f.Sections() {
		id := strings.TrimSpace(sec.Key("aws_access_key_id").String())
		sk := strings.TrimSpace(sec.Key("aws_secret_access_key").String())
		if !awsKeyID.MatchString(id) || sk == "" || awsExampleKeys[id] || awsExampleKeys[sk] || decoy.Placeholder(sk) {
			continue
		}
		profile := strings.TrimPrefix(sec.Name(), "profile ")
		kind := event.KindAWSAccessKey
		if strings.HasPrefix(id, "ASIA") {
			kind = event.KindAWSSessionToken
		}
		attrs := map[string]string{"profile": profile}
		if r := sec.Key("region").String(); r != "" {
			attrs["region"] = r
		}
		out = append(out, finding{
			kind: kind, principal: id, fingerprint: fp.Of(sk),
			key: "aws_secret_access_key", hints: []string{"aws_profile:" + profile}, attrs: attrs,
		})
	}
	return out, nil
}
