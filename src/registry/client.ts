import { createHash } from "node:crypto";
import { parseChallenge } from "./challenge";
import { RegistryError } from "./errors";
import { MANIFEST_ACCEPT, isIndex } from "./media-types";
import { indexEntries, platformName, type IndexEntry } from "./platforms";
import { nextPage, registryErrorText, type ImageDescription, type Manifest } from "./responses";

/** A password the client only reads when it authenticates (a config `Secret` fits). */
interface RevealablePassword {
  reveal(): string;
}

export interface RegistryClientOptions {
  /** Registry host and optional port, as in image references: `ghcr.io`, `127.0.0.1:5000`. */
  readonly server: string;
  /** Plain HTTP instead of HTTPS (loopback development registries only). */
  readonly insecure?: boolean;
  readonly username?: string;
  readonly password?: RevealablePassword;
  /** Per-request timeout; 30 s by default. */
  readonly timeoutMs?: number;
  /** The fetch implementation; the global one by default. */
  readonly fetch?: typeof fetch;
}

type Actions = "pull" | "delete";

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_API = "registry-1.docker.io";

/**
 * A client for the OCI distribution API: bearer-token and basic authentication, manifests,
 * tags and deletes. It never logs or returns credentials.
 */
export class RegistryClient {
  readonly server: string;
  private readonly base: string;
  private readonly options: RegistryClientOptions;
  private readonly fetchFn: typeof fetch;
  /** Authorization header values by token scope (`basic` for basic auth). */
  private readonly auth: Map<string, string>;

  // Every field is assigned here, none by an initializer: Pulumi's closure serializer (dynamic
  // providers) keeps only the constructor's body.
  constructor(options: RegistryClientOptions) {
    this.auth = new Map<string, string>();
    this.server = options.server;
    this.options = options;
    this.fetchFn = options.fetch ?? fetch;
    const host = options.server === DOCKER_HUB ? DOCKER_HUB_API : options.server;
    this.base = `${options.insecure === true ? "http" : "https"}://${host}`;
  }

  /** The manifest `reference` (tag or digest) names, or undefined when there is none. */
  async manifest(path: string, reference: string): Promise<Manifest | undefined> {
    const response = await this.manifestResponse("GET", path, reference);
    if (response === undefined) {
      return undefined;
    }
    await this.expect(response, [200], `GET manifest ${path}:${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const computed = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && computed !== reference) {
      throw new RegistryError(
        "protocol",
        `${this.server} served a manifest for ${path}@${reference} whose content has digest ${computed}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new RegistryError(
        "protocol",
        `${this.server} served a manifest for ${path}:${reference} that is not JSON`,
      );
    }
    const header = response.headers.get("content-type")?.split(";")[0]?.trim();
    const declared = (body as { mediaType?: unknown } | null)?.mediaType;
    return {
      digest: reference.startsWith("sha256:") ? reference : computed,
      mediaType: typeof declared === "string" ? declared : (header ?? ""),
      body,
    };
  }

  /** The digest a tag points to, or undefined when the tag does not exist. */
  async resolve(path: string, tag: string): Promise<string | undefined> {
    const response = await this.manifestResponse("HEAD", path, tag);
    if (response === undefined) {
      return undefined;
    }
    await this.expect(response, [200], `HEAD manifest ${path}:${tag}`);
    const digest = response.headers.get("docker-content-digest");
    if (digest !== null && digest.startsWith("sha256:")) {
      return digest;
    }
    return (await this.manifest(path, tag))?.digest;
  }

  /** Whether the registry still holds a manifest with this digest. */
  async exists(path: string, digest: string): Promise<boolean> {
    const response = await this.manifestResponse("HEAD", path, digest);
    if (response === undefined) {
      return false;
    }
    await this.expect(response, [200], `HEAD manifest ${path}@${digest}`);
    return true;
  }

