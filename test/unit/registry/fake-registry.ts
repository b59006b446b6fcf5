/**
 * An in-process OCI distribution registry over real HTTP on loopback, for unit and command
 * tests: manifests, blobs, tags (paginated), deletes, and optional basic or bearer auth.
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type AuthMode = "none" | "basic" | "bearer";

export interface FakeRegistryOptions {
  readonly auth?: AuthMode;
  readonly username?: string;
  readonly password?: string;
  readonly deleteEnabled?: boolean;
  /** Tags per page of /tags/list, to exercise pagination. */
  readonly pageSize?: number;
}

interface Stored {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
}

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export class FakeRegistry {
  readonly options: Required<FakeRegistryOptions>;
  readonly requests: LoggedRequest[] = [];
  /** Manifests and blobs by repository, then digest. */
  readonly #manifests = new Map<string, Map<string, Stored>>();
  readonly #blobs = new Map<string, Map<string, Buffer>>();
  readonly #tags = new Map<string, Map<string, string>>();
  #server: http.Server | undefined;
  #port = 0;

  constructor(options: FakeRegistryOptions = {}) {
    this.options = {
      auth: options.auth ?? "none",
      username: options.username ?? "bot",
      password: options.password ?? "s3cret",
      deleteEnabled: options.deleteEnabled ?? true,
      pageSize: options.pageSize ?? 1000,
    };
  }

  /** `127.0.0.1:<port>`, as a registry server in config and references. */
  get server(): string {
    return `127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    this.#server = http.createServer((request, response) => {
      try {
        this.#handle(request, response);
      } catch (error) {
        response.statusCode = 500;
        response.end(String(error));
      }
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** Stores a blob and returns its digest. */
  putBlob(repository: string, bytes: Buffer): string {
    const digest = sha256(bytes);
    const blobs = this.#blobs.get(repository) ?? new Map<string, Buffer>();
    blobs.set(digest, bytes);
    this.#blobs.set(repository, blobs);
    return digest;
  }

  /** Stores a manifest (exact bytes) and returns its digest. */
  putManifest(repository: string, body: unknown, mediaType: string): string {
    const bytes = Buffer.from(JSON.stringify(body, null, 2));
    const digest = sha256(bytes);
    const manifests = this.#manifests.get(repository) ?? new Map<string, Stored>();
    manifests.set(digest, { bytes, mediaType });
    this.#manifests.set(repository, manifests);
    return digest;
  }

  tag(repository: string, tag: string, digest: string): void {
    const tags = this.#tags.get(repository) ?? new Map<string, string>();
    tags.set(tag, digest);
    this.#tags.set(repository, tags);
  }

  /** A single-platform image; returns the manifest digest. */
  pushSingle(
    repository: string,
    platform: string,
    options: {
      readonly created?: string;
      readonly content?: string;
      readonly tags?: readonly string[];
      readonly labels?: Readonly<Record<string, string>>;
    } = {},
  ): string {
    const [os, architecture, variant] = platform.split("/");
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        ...(variant === undefined ? {} : { variant }),
        created: options.created ?? "2025-01-01T00:00:00Z",
        config: options.labels === undefined ? {} : { Labels: options.labels },
        rootfs: { type: "layers", diff_ids: [] },
      }),
    );
    const layer = Buffer.from(
      options.content ?? `${repository} ${platform} ${options.created ?? ""}`,
    );
    const digest = this.putManifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: "application/vnd.oci.image.config.v1+json",
          digest: this.putBlob(repository, config),
          size: config.length,
        },
        layers: [
          {
            mediaType: "application/vnd.oci.image.layer.v1.tar",
            digest: this.putBlob(repository, layer),
            size: layer.length,
          },
        ],
      },
      OCI_MANIFEST,
    );
    for (const tag of options.tags ?? []) {
      this.tag(repository, tag, digest);
    }
    return digest;
  }

  /**
   * A multi-platform index with an attestation manifest per platform, as BuildKit pushes it;
   * returns the index digest.
   */
  pushIndex(
    repository: string,
    platforms: readonly string[],
    options: {
      readonly created?: string;
      readonly content?: string;
      readonly tags?: readonly string[];
      readonly labels?: Readonly<Record<string, string>>;
    } = {},
  ): string {
    const entries: unknown[] = [];
    const attestations: unknown[] = [];
    for (const platform of platforms) {
      const digest = this.pushSingle(repository, platform, {
        ...options,
        tags: [],
        content: `${options.content ?? ""} ${platform}`,
      });
      const [os, architecture, variant] = platform.split("/");
      entries.push({
        mediaType: OCI_MANIFEST,
        digest,
        size: 500,
        platform: { architecture, os, ...(variant === undefined ? {} : { variant }) },
      });
      const attestation = this.putManifest(
        repository,
        { schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [], subject: digest },
        OCI_MANIFEST,
      );
      attestations.push({
        mediaType: OCI_MANIFEST,
        digest: attestation,
        size: 100,
        annotations: {
          "vnd.docker.reference.digest": digest,
          "vnd.docker.reference.type": "attestation-manifest",
        },
        platform: { architecture: "unknown", os: "unknown" },
      });
    }
    const digest = this.putManifest(
      repository,
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...entries, ...attestations] },
      OCI_INDEX,
    );
    for (const tag of options.tags ?? []) {
      this.tag(repository, tag, digest);
    }
    return digest;
  }

  /** Tags of a repository, sorted, with the digest each points to. */
  tagsOf(repository: string): Record<string, string> {
    return Object.fromEntries(
      [...(this.#tags.get(repository) ?? new Map<string, string>())].sort(),
    );
  }

  hasManifest(repository: string, digest: string): boolean {
    return this.#manifests.get(repository)?.has(digest) === true;
  }

  #authorized(request: http.IncomingMessage): boolean {
    const header = request.headers.authorization;
    switch (this.options.auth) {
      case "none":
        return true;
      case "basic":
        return (
          header ===
          `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString("base64")}`
        );
      case "bearer":
        return header?.startsWith("Bearer token-for:") === true;
      default: {
        const unreachable: never = this.options.auth;
        return unreachable;
      }
    }
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", `http://${this.server}`);
    this.requests.push({
      method: request.method ?? "",
      url: `${url.pathname}${url.search}`,
      ...(request.headers.authorization === undefined
        ? {}
        : { authorization: request.headers.authorization }),
    });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "Content-Type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string) =>
      json(status, { errors: [{ code, message }] });

    if (url.pathname === "/token") {
      const basic = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString("base64")}`;
      if (request.headers.authorization !== basic) {
        return error(401, "UNAUTHORIZED", "bad credentials");
      }
      return json(200, { token: `token-for:${url.searchParams.get("scope") ?? ""}` });
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url.pathname);
    if (url.pathname !== "/v2/" && match === null) {
      return error(404, "NOT_FOUND", "no such endpoint");
    }
    if (!this.#authorized(request)) {
      const repository = match?.[1] ?? "";
      const action = request.method === "DELETE" ? "delete" : "pull";
      const challenge =
        this.options.auth === "basic"
          ? `Basic realm="fake"`
          : `Bearer realm="http://${this.server}/token",service="fake-registry",scope="repository:${repository}:${action}"`;
      response.writeHead(401, {
        "WWW-Authenticate": challenge,
        "Content-Type": "application/json",
      });
      response.end(
        JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
      );
      return;
    }
    if (match === null) {
      return json(200, {});
    }
    const [, repository, kind, rest] = match as unknown as [string, string, string, string];
    const manifests = this.#manifests.get(repository);
    const tags = this.#tags.get(repository);
    if (kind === "tags") {
      if (manifests === undefined) {
        return error(404, "NAME_UNKNOWN", "repository name not known to registry");
      }
      const all = [...(tags?.keys() ?? [])].sort();
      const last = url.searchParams.get("last");
      const n = Math.min(Number(url.searchParams.get("n") ?? "1000"), this.options.pageSize);
      const start = last === null ? 0 : all.findIndex((tag) => tag > last);
      const page = start < 0 ? [] : all.slice(start, start + n);
      const more = start >= 0 && start + n < all.length;
      return json(
        200,
        { name: repository, tags: page.length === 0 && all.length === 0 ? null : page },
        more
          ? {
              Link: `</v2/${repository}/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"`,
            }
          : {},
      );
    }
    if (kind === "blobs") {
      const blob = this.#blobs.get(repository)?.get(rest);
      if (blob === undefined) {
        return error(404, "BLOB_UNKNOWN", "blob unknown to registry");
      }
      response.writeHead(200, { "Content-Type": "application/octet-stream" });
      response.end(blob);
      return;
    }
    const digest = rest.startsWith("sha256:") ? rest : tags?.get(rest);
    const stored = digest === undefined ? undefined : manifests?.get(digest);
    if (request.method === "DELETE") {
      if (!this.options.deleteEnabled) {
        return error(405, "UNSUPPORTED", "The operation is unsupported.");
      }
      if (!rest.startsWith("sha256:") || stored === undefined) {
        return error(404, "MANIFEST_UNKNOWN", "manifest unknown");
      }
      manifests!.delete(rest);
      for (const [tag, target] of [...(tags ?? new Map<string, string>())]) {
        if (target === rest) {
          tags!.delete(tag);
        }
      }
      response.writeHead(202);
      response.end();
      return;
    }
    if (stored === undefined || digest === undefined) {
      return error(404, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    response.writeHead(200, {
      "Content-Type": stored.mediaType,
      "Docker-Content-Digest": digest,
      "Content-Length": String(stored.bytes.length),
    });
    response.end(request.method === "HEAD" ? undefined : stored.bytes);
  }
}
