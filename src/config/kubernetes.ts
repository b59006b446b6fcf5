import { z } from "zod";
import { readableFileProblem } from "./machine-checks";
import { oneOf, plain, secret } from "./primitives";
import { asList, asMap, has, type Add, type RawMap } from "./raw";
import { WORKLOAD_NAME } from "./workload";

/** Where a stack's service runs: SSH hosts (`slipway:hosts`), or a Kubernetes cluster. */
const TARGETS = ["ssh", "kubernetes"] as const;
export type Target = (typeof TARGETS)[number];

export const targetSchema = oneOf(TARGETS).default("ssh");

/** A Kubernetes quantity: `100m`, `0.5`, `64Mi`, `1Gi`. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const quantity = plain.regex(QUANTITY, "is not a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi");

/** RFC 1123 label: namespaces, Service and Deployment names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel = plain.regex(
  DNS_LABEL,
  "is not a DNS label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit",
);

/** RFC 1123 subdomain: StorageClass names. */
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1035 label: Service names (a letter first), which services and accessories get. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `slipway:kubernetes`: the cluster of a `slipway:target: kubernetes` stack, and how the service runs there. */
export const kubernetesSchema = z.strictObject({
  kubeconfig: secret
    .optional()
    .describe("kubeconfig text (a Pulumi secret: it holds credentials)."),
  kubeconfigFile: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Or: path of a kubeconfig on the machine that runs `pulumi up`; `~/` expanded, must exist. Neither: `KUBECONFIG`, `~/.kube/config` or in-cluster.",
    ),
  context: plain
    .min(1, "must not be empty")
    .optional()
    .describe("kubeconfig context; its current context when absent."),
  namespace: dnsLabel
    .optional()
    .describe("Namespace of the service's objects; `slipway-<stack>` when absent."),
  createNamespace: z
    .boolean()
    .default(true)
    .describe("Create the namespace (and delete it on destroy); false: it must exist already."),
  replicas: z
    .number()
    .int("must be a whole number")
    .min(1)
    .max(100)
    .default(2)
    .describe(
      "Pods of the service, unless the service itself asks for more than one (`replicas`).",
    ),
  cpu: quantity
    .default("50m")
    .describe("CPU request per pod; `cpuLimit` absent: no CPU limit (no throttling)."),
  cpuLimit: quantity.optional().describe("CPU limit per pod; none when absent."),
  memory: quantity
    .default("64Mi")
    .describe("Memory request per pod; the limit is `memoryLimit`, else the request."),
  memoryLimit: quantity
    .optional()
    .describe("Memory limit per pod; the memory request when absent."),
  nodePort: z
    .number({ error: "expected a port number" })
    .int("must be a whole number")
    .min(30000, "must be a NodePort between 30000 and 32767")
    .max(32767, "must be a NodePort between 30000 and 32767")
    .optional()
    .describe(
      "Expose the service on every node's port (30000-32767); absent: a ClusterIP Service.",
    ),
  ingressClassName: dnsLabel
    .optional()
    .describe(
      "Declare an Ingress of this class for each routed service's `routes`; absent: no Ingress.",
    ),
  volumeSize: quantity
    .default("1Gi")
    .describe("Storage each accessory volume's PersistentVolumeClaim requests."),
  storageClassName: plain
    .regex(DNS_SUBDOMAIN, "is not a StorageClass name: lowercase letters, digits, - and .")
    .optional()
    .describe("StorageClass of the accessories' volume claims; the cluster's default when absent."),
});

