package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func server(t *testing.T) integration.Server {
	t.Helper()
	prov, err := newProvider()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), "command", semver.MustParse("1.2.1"), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func urn(typ, name string) presource.URN {
	return presource.NewURN("test", "proj", "", tokens.Type(typ), name)
}

// Secrets flow as in upstream (go-provider's default wiring, no explicit
// dependencies): an output is secret when the input of the same name is, and
// the connection is always secret; stdout is not made secret by a secret
// stdin or environment (mark it with additionalSecretOutputs).
func TestSecretOutputs(t *testing.T) {
	s := server(t)
	resp, err := s.Create(p.CreateRequest{
		Urn: urn("command:local:Command", "c"),
		Properties: property.NewMap(map[string]property.Value{
			"create": property.New("cat; echo; echo $TOKEN"),
			"stdin":  property.New("from stdin").WithSecret(true),
			"environment": property.New(property.NewMap(map[string]property.Value{
				"TOKEN": property.New("t0ken").WithSecret(true),
			})),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := resp.Properties
	if !out.Get("stdin").Secret() {
		t.Error("stdin output is not secret")
	}
	if env := out.Get("environment"); !env.Secret() && !env.AsMap().Get("TOKEN").Secret() {
		t.Error("environment output is not secret")
	}
	stdout := out.Get("stdout")
	if stdout.Secret() || stdout.AsString() != "from stdin\nt0ken" {
		t.Errorf("stdout = %v (secret %v)", stdout, stdout.Secret())
	}

	remote, err := s.Create(p.CreateRequest{
		Urn:    urn("command:remote:Command", "r"),
		DryRun: true,
		Properties: property.NewMap(map[string]property.Value{
			// The SDK sends the connection as a secret (the schema says so).
			"connection": property.New(property.NewMap(map[string]property.Value{
				"host": property.New("127.0.0.1"),
			})).WithSecret(true),
			"create": property.New("true"),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !remote.Properties.Get("connection").Secret() {
		t.Error("the remote connection output is not secret")
	}
	if remote.Properties.Get("stdout").Secret() {
		t.Error("stdout is secret only because the connection is")
	}

	schema, err := s.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Resources map[string]struct {
			InputProperties map[string]struct {
				Secret bool `json:"secret"`
			} `json:"inputProperties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(schema.Schema), &spec); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{"command:remote:Command", "command:remote:CopyToRemote", "command:remote:CopyFile"} {
		if !spec.Resources[res].InputProperties["connection"].Secret {
			t.Errorf("%s: connection is not secret in the schema", res)
		}
	}
}
