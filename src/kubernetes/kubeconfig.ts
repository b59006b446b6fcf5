import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { expandHome } from "../config/paths";
import type { SlipwayConfig } from "../config/schema";
import type { KubeEndpoint } from "./client";

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The endpoint the provider uses when the stack gives no kubeconfig: KUBECONFIG or
 * ~/.kube/config when there is one, else the pod's service account (in-cluster).
 */
export function ambientEndpoint(
  env: NodeJS.ProcessEnv = process.env,
  context?: string,
): KubeEndpoint {
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((entry) => entry !== "");
  const file = first ?? path.join(os.homedir(), ".kube", "config");
  if (fs.existsSync(file)) {
    return endpointOf(fs.readFileSync(file, "utf8"), context);
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host !== undefined && fs.existsSync(`${SERVICE_ACCOUNT}/token`)) {
    return {
      server: `https://${host.includes(":") ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`,
      ca: fs.readFileSync(`${SERVICE_ACCOUNT}/ca.crt`, "utf8"),
      token: fs.readFileSync(`${SERVICE_ACCOUNT}/token`, "utf8").trim(),
      insecure: false,
    };
  }
  throw new Error(
    `no kubeconfig: ${file} does not exist and this is not a pod; set slipway:kubernetes.kubeconfigFile or kubeconfig`,
  );
}

/** The kubeconfig text a Kubernetes stack names (secret or file), or undefined for the ambient one. */
export function kubeconfigOf(
  config: Pick<SlipwayConfig, "kubernetes">,
  home: string = os.homedir(),
): string | undefined {
  const kube = config.kubernetes;
  if (kube?.kubeconfig !== undefined) {
    return kube.kubeconfig.reveal();
  }
  return kube?.kubeconfigFile === undefined
    ? undefined
    : fs.readFileSync(expandHome(kube.kubeconfigFile, home), "utf8");
}

interface Named<T> {
  readonly name: string;
  readonly [key: string]: unknown;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}

type Raw = Record<string, unknown>;

function bytes(data: unknown, file: unknown): string | undefined {
  if (typeof data === "string" && data !== "") {
    return Buffer.from(data, "base64").toString("utf8");
  }
  if (typeof file === "string" && file !== "") {
    return fs.readFileSync(file, "utf8");
  }
  return undefined;
}

/** The endpoint and credentials of a kubeconfig's context (its current one by default). */
export function endpointOf(kubeconfig: string, context?: string): KubeEndpoint {
  const doc = (parse(kubeconfig) ?? {}) as Raw;
  const find = <T>(list: unknown, name: unknown, what: string): T => {
    const found = (Array.isArray(list) ? (list as Named<T>[]) : []).find((e) => e.name === name);
    if (found === undefined) {
      throw new Error(`kubeconfig has no ${what} named ${JSON.stringify(name)}`);
    }
    return (found.cluster ?? found.user ?? found.context ?? {}) as T;
  };
  const contextName = context ?? doc["current-context"];
  const ctx = find<Raw>(doc.contexts, contextName, "context");
  const cluster = find<Raw>(doc.clusters, ctx.cluster, "cluster");
  const user = ctx.user === undefined ? {} : find<Raw>(doc.users, ctx.user, "user");
  if (user.exec !== undefined || user["auth-provider"] !== undefined) {
    throw new Error(
      `kubeconfig user ${JSON.stringify(ctx.user)} authenticates through an exec or auth-provider plugin, which Slipway's own API calls do not run; give it a token or a client certificate`,
    );
  }
  if (typeof cluster.server !== "string") {
    throw new Error(`kubeconfig cluster ${JSON.stringify(ctx.cluster)} has no server`);
  }
  const ca = bytes(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  const cert = bytes(user["client-certificate-data"], user["client-certificate"]);
  const key = bytes(user["client-key-data"], user["client-key"]);
  const token =
    typeof user.token === "string"
      ? user.token
      : typeof user.tokenFile === "string"
        ? fs.readFileSync(user.tokenFile, "utf8").trim()
        : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ""),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(token === undefined ? {} : { token }),
    insecure: cluster["insecure-skip-tls-verify"] === true,
  };
}