  /**
   * What a digest is and which platforms it runs on; undefined when the registry does not
   * have it. With `created`, also reads the image config of its first platform.
   */
  async describe(
    path: string,
    digest: string,
    options: { readonly created?: boolean } = {},
  ): Promise<ImageDescription | undefined> {
    const manifest = await this.manifest(path, digest);
    if (manifest === undefined) {
      return undefined;
    }
    if (isIndex(manifest.mediaType)) {
      const entries: IndexEntry[] = indexEntries(manifest.body);
      const platforms = [
        ...new Set(
          entries.flatMap((entry) => (entry.platform === undefined ? [] : [entry.platform])),
        ),
      ].sort();
      const first = entries.find((entry) => entry.platform !== undefined);
      const created =
        options.created === true && first !== undefined
          ? (await this.imageConfig(path, first.digest))?.created
          : undefined;
      return {
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        index: true,
        platforms,
        children: entries.map((entry) => entry.digest),
        ...(typeof created === "string" ? { created } : {}),
      };
    }
    const config = await this.configOf(path, manifest);
    const platform = platformName(config);
    return {
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      index: false,
      platforms: platform === undefined ? [] : [platform],
      children: [],
      ...(options.created === true && typeof config?.created === "string"
        ? { created: config.created }
        : {}),
    };
  }

  /**
   * The image config (labels, `created`, platform) of a single image, or of the first runnable
   * platform of an index; undefined when the registry does not have the digest.
   */
  async imageConfigOf(path: string, digest: string): Promise<Record<string, unknown> | undefined> {
    const manifest = await this.manifest(path, digest);
    if (manifest === undefined) {
      return undefined;
    }
    if (!isIndex(manifest.mediaType)) {
      return this.configOf(path, manifest);
    }
    const first = indexEntries(manifest.body).find((entry) => entry.platform !== undefined);
    return first === undefined ? undefined : this.imageConfig(path, first.digest);
  }

  /**
   * Digests of the manifests that refer to `digest` (attestations, signatures, SBOMs) by the
   * OCI referrers API; undefined when the registry has no such API (then referrers are tags,
   * `sha256-<hex>`).
   */
  async referrers(path: string, digest: string): Promise<string[] | undefined> {
    const response = await this.request("GET", path, `/referrers/${digest}`, "pull", {
      Accept: "application/vnd.oci.image.index.v1+json",
    });
    if ([400, 404, 405].includes(response.status)) {
      await response.body?.cancel();
      return undefined;
    }
    await this.expect(response, [200], `GET referrers of ${path}@${digest}`);
    return indexEntries(await response.json()).map((entry) => entry.digest);
  }