export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/** Checks between `slipway:target`, `slipway:kubernetes` and the SSH-only settings. */
export function kubernetesChecks(raw: RawMap, add: Add): void {
  const target = raw.target ?? "ssh";
  const kube = asMap(raw.kubernetes);
  if (target !== "kubernetes") {
    if (raw.kubernetes !== undefined) {
      add(
        "kubernetes",
        [],
        "is read only when slipway:target is kubernetes; set slipway:target to kubernetes, or remove this section",
      );
    }
    return;
  }
  if (has(kube, "kubeconfig") && has(kube, "kubeconfigFile")) {
    add("kubernetes", ["kubeconfigFile"], "is set together with kubeconfig; keep one");
  }
  const services = asMap(raw.services);
  if (raw.service === undefined && services === undefined) {
    add(
      "services",
      [],
      "is required when slipway:target is kubernetes: what should run on the cluster? (slipway:services.<name>)",
    );
  }
  const routed = Object.values(services ?? {}).filter(
    (value) => asList(asMap(value)?.routes).length > 0,
  ).length;
  if (has(kube, "nodePort") && routed > 1) {
    add(
      "kubernetes",
      ["nodePort"],
      `is one port for one routed service, and ${routed} services have routes; reach them through an Ingress (ingressClassName), or remove nodePort`,
    );
  }
  for (const [name, value] of Object.entries(services ?? {})) {
    const entry = asMap(value) ?? {};
    objectNameCheck("services", name, add);
    clusterPlacementChecks("services", [name], entry, add);
    if (has(entry, "batchSize")) {
      add(
        "services",
        [name, "batchSize"],
        "has no meaning on Kubernetes: a rollout replaces one pod at a time (maxSurge 1, maxUnavailable 0); set replicas, and remove batchSize",
      );
    }
    if (has(entry, "release")) {
      add(
        "services",
        [name, "release"],
        "is a release command on SSH hosts; the kubernetes target does not run one yet (run the migration as a Job before slipway promote, or run the service on SSH hosts)",
      );
    }
    asList(entry.routes).forEach((route, index) => {
      if (has(asMap(route), "redirect")) {
        add(
          "services",
          [name, "routes", index, "redirect"],
          "is the SSH hosts' edge proxy's; on Kubernetes the ingress controller decides HTTP-to-HTTPS redirects (its own settings): remove it",
        );
      }
    });
    secretKeyChecks("services", [name], entry, add);
  }
  for (const [name, value] of Object.entries(asMap(raw.accessories) ?? {})) {
    const entry = asMap(value) ?? {};
    objectNameCheck("accessories", name, add);
    clusterPlacementChecks("accessories", [name], entry, add);
    asList(entry.ports).forEach((port, index) => {
      for (const key of ["hostPort", "bind", "public"]) {
        if (has(asMap(port), key)) {
          add(
            "accessories",
            [name, "ports", index, key],
            "publishes on an SSH host; on Kubernetes the services reach the accessory by its name (a headless Service on containerPort), and nothing is published on a node: keep containerPort only",
          );
        }
      }
    });
    // Accessory names are at most 52 characters: `<name>-<volume>` is always a valid claim
    // name once the volume's name is a DNS label.
    for (const volume of Object.keys(asMap(entry.volumes) ?? {})) {
      if (!DNS_LABEL.test(volume)) {
        add(
          "accessories",
          [name, "volumes", volume],
          `cannot name the pod volume and its PersistentVolumeClaim ${name}-<volume> (a DNS label: at most 63 lowercase letters, digits and -); give the volume a shorter name`,
        );
      }
    }
    secretKeyChecks("accessories", [name], entry, add);
  }
  if (asList(raw.hosts).length > 0) {
    add(
      "hosts",
      [],
      "are not used when slipway:target is kubernetes (the cluster runs the service); remove them",
    );
  }
  if (has(asMap(raw.edge), "image")) {
    add(
      "edge",
      ["image"],
      "is the SSH hosts' edge proxy; on Kubernetes requests reach the service through its Service (nodePort) or an Ingress (ingressClassName); remove it",
    );
  }
}

/** A service's or accessory's name must name its Deployment or StatefulSet and Service. */
function objectNameCheck(key: string, name: string, add: Add): void {
  // A StatefulSet's pods carry `<name>-<10-char hash>` as a label: 52 characters at most.
  const limit = key === "accessories" ? 52 : 63;
  // A name the workload-name rule refuses is refused there, once; here only the length.
  if (WORKLOAD_NAME.test(name) && (!DNS_1035_LABEL.test(name) || name.length > limit)) {
    add(
      key,
      [name],
      `${JSON.stringify(name)} cannot name its Kubernetes Service (a DNS-1035 label: a lowercase letter first, then lowercase letters, digits and -, at most ${limit} characters); rename it`,
    );
  }
}

/** `hosts` and `role` place containers on SSH hosts; the cluster's scheduler places pods. */
function clusterPlacementChecks(
  key: string,
  at: readonly PropertyKey[],
  entry: RawMap,
  add: Add,
): void {
  for (const field of ["hosts", "role"]) {
    if (has(entry, field)) {
      add(
        key,
        [...at, field],
        `places containers on SSH hosts; on Kubernetes the scheduler places the pods on the cluster's nodes: remove ${field}`,
      );
    }
  }
}

/** Secret env names become keys of a Kubernetes Secret. */
function secretKeyChecks(key: string, at: readonly PropertyKey[], entry: RawMap, add: Add): void {
  for (const field of ["secretEnv", "secretEnvFiles"]) {
    for (const name of Object.keys(asMap(entry[field]) ?? {})) {
      if (!/^[-._a-zA-Z0-9]+$/.test(name)) {
        add(
          key,
          [...at, field, name],
          "cannot be a Kubernetes Secret key (letters, digits, - _ .)",
        );
      }
    }
  }
}

/** The kubeconfig file must exist on the machine that runs the program (`~/` against `home`). */
export function kubeconfigFileChecks(raw: RawMap, home: string, add: Add): void {
  const kube = asMap(raw.kubernetes);
  const file = kube?.kubeconfigFile;
  if (
    raw.target !== "kubernetes" ||
    typeof file !== "string" ||
    file === "" ||
    has(kube, "kubeconfig")
  ) {
    return;
  }
  const { resolved, problem } = readableFileProblem(file, home);
  if (problem !== undefined) {
    add(
      "kubernetes",
      ["kubeconfigFile"],
      `${JSON.stringify(file)} ${problem}${resolved === file ? "" : ` (${resolved})`}; point it at a kubeconfig (the local cluster's: scripts/services.sh up cluster), or set kubeconfig instead`,
    );
  }
}
