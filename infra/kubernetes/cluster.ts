import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dockerConfigJson } from "../../src/kubernetes";

/** Registry credentials for the pods' image pull Secret. */
export interface PullCredentials {
  /** Registry host (`ghcr.io`, `127.0.0.1:5000`). */
  server: string;
  username: string;
  /** Password or token; always handled as a secret. */
  password: pulumi.Input<string>;
}

export interface ClusterArgs {
  /** kubeconfig text (a secret); absent: the ambient one (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context; absent: its current context. */
  context?: string;
  /** Namespace every object of the stack is declared in. */
  namespace: string;
  /** Create the namespace (and delete it on destroy); false: it must exist. */
  createNamespace: boolean;
  /**
   * Leave the created namespace on destroy: an accessory keeps its volumes, and deleting the
   * namespace would delete their claims with it.
   */
  keepNamespace: boolean;
  /** Registry credentials: an image pull Secret; absent: the registry needs none. */
  pullCredentials?: PullCredentials;
  /**
   * The service whose `ServiceDeployment` held the provider (`<service>-cluster`) and the
   * namespace (`<service>-namespace`) before the Cluster did (a stack deployed when the
   * Kubernetes target took one service): aliases keep them, so nothing is replaced.
   */
  formerOwner?: string;
}

/**
 * A stack's place on a cluster: the provider every object is declared with, the namespace
 * (when the stack creates it), and the registry's image pull Secret. Services and accessories
 * are declared with `{ provider: cluster.provider, dependsOn: cluster.ready }`.
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly provider: k8s.Provider;
  public readonly namespace: pulumi.Output<string>;
  /** What the objects in the namespace wait for: the namespace, when the stack creates it. */
  public readonly ready: pulumi.Resource[];
  /** The image pull Secret's name, or undefined without registry credentials. */
  public readonly pullSecret: pulumi.Output<string> | undefined;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:kubernetes:Cluster", name, {}, opts);
    const former = (suffix: string): pulumi.ResourceOptions["aliases"] =>
      args.formerOwner === undefined
        ? []
        : [
            {
              name: `${args.formerOwner}-${suffix}`,
              parent: pulumi.createUrn(args.formerOwner, "slipway:kubernetes:ServiceDeployment"),
            },
          ];
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        ...(args.kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(args.kubeconfig) }),
        ...(args.context === undefined ? {} : { context: args.context }),
        namespace: args.namespace,
      },
      { parent: this, aliases: former("cluster") },
    );
    const child = { parent: this, provider: this.provider };
    const namespace = args.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-namespace`,
          {
            metadata: {
              name: args.namespace,
              labels: { "app.kubernetes.io/managed-by": "slipway" },
            },
          },
          { ...child, retainOnDelete: args.keepNamespace, aliases: former("namespace") },
        )
      : undefined;
    this.ready = namespace === undefined ? [] : [namespace];
    this.namespace = namespace?.metadata.name ?? pulumi.output(args.namespace);

    const credentials = args.pullCredentials;
    this.pullSecret =
      credentials === undefined
        ? undefined
        : new k8s.core.v1.Secret(
            `${name}-pull`,
            {
              metadata: {
                namespace: args.namespace,
                labels: { "app.kubernetes.io/managed-by": "slipway" },
              },
              type: "kubernetes.io/dockerconfigjson",
              stringData: pulumi.secret(
                pulumi.output(credentials.password).apply((password) => ({
                  ".dockerconfigjson": dockerConfigJson(
                    credentials.server,
                    credentials.username,
                    password,
                  ),
                })),
              ),
            },
            { ...child, dependsOn: this.ready },
          ).metadata.name;
    this.registerOutputs({ namespace: this.namespace, pullSecret: this.pullSecret });
  }
}
