// The local cluster's DNS (scripts/cluster.sh): CoreDNS with only the plugins its
// Corefile uses, registered by these imports (CoreDNS's own main imports
// github.com/coredns/coredns/core/plugin: every plugin, with the cloud DNS backends'
// SDKs). Their order is CoreDNS's dnsserver.Directives, as in every build.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
