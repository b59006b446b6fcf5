// The pulumi-kubernetes provider (pulumi-resource-kubernetes) as upstream's
// provider/cmd/pulumi-resource-kubernetes builds it. Upstream embeds
// schema-embed.json and terraform-mapping-embed.json, which its `go generate`
// writes from schema.json (with the version set) and is not part of the
// module; scripts/bootstrap-engine.sh writes both here the same way (jq) from
// the module's own files before building. They are not committed.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

var providerName = "kubernetes"

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve(providerName, version.Version, pulumiSchema, terraformMapping)
}
