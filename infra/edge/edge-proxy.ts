import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { TlsIssuer } from "../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  DEFAULT_STATE_ROOT,
  edgeRemoveScript,
  edgeScript,
  type EdgeDefinition,
} from "../../src/deploy";
import { hostCommand, type HostConnectionArgs } from "../deploy";

/** Inputs of an EdgeProxy: the edge of one host, as the stack that manages it declares it. */
export interface EdgeProxyArgs extends HostConnectionArgs {
  /** Edge name: its container, network and state directory on the host. */
  name: pulumi.Input<string>;
  /** `repository@sha256:…` of the Caddy image. */
  image: pulumi.Input<string>;
  /** Address the ports are published on. */
  bind: pulumi.Input<string>;
  /** Host port for HTTP. */
  httpPort: pulumi.Input<number>;
  /** Host port for HTTPS. */
  httpsPort: pulumi.Input<number>;
  /** Certificate issuer for TLS routes. */
  tls: pulumi.Input<TlsIssuer>;
  /** ACME account e-mail. */
  email?: pulumi.Input<string>;
  /** State root on the host; `/var/lib/slipway` when absent. */
  stateRoot?: pulumi.Input<string>;
}

/**
 * A host's edge proxy (Caddy) as its own resource, with its own lifecycle: an application
 * release never touches it. Its command re-runs only when the edge's definition changes (a
 * new Caddy image, ports, TLS issuer); on delete it removes the edge once no service of any
 * stack routes through it.
 */
export class EdgeProxy extends pulumi.ComponentResource {
  /** Host name from config. */
  public readonly host: pulumi.Output<string>;
  /** The edge image running on the host, known once the edge script succeeded there. */
  public readonly image: pulumi.Output<string>;

  constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:edge:EdgeProxy", name, {}, opts);

    const stack = pulumi.getStack();
    const definition: pulumi.Output<EdgeDefinition> = pulumi
      .output({
        name: args.name,
        image: args.image,
        bind: args.bind,
        httpPort: args.httpPort,
        httpsPort: args.httpsPort,
        tls: args.tls,
        email: args.email,
        stateRoot: args.stateRoot ?? DEFAULT_STATE_ROOT,
      })
      .apply((values) => ({
        host: args.host,
        stack,
        name: values.name,
        image: values.image,
        bind: values.bind,
        httpPort: values.httpPort,
        httpsPort: values.httpsPort,
        tls: values.tls,
        ...(values.email === undefined ? {} : { email: values.email }),
        stateRoot: values.stateRoot,
      }));
    const script = definition.apply(edgeScript);
    const remove = definition.apply(edgeRemoveScript);

    const edge: command.remote.Command | command.local.Command = hostCommand(
      `${name}-edge`,
      args,
      {
        create: BOOTSTRAP_COMMAND,
        update: BOOTSTRAP_COMMAND,
        delete: remove,
        stdin: script.apply((text) => bootstrapStdin(text)),
        triggers: [definition.apply((def) => JSON.stringify(def))],
      },
      { parent: this },
    );

    this.host = pulumi.output(args.host);
    this.image = pulumi.all([edge.id, args.image]).apply(([, image]) => image);
    this.registerOutputs({ host: this.host, image: this.image });
  }
}
