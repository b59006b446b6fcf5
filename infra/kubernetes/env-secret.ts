import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels, type SecretNames } from "../../src/kubernetes";

/**
 * The Secret of a workload's secret env (`<name>-env`), or undefined when it has none.
 * Auto-named (a suffix): a changed value is a new Secret, so the pod template changes and the
 * pods roll, and the old one goes only after the rollout. Its values are only Pulumi secrets.
 */
export function envSecret(
  name: string,
  workload: {
    readonly name: string;
    readonly namespace: string;
    readonly secretEnvNames: readonly string[];
  },
  values: pulumi.Input<Record<string, string>> | undefined,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret | undefined {
  if (workload.secretEnvNames.length === 0) {
    return undefined;
  }
  return new k8s.core.v1.Secret(
    `${name}-env`,
    {
      metadata: { namespace: workload.namespace, labels: commonLabels(workload) },
      type: "Opaque",
      stringData: pulumi.secret(
        pulumi
          .output(values ?? {})
          .apply((given) =>
            Object.fromEntries(workload.secretEnvNames.map((n) => [n, given[n] ?? ""])),
          ),
      ),
    },
    opts,
  );
}

/**
 * A workload's spec once what its pods name is known: the image, the env Secret's generated
 * name (when it has one) and the pull Secret (when the cluster has one); `build` makes it
 * (deploymentSpec, statefulSetSpec).
 */
export function specWith<W, S>(
  workload: W,
  image: pulumi.Input<string>,
  env: k8s.core.v1.Secret | undefined,
  pullSecret: pulumi.Input<string> | undefined,
  build: (workload: W & { image: string }, secrets: SecretNames) => S,
): pulumi.Output<S> {
  return pulumi
    .all([image, env?.metadata.name, pullSecret])
    .apply(([image, env, pull]) =>
      build(
        { ...workload, image },
        { ...(env === undefined ? {} : { env }), ...(pull === undefined ? {} : { pull }) },
      ),
    );
}
