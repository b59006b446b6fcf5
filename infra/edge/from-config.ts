import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import { connectionArgs } from "../deploy";
import { EdgeProxy } from "./edge-proxy";

/**
 * The edge of every host of the stack, when the stack manages it (`slipway:edge.image`),
 * by host name. `image` is the edge image's `repository@sha256:…`; `dependsOn` is what must
 * pass before any host is touched (the supply-chain gate of that image).
 */
export function declareEdges(
  config: SlipwayConfig,
  image: pulumi.Input<string> | undefined,
  opts?: pulumi.ComponentResourceOptions,
  dependsOn: readonly pulumi.Resource[] = [],
): Record<string, EdgeProxy> {
  if (config.edge.image === undefined || image === undefined) {
    return {};
  }
  const edge = config.edge;
  const edges: Record<string, EdgeProxy> = {};
  config.hosts.forEach((host, index) => {
    edges[host.name] = new EdgeProxy(
      `${edge.name}-${host.name}`,
      {
        ...connectionArgs(host, index),
        name: edge.name,
        image,
        bind: edge.bind,
        httpPort: edge.httpPort,
        httpsPort: edge.httpsPort,
        tls: edge.tls,
        ...(edge.email === undefined ? {} : { email: edge.email }),
      },
      dependsOn.length === 0 ? opts : pulumi.mergeOptions(opts, { dependsOn: [...dependsOn] }),
    );
  });
  return edges;
}
