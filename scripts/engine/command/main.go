// Command pulumi-resource-command is Slipway's stand-in for the upstream
// pulumi-command provider (github.com/pulumi/pulumi-command/provider), whose
// Go module is not served by the module proxy reachable from Slipway's build
// machines. It implements the same package "command" with the resource and
// property names of the @pulumi/command 1.2.1 SDK: local.Command, local.run,
// remote.Command, remote.CopyToRemote and remote.CopyFile. See README.md for
// what differs.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"slipway.local/engine/command/local"
	"slipway.local/engine/command/remote"
)

// Version is set at link time (-X main.Version=...).
var Version = "1.2.1+slipway.dev"

func main() {
	prov, err := newProvider()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := prov.Run(context.Background(), "command", Version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newProvider builds the provider with all resources and functions.
func newProvider() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("Command (Slipway stand-in)").
		WithDescription("Run commands locally or over SSH; a stand-in for the upstream command provider.").
		WithResources(
			infer.Resource(&local.Command{}),
			infer.Resource(&remote.Command{}),
			infer.Resource(&remote.CopyToRemote{}),
			infer.Resource(&remote.CopyFile{}),
		).
		WithFunctions(infer.Function(&local.Run{})).
		Build()
}
