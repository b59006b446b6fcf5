import { z } from "zod";
import { readableFileProblem } from "./machine-checks";
import { plain, secret } from "./primitives";
import { asList, asMap, has, type RawMap } from "./raw";

/** Where a stack's service runs: SSH hosts (`slipway:hosts`), or a Kubernetes cluster. */
export const TARGETS = ["ssh", "kubernetes"] as const;
export type Target = (typeof TARGETS)[number];

export const targetSchema = z
  .enum(TARGETS, {
    error: (issue) => `${JSON.stringify(issue.input)} is not one of ${TARGETS.join(", ")}`,
  })
  .default("ssh");

/** A Kubernetes quantity: `100m`, `0.5`, `64Mi`, `1Gi`. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const quantity = plain.regex(QUANTITY, "is not a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi");

/** RFC 1123 label: namespaces, Service and Deployment names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel = plain.regex(
  DNS_LABEL,
  "is not a DNS label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit",
);

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
    .describe("Declare an Ingress of this class for `slipway:service.routes`; absent: no Ingress."),
});

export type KubernetesConfig = z.output<typeof kubernetesSchema>;

type Add = (key: string, where: readonly PropertyKey[], message: string) => void;

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
      "is required when slipway:target is kubernetes: what should run on the cluster? (one service: slipway:services.<name>, or slipway:service)",
    );
  }
  if (services !== undefined && Object.keys(services).length > 1) {
    add(
      "services",
      [],
      `declares ${Object.keys(services).length} services; the kubernetes target deploys one service per stack today (give each service its own stack, or run them on SSH hosts)`,
    );
  }
  for (const [name, value] of Object.entries(services ?? {})) {
    const entry = asMap(value);
    if (!DNS_LABEL.test(name)) {
      add(
        "services",
        [name],
        `${JSON.stringify(name)} cannot name Kubernetes objects (a DNS label: lowercase letters, digits and -)`,
      );
    }
    if (asList(entry?.routes).length === 0) {
      add(
        "services",
        [name, "routes"],
        "is empty: a worker (no routes, no HTTP health path) is not supported on the kubernetes target yet; give it a route, or run it on SSH hosts",
      );
    }
    if (has(entry, "release")) {
      add(
        "services",
        [name, "release"],
        "is a release command on SSH hosts; the kubernetes target does not run one yet (run the migration as a Job before slipway promote, or run the service on SSH hosts)",
      );
    }
    for (const key of Object.keys(asMap(entry?.secretEnv) ?? {})) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
        add(
          "services",
          [name, "secretEnv", key],
          "cannot be a Kubernetes Secret key (letters, digits, - _ .)",
        );
      }
    }
  }
  if (raw.accessories !== undefined && Object.keys(asMap(raw.accessories) ?? {}).length > 0) {
    add(
      "accessories",
      [],
      "are containers on SSH hosts; on the kubernetes target run the database as a StatefulSet or a managed service, and give the services its address in env",
    );
  }
  const service = asMap(raw.service);
  const name = service?.name ?? service?.image;
  if (typeof name === "string" && !DNS_LABEL.test(name)) {
    add(
      "service",
      [service?.name === undefined ? "image" : "name"],
      `${JSON.stringify(name)} cannot name Kubernetes objects (a DNS label: lowercase letters, digits and -); set slipway:service.name`,
    );
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
  if (has(service, "release")) {
    add(
      "service",
      ["release"],
      "is a release command on SSH hosts; the kubernetes target does not run one yet (run the migration as a Job before slipway promote, or run the service on SSH hosts)",
    );
  }
  const secretEnv = asMap(service?.secretEnv);
  if (secretEnv !== undefined) {
    for (const key of Object.keys(secretEnv)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
        add(
          "service",
          ["secretEnv", key],
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
