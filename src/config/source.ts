import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { Secret } from "./secret";
import { NAMESPACE } from "./validate";

/** The `slipway:*` config of one stack as the engine hands it over, before validation. */
export interface ConfigSource {
  /** Values by key without the namespace (`images`, `registry`, …), already decrypted. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Keys (without namespace) the engine says hold a secret somewhere. */
  readonly secretKeys: ReadonlySet<string>;
  /** Text of `Pulumi.<stack>.yaml`, which tells exactly which leaves are `secure:`. */
  readonly stackFile?: string;
  /**
   * Keys set outside the `slipway` namespace (`github:token`, `slipwya:edge`, …): the GitHub
   * provider's own keys, which Slipway's provider never reads, and misspelt namespaces.
   */
  readonly foreignKeys?: readonly string[];
}

type Path = readonly (string | number)[];

/** Paths of every `secure:` leaf, by key without namespace, read from a stack file. */
function secureLeaves(stackFile: string): Map<string, Path[]> {
  const result = new Map<string, Path[]>();
  const document = parseDocument(stackFile);
  const config = document.get("config", true);
  if (!isMap(config)) {
    return result;
  }
  for (const pair of config.items) {
    const fullKey = isScalar(pair.key) ? String(pair.key.value) : "";
    const key = fullKey.startsWith(`${NAMESPACE}:`)
      ? fullKey.slice(NAMESPACE.length + 1)
      : fullKey.includes(":")
        ? undefined
        : fullKey;
    if (key === undefined) {
      continue;
    }
    const paths: Path[] = [];
    collect(pair.value as Node | null, [], paths);
    result.set(key, paths);
  }
  return result;
}

function collect(node: Node | null, where: Path, out: Path[]): void {
  if (isMap(node)) {
    if (
      node.items.length === 1 &&
      isScalar(node.items[0]!.key) &&
      node.items[0]!.key.value === "secure"
    ) {
      out.push(where);
      return;
    }
    for (const pair of node.items) {
      if (isScalar(pair.key)) {
        collect(pair.value as Node | null, [...where, String(pair.key.value)], out);
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => collect(item as Node | null, [...where, index], out));
  }
}

function wrapAt(value: unknown, path: Path): unknown {
  if (path.length === 0) {
    return typeof value === "string" ? new Secret(value) : value;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value) && typeof head === "number" && head < value.length) {
    return (value as unknown[]).map((item, index) => (index === head ? wrapAt(item, rest) : item));
  }
  if (typeof value === "object" && value !== null && typeof head === "string" && head in value) {
    const map = value as Record<string, unknown>;
    return { ...map, [head]: wrapAt(map[head], rest) };
  }
  return value;
}

function wrapAll(value: unknown): unknown {
  if (typeof value === "string") {
    return new Secret(value);
  }
  if (Array.isArray(value)) {
    return value.map(wrapAll);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapAll(v)]));
  }
  return value;
}

/**
 * Returns the raw values with every secret leaf wrapped in a Secret. Where the stack file
 * holds a key, its `secure:` leaves are the secrets; a key that comes from elsewhere and
 * that the engine marks secret has all its leaves treated as secret.
 */
export function markSecrets(source: ConfigSource): Record<string, unknown> {
  const leaves =
    source.stackFile === undefined ? new Map<string, Path[]>() : secureLeaves(source.stackFile);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source.values)) {
    const paths = leaves.get(key);
    if (paths !== undefined) {
      out[key] = paths.reduce<unknown>((acc, where) => wrapAt(acc, where), value);
    } else {
      out[key] = source.secretKeys.has(key) ? wrapAll(value) : value;
    }
  }
  return out;
}
