import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  claimName,
  claimSpec,
  headlessServiceSpec,
  metadata,
  statefulSetSpec,
  type KubeAccessory,
  type KubeService,
} from "../../src/kubernetes";
import { childOptions } from "../deploy/host-deployment";
import { envSecret as declareEnvSecret, specWith } from "./env-secret";

export interface AccessoryStatefulSetArgs {
  /** The accessory as the manifests take it, except its image (known after the build). */
  accessory: Omit<KubeAccessory, "image">;
  /** `repository@sha256:…` it runs. */
  image: pulumi.Input<string>;
  /** Values of the secret environment variables, by name (`accessory.secretEnvNames`). */
  secretEnv?: pulumi.Input<Record<string, string>>;
  /** Delete the volumes' claims on destroy; false: they stay (with their data). */
  deleteVolumesOnDestroy: boolean;
  /** Name of the namespace's image pull Secret (`Cluster`); absent: none. */
  pullSecret?: pulumi.Input<string>;
}

/**
 * One accessory on a Kubernetes cluster: a PersistentVolumeClaim per named volume (its data
 * survives pod deletion, rollouts and, unless `deleteVolumesOnDestroy`, `pulumi destroy`), a
 * headless Service under the accessory's name (`postgres:5432` resolves to the pod), a
 * StatefulSet of one pod pinned to a digest, probes from `healthCommand`, and a Secret for
 * the secret env. Declared with the `Cluster`'s provider (`opts.provider`).
 */
export class AccessoryStatefulSet extends pulumi.ComponentResource {
  /** The image the StatefulSet runs once the update succeeded. */
  public readonly ref: pulumi.Output<string>;
  public readonly statefulSet: pulumi.Output<string>;
  /** Names of the volumes' PersistentVolumeClaims. */
  public readonly claims: pulumi.Output<string[]>;

  constructor(
    name: string,
    args: AccessoryStatefulSetArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("slipway:kubernetes:AccessoryStatefulSet", name, {}, opts);
    const { accessory } = args;
    const inNamespace = childOptions(this, opts);
    const base = { ...accessory, image: "" } as KubeAccessory;
    // The metadata builders take a service; they read only its name and namespace.
    const named = base as unknown as KubeService;

    const claims = Object.keys(accessory.volumes)
      .sort()
      .map(
        (volume) =>
          new k8s.core.v1.PersistentVolumeClaim(
            `${name}-${volume}`,
            {
              metadata: metadata(named, claimName(accessory.name, volume)),
              spec: claimSpec(base),
            },
            { ...inNamespace, retainOnDelete: !args.deleteVolumesOnDestroy },
          ),
      );
    const envSecret = declareEnvSecret(name, accessory, args.secretEnv, inNamespace);
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: metadata(named), spec: headlessServiceSpec(base) },
      inNamespace,
    );
    const timeout = `${accessory.healthTimeoutSeconds + 30}s`;
    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: metadata(named),
        spec: specWith(accessory, args.image, envSecret, args.pullSecret, statefulSetSpec),
      },
      {
        ...inNamespace,
        dependsOn: pulumi
          .output(inNamespace.dependsOn ?? [])
          .apply((deps) => [...(Array.isArray(deps) ? deps : [deps]), service, ...claims]),
        customTimeouts: { create: timeout, update: timeout },
      },
    );

    this.ref = statefulSet.spec.template.spec.containers.apply(
      (containers) => containers[0]!.image,
    );
    this.statefulSet = statefulSet.metadata.name;
    this.claims = pulumi.all(claims.map((claim) => claim.metadata.name));
    this.registerOutputs({ ref: this.ref, statefulSet: this.statefulSet, claims: this.claims });
  }
}
