/**
 * A minimal Kubernetes API client for an endpoint (src/kubernetes/kubeconfig.ts reads one from
 * a kubeconfig), for what Slipway itself reads and writes
 * outside the provider: the pods and events of a rollout, the revert patch, `slipway status`.
 * Client certificates and bearer tokens (inline or in files) are supported; exec and
 * auth-provider plugins are not (use a token or a certificate for Slipway's own calls).
 * The kubeconfig text is a secret: it is never logged, and errors never quote it.
 */
import * as https from "node:https";
import * as http from "node:http";

/** Where the API is and how to authenticate; PEM texts, not files. A secret as a whole. */
export interface KubeEndpoint {
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  readonly insecure: boolean;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export class KubeClient {
  constructor(
    private readonly endpoint: KubeEndpoint,
    private readonly timeoutMs = 15000,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** A JSON patch (RFC 6902). */
  jsonPatch<T>(path: string, patch: readonly unknown[]): Promise<T> {
    return this.request<T>("PATCH", path, JSON.stringify(patch), "application/json-patch+json");
  }

  private request<T>(method: string, path: string, body?: string, type?: string): Promise<T> {
    const url = new URL(this.endpoint.server + path);
    const secure = url.protocol === "https:";
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.endpoint.token !== undefined) {
      headers.authorization = `Bearer ${this.endpoint.token}`;
    }
    if (body !== undefined) {
      headers["content-type"] = type ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const options: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers,
      timeout: this.timeoutMs,
      ...(secure
        ? {
            ...(this.endpoint.ca === undefined ? {} : { ca: this.endpoint.ca }),
            ...(this.endpoint.cert === undefined ? {} : { cert: this.endpoint.cert }),
            ...(this.endpoint.key === undefined ? {} : { key: this.endpoint.key }),
            rejectUnauthorized: !this.endpoint.insecure,
          }
        : {}),
    };
    return new Promise<T>((resolve, reject) => {
      const req = (secure ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            let reason = text.slice(0, 300);
            try {
              const parsed = JSON.parse(text) as { message?: unknown };
              reason = typeof parsed.message === "string" ? parsed.message : reason;
            } catch {
              // not JSON: the text itself
            }
            reject(new KubeApiError(status, `${method} ${url.pathname}: ${status} ${reason}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            reject(new Error(`${method} ${url.pathname}: the answer is not JSON`));
          }
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on("error", reject);
      if (body !== undefined) {
        req.write(body);
      }
      req.end();
    });
  }
}

/** `?labelSelector=…` path of a namespaced list. */
export function listPath(
  namespace: string,
  resource: string,
  selector?: string,
  group = "",
): string {
  const base = group === "" ? "/api/v1" : `/apis/${group}`;
  const query = selector === undefined ? "" : `?labelSelector=${encodeURIComponent(selector)}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}${query}`;
}
