package policy

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
)

// costLimit bounds one evaluation of a `when` condition.
const costLimit = 10000

// celEnv is built once per policy; every `when` is compiled and checked against it at load.
type celEnv struct{ env *cel.Env }

func newCELEnv() (*celEnv, error) {
	env, err := cel.NewEnv(
		cel.Variable("identity", cel.MapType(cel.StringType, cel.DynType)),
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
		return nil, fmt.Errorf("%s", strings.TrimPrefix(msg, "ERROR: "))
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
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

func identityVars(id Identity) map[string]any {
	attrs := id.Attrs
	if attrs == nil {
		attrs = map[string]string{}
	}
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return map[string]any{
		"nhi_id": id.NHIID, "kind": id.Kind, "principal": id.Principal, "namespace": id.Namespace,
		"hosts": list(id.Hosts), "locations": list(id.Locations), "accounts": list(id.Accounts),
		"file_owners": list(id.FileOwners), "owner_hints": list(id.OwnerHints), "attrs": attrs,
	}
}