  /** Every tag of a repository; empty when the repository does not exist. */
  async tags(path: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/tags/list?n=1000`;
    while (next !== undefined) {
      const response = await this.request("GET", path, next, "pull", {
        Accept: "application/json",
      });
      if (response.status === 404) {
        return tags;
      }
      await this.expect(response, [200], `GET tags of ${path}`);
      const body = (await response.json()) as { tags?: unknown };
      if (Array.isArray(body.tags)) {
        tags.push(...body.tags.filter((tag): tag is string => typeof tag === "string"));
      }
      next = nextPage(response.headers.get("link"), path);
    }
    return tags;
  }

  /**
   * Deletes the manifest with this digest, and so every tag that points to it. Deleting a
   * digest that is already gone is not an error.
   */
  async delete(path: string, digest: string): Promise<void> {
    const response = await this.request("DELETE", path, `/manifests/${digest}`, "delete", {});
    if (response.status === 404) {
      return;
    }
    if (response.status === 405) {
      throw new RegistryError(
        "unsupported",
        `${this.server} does not allow deletes (a distribution registry needs storage.delete.enabled: true, ` +
          "REGISTRY_STORAGE_DELETE_ENABLED=true)",
      );
    }
    await this.expect(response, [200, 202], `DELETE ${path}@${digest}`);
  }

  /** The registry's answer to a manifest request; undefined when it has no such manifest. */
  private async manifestResponse(
    method: "GET" | "HEAD",
    path: string,
    reference: string,
  ): Promise<Response | undefined> {
    const response = await this.request(method, path, `/manifests/${reference}`, "pull", {
      Accept: MANIFEST_ACCEPT,
    });
    return response.status === 404 ? undefined : response;
  }

  private async imageConfig(
    path: string,
    digest: string,
  ): Promise<Record<string, unknown> | undefined> {
    const manifest = await this.manifest(path, digest);
    return manifest === undefined ? undefined : this.configOf(path, manifest);
  }

  private async configOf(
    path: string,
    manifest: Manifest,
  ): Promise<Record<string, unknown> | undefined> {
    const config = (manifest.body as { config?: { digest?: unknown } } | null)?.config;
    if (typeof config?.digest !== "string") {
      return undefined;
    }
    const response = await this.request("GET", path, `/blobs/${config.digest}`, "pull", {});
    if (response.status === 404) {
      return undefined;
    }
    await this.expect(response, [200], `GET config blob ${path}@${config.digest}`);
    try {
      return (await response.json()) as Record<string, unknown>;
    } catch {
      throw new RegistryError(
        "protocol",
        `${this.server} served a config blob of ${path} that is not JSON`,
      );
    }
  }

  private async expect(
    response: Response,
    statuses: readonly number[],
    what: string,
  ): Promise<void> {
    if (statuses.includes(response.status)) {
      return;
    }
    const text = await response.text().catch(() => "");
    const detail = registryErrorText(text);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        "unauthorized",
        `${this.server} refused ${what}: ${response.status}${detail}; check slipway:registry.username and password`,
      );
    }
    throw new RegistryError(
      "protocol",
      `${this.server} answered ${what} with ${response.status}${detail}`,
    );
  }

  private async request(
    method: "GET" | "HEAD" | "DELETE",
    path: string,
    suffix: string,
    actions: Actions,
    headers: Record<string, string>,
  ): Promise<Response> {
    const url = `${this.base}/v2/${path}${suffix}`;
    const scope = `repository:${path}:${actions}`;
    const cached = this.auth.get(scope) ?? this.auth.get("basic");
    let response = await this.send(
      method,
      url,
      cached === undefined ? headers : { ...headers, Authorization: cached },
    );
    if (response.status !== 401) {
      return response;
    }
    const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
    await response.body?.cancel();
    let authorization: string;
    if (challenge?.scheme === "bearer" && challenge.params.realm !== undefined) {
      authorization = await this.token(challenge.params, scope);
      this.auth.set(scope, authorization);
    } else if (challenge?.scheme === "basic" && this.options.username !== undefined) {
      authorization = this.basic();
      this.auth.set("basic", authorization);
    } else {
      throw new RegistryError(
        "unauthorized",
        `${this.server} requires credentials for ${path}; set slipway:registry.username and password`,
      );
    }
    response = await this.send(method, url, { ...headers, Authorization: authorization });
    return response;
  }

  private basic(): string {
    const password = this.options.password?.reveal() ?? "";
    return `Basic ${Buffer.from(`${this.options.username ?? ""}:${password}`).toString("base64")}`;
  }

  private async token(params: Readonly<Record<string, string>>, scope: string): Promise<string> {
    const url = new URL(params.realm!);
    if (params.service !== undefined) {
      url.searchParams.set("service", params.service);
    }
    url.searchParams.set("scope", params.scope ?? scope);
    const headers: Record<string, string> =
      this.options.username === undefined ? {} : { Authorization: this.basic() };
    const response = await this.send("GET", url.toString(), headers);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new RegistryError(
        "unauthorized",
        `the token service of ${this.server} (${url.origin}) refused ${this.options.username === undefined ? "anonymous access" : `the credentials of ${this.options.username}`}: ${response.status}`,
      );
    }
    await this.expect(response, [200], `the token request for ${scope}`);
    const body = (await response.json()) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === "string" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "") {
      throw new RegistryError("protocol", `the token service of ${this.server} returned no token`);
    }
    return `Bearer ${token}`;
  }

  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        method,
        headers,
        redirect: "follow",
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason =
        typeof cause?.code === "string"
          ? cause.code
          : typeof cause?.message === "string"
            ? cause.message
            : error instanceof Error
              ? error.message
              : String(error);
      throw new RegistryError(
        "unreachable",
        `cannot reach registry ${this.server} (${new URL(url).protocol.replace(":", "")}): ${reason}`,
      );
    }
  }
}
