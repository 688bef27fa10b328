package policy

import (
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// costLimit bounds one evaluation of a `when` condition.
const costLimit = 10000

// celEnv is built once per policy; every `when` is compiled and checked against it at load.
type celEnv struct{ env *cel.Env }

func newCELEnv() (*celEnv, error) {
	// A typed identity, not a map of dyn: `identity.kidn` or `identity.kind == 1`
	// must fail at load, not silently at run time.
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeOf(celIdentity{}), ext.ParseStructTags(true)),
		cel.Variable("identity", cel.ObjectType("policy.celIdentity")),
		cel.Variable("host", cel.StringType),
		cel.Variable("environment", cel.StringType),
	)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return &celEnv{env: env}, nil
}

// program is a checked `when` condition.
type program struct {
	src string
	prg cel.Program
}

// compile parses and type-checks text; it must evaluate to bool.
func (c *celEnv) compile(text string) (*program, error) {
	ast, iss := c.env.Compile(text)
	if iss != nil && iss.Err() != nil {
		msg := iss.Err().Error()
		if first, _, ok := strings.Cut(msg, "\n"); ok {
			msg = first
		}
		return nil, fmt.Errorf("%s", celMessage(msg))
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("must evaluate to bool but got %s", out)
	}
	prg, err := c.env.Program(ast, cel.CostLimit(costLimit))
	if err != nil {
		return nil, fmt.Errorf("plan CEL expression: %w", err)
	}
	return &program{src: text, prg: prg}, nil
}

func (p *program) eval(id Identity, host, env string) (bool, error) {
	out, _, err := p.prg.Eval(map[string]any{"identity": identityVars(id), "host": host, "environment": env})
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", p.src, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: must evaluate to bool but got %s", p.src, out.Type())
	}
	return b, nil
}

// celIdentity is what a `when` condition sees as `identity`.
type celIdentity struct {
	NHIID      string            `cel:"nhi_id"`
	Kind       string            `cel:"kind"`
	Principal  string            `cel:"principal"`
	Namespace  string            `cel:"namespace"`
	Hosts      []string          `cel:"hosts"`
	Locations  []string          `cel:"locations"`
	Accounts   []string          `cel:"accounts"`
	FileOwners []string          `cel:"file_owners"`
	OwnerHints []string          `cel:"owner_hints"`
	Attrs      map[string]string `cel:"attrs"`
}

func identityVars(id Identity) celIdentity {
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	attrs := id.Attrs
	if attrs == nil {
		attrs = map[string]string{}
	}
	return celIdentity{NHIID: id.NHIID, Kind: id.Kind, Principal: id.Principal, Namespace: id.Namespace,
		Hosts: list(id.Hosts), Locations: list(id.Locations), Accounts: list(id.Accounts),
		FileOwners: list(id.FileOwners), OwnerHints: list(id.OwnerHints), Attrs: attrs}
}

// celMessage turns "ERROR: <input>:1:9: undefined field 'kidn'" into
// "undefined field 'kidn' (expression 1:9)": the policy error already names the file line.
func celMessage(msg string) string {
	msg = strings.TrimPrefix(msg, "ERROR: ")
	rest, ok := strings.CutPrefix(msg, "<input>:")
	if !ok {
		return msg
	}
	parts := strings.SplitN(rest, ": ", 2)
	if len(parts) != 2 {
		return msg
	}
	return fmt.Sprintf("%s (expression %s)", parts[1], parts[0])
}
