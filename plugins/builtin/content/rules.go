package content

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// rule is one gitleaks rule prepared for windowed matching.
type rule struct {
	config.Rule
	// multiline rules may match across lines (private keys, YAML secrets),
	// so their window extends past the keyword's line.
	multiline bool
	// assignment rules are gitleaks' "keyword, then an assignment" template:
	// a keyword hit not followed by an assignment operator cannot match.
	assignment bool
	// anchored, when set, is the rule's regex anchored at its start: every
	// match begins with one of the rule's keywords, so the rule is tried at
	// each keyword hit instead of over the whole line. boundary says the
	// regex starts with \b, checked against the byte before the hit.
	anchored *regexp.Regexp
	boundary bool
	// generic rules end with gitleaks' generic value pattern (valueFollows).
	generic bool
}

// assignTemplate is the text gitleaks' rule generator puts after a rule's
// keyword group for "name = value" secrets.
const assignTemplate = `(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

// isAssignment reports whether every keyword of r sits in its regex before
// the assignment template (or r is the generic rule, whose keyword group is
// its keywords), so that the template's operator must follow a keyword hit
// within 23 bytes.
func isAssignment(r config.Rule) bool {
	src := strings.ToLower(r.Regex.String())
	i := strings.Index(src, strings.ToLower(assignTemplate))
	if i < 0 || strings.Count(src, strings.ToLower(assignTemplate)) != 1 {
		return false
	}
	if strings.HasSuffix(r.Regex.String(), genericValue) {
		// generic-api-key: its keyword group (access|auth|api|…|passw(or)?d|…)
		// matches exactly the rule's keywords.
		return true
	}
	for _, k := range r.Keywords {
		if !strings.Contains(src[:i], strings.ToLower(k)) {
			return false
		}
	}
	return true
}

// Rules is the compiled gitleaks rule set: the rules, the keyword automaton
// and, for each keyword, the rules it triggers.
type Rules struct {
	rules []rule
	// pathOnly rules report a file by its name alone (PKCS#12 bundles).
	pathOnly   []config.Rule
	global     []*config.Allowlist
	trie       *ahocorasick.Trie
	keywordLen []int
	byKeyword  [][]int
}

// DefaultRules loads the rule set that ships with gitleaks.
func DefaultRules() (*Rules, error) {
	return LoadRules(config.DefaultConfig)
}

// LoadRules compiles a gitleaks TOML configuration. A configuration that
// extends the default one (`[extend] useDefault = true`) is supported.
func LoadRules(toml string) (*Rules, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(toml)); err != nil {
		return nil, fmt.Errorf("read gitleaks config: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return nil, fmt.Errorf("decode gitleaks config: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return nil, fmt.Errorf("compile gitleaks config: %w", err)
	}
	return compile(cfg), nil
}

func compile(cfg config.Config) *Rules {
	rs := &Rules{global: cfg.Allowlists}
	kwIndex := map[string]int{}
	var keywords []string
	ids := append([]string(nil), cfg.OrderedRules...)
	sort.Strings(ids)
	for _, id := range ids {
		r, ok := cfg.Rules[id]
		if ok && r.Regex == nil && r.Path != nil && !r.SkipReport {
			rs.pathOnly = append(rs.pathOnly, r)
			continue
		}
		// Rules without keywords would need a full regex pass over every
		// file; the default rule set has none besides path-only ones.
		if !ok || r.Regex == nil || len(r.Keywords) == 0 || r.SkipReport {
			continue
		}
		src := r.Regex.String()
		ru := rule{Rule: r, multiline: strings.Contains(src, `\s\S`) ||
			strings.Contains(src, `(?s`) || strings.Contains(src, `\n`) || strings.Contains(src, `\r`), assignment: isAssignment(r)}
		ru.generic = ru.assignment && strings.HasSuffix(src, genericValue)
		if ok, wb := startsWithKeyword(src, r.Keywords); ok && !ru.multiline {
			ru.anchored, ru.boundary = regexp.MustCompile(`^(?:`+src+`)`), wb
		}
		rs.rules = append(rs.rules, ru)
		idx := len(rs.rules) - 1
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			i, ok := kwIndex[k]
			if !ok {
				i = len(keywords)
				kwIndex[k] = i
				keywords = append(keywords, k)
				rs.byKeyword = append(rs.byKeyword, nil)
				rs.keywordLen = append(rs.keywordLen, len(k))
			}
			rs.byKeyword[i] = append(rs.byKeyword[i], idx)
		}
	}
	rs.trie = ahocorasick.NewTrieBuilder().AddStrings(keywords).Build()
	return rs
}

// Len returns the number of rules in use.
func (rs *Rules) Len() int { return len(rs.rules) }

// pathRule returns the path-only rule that names the file, if any.
func (rs *Rules) pathRule(path string) *config.Rule {
	for i := range rs.pathOnly {
		r := &rs.pathOnly[i]
		if !r.Path.MatchString(path) {
			continue
		}
		skip := false
		for _, a := range r.Allowlists {
			skip = skip || a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(path)
		}
		if !skip {
			return r
		}
	}
	return nil
}

// pathAllowed reports whether gitleaks' global allowlist skips the file.
func (rs *Rules) pathAllowed(path string) bool {
	for _, a := range rs.global {
		if a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// ruleSkipsPath reports whether a rule does not apply to path.
func (r *rule) skipsPath(path string) bool {
	if r.Path != nil && !r.Path.MatchString(path) {
		return true
	}
	for _, a := range r.Allowlists {
		if a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s in bits per byte, as gitleaks computes it.
func entropy(s []byte) float64 {
	var counts [256]int
	for _, c := range s {
		counts[c]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// startsWithKeyword reports whether every match of the regex src begins
// with one of keywords (a literal, or an alternation of literals, each
// starting with a keyword, after optional captures and a leading \b), and
// whether a \b precedes it. Keywords must start with a word character when
// there is a \b, so that the anchored regex sees the same boundary.
func startsWithKeyword(src string, keywords []string) (bool, bool) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return false, false
	}
	boundary := false
	var starts func(r *syntax.Regexp) bool
	starts = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpCapture:
			return starts(r.Sub[0])
		case syntax.OpConcat:
			for _, s := range r.Sub {
				if s.Op == syntax.OpWordBoundary {
					boundary = true
					continue
				}
				return starts(s)
			}
		case syntax.OpAlternate:
			for _, s := range r.Sub {
				if !starts(s) {
					return false
				}
			}
			return true
		case syntax.OpLiteral:
			lit := strings.ToLower(string(r.Rune))
			for _, k := range keywords {
				if strings.HasPrefix(lit, strings.ToLower(k)) {
					return true
				}
			}
		}
		return false
	}
	if !starts(re) {
		return false, false
	}
	if boundary {
		for _, k := range keywords {
			if k == "" || !isNameByte(k[0]) || k[0] == '-' || k[0] == '.' {
				return false, false
			}
		}
	}
	return true, boundary
}
