import { isMap, isScalar, parseDocument, Scalar, YAMLMap, type Document } from "yaml";
import type { CheckedOn } from "../config/images";
import { NAMESPACE } from "../config/validate";
import { assertNoConflictMarkers, LedgerError } from "./errors";
import { YAML_OUTPUT } from "./ledger";

/** What `slipway:images.<name>.pin` holds in a stack file. */
export interface StackPin {
  readonly digest?: string;
  readonly tag?: string;
  readonly revision?: string;
  readonly repository?: string;
  /** The stack it was promoted from (`slipway promote`). */
  readonly source?: string;
  /** The ledger release it restores (`slipway rollback`). */
  readonly restores?: number;
  /** `hosts`: checked on the hosts, the registry being unreachable (`slipway rollback`). */
  readonly checkedOn?: CheckedOn;
  /** Beside `build`: the commit the build came from when a rollback pinned it. */
  readonly pinnedAt?: string;
}

/** A pin to write: the digest, and the tag and repository to record (null removes them). */
export interface PinUpdate {
  readonly digest: string;
  /** The tag to record beside the digest; null removes a recorded tag; undefined keeps it. */
  readonly tag?: string | null;
  /** The git commit the digest was built from; null removes it; undefined keeps it. */
  readonly revision?: string | null;
  /** A repository other than the stack's default one; null removes it; undefined keeps it. */
  readonly repository?: string | null;
  /** The stack the digest was promoted from; null removes it; undefined keeps it. */
  readonly source?: string | null;
  /** The ledger release a rollback restores; null removes it; undefined keeps it. */
  readonly restores?: number | null;
  /**
   * `hosts` when the digest was checked on the hosts instead of the unreachable registry;
   * anything else removes it: every pin write is checked afresh.
   */
  readonly checkedOn?: CheckedOn;
  /**
   * A build stack's rollback: the commit the image's build came from, which lets the pin go
   * beside `build` (the next build release ends it). Absent: the image must not build here.
   */
  readonly pinnedAt?: string;
}

const IMAGES_KEY = `${NAMESPACE}:images`;

function imagesOf(document: Document, display: string): YAMLMap | undefined {
  if (document.errors.length > 0) {
    throw new LedgerError(`${display} is not valid YAML: ${document.errors[0]!.message}`);
  }
  const config = document.get("config", true);
  if (config === undefined || config === null) {
    return undefined;
  }
  if (!isMap(config)) {
    throw new LedgerError(`${display}: config is not a map`);
  }
  const images = config.get(IMAGES_KEY, true);
  if (images === undefined || images === null) {
    return undefined;
  }
  if (!isMap(images)) {
    throw new LedgerError(`${display}: ${IMAGES_KEY} is not a map of image names`);
  }
  return images;
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) {
    return undefined;
  }
  const value = node.value;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

/** The pins of every image in a stack file's text, by image name (images that build: none). */
export function readPins(text: string, display = "stack file"): Record<string, StackPin> {
  assertNoConflictMarkers(display, text);
  const images = imagesOf(parseDocument(text), display);
  const pins: Record<string, StackPin> = {};
  for (const pair of images?.items ?? []) {
    const name = scalarText(pair.key);
    const image = pair.value;
    if (name === undefined || !isMap(image)) {
      continue;
    }
    const pin = image.get("pin", true);
    if (!isMap(pin)) {
      continue;
    }
    const digest = scalarText(pin.get("digest", true));
    const tag = scalarText(pin.get("tag", true));
    const revision = scalarText(pin.get("revision", true));
    const repository = scalarText(pin.get("repository", true));
    const source = scalarText(pin.get("source", true));
    const restores = Number(scalarText(pin.get("restores", true)));
    const checkedOn = scalarText(pin.get("checkedOn", true));
    const pinnedAt = scalarText(pin.get("pinnedAt", true));
    pins[name] = {
      ...(digest === undefined ? {} : { digest }),
      ...(tag === undefined ? {} : { tag }),
      ...(revision === undefined ? {} : { revision }),
      ...(repository === undefined ? {} : { repository }),
      ...(source === undefined ? {} : { source }),
      ...(Number.isInteger(restores) && restores > 0 ? { restores } : {}),
      ...(checkedOn === "hosts" ? { checkedOn } : {}),
      ...(pinnedAt === undefined ? {} : { pinnedAt }),
    };
  }
  return pins;
}

/** Adds an empty `slipway:images` map to a stack file that has none. */
function addImagesMap(document: Document, display: string): YAMLMap {
  let config: unknown = document.get("config", true);
  if (config === undefined || config === null) {
    config = new YAMLMap();
    document.set("config", config);
  }
  if (!isMap(config)) {
    throw new LedgerError(`${display}: config is not a map`);
  }
  const images = new YAMLMap();
  config.set(IMAGES_KEY, images);
  return images;
}

/** Sets a scalar in place, so the comments and style around it stay as they were. */
function setScalar(map: YAMLMap, key: string, value: string | number | null | undefined): void {
  if (value === undefined) {
    return;
  }
  if (value === null) {
    map.delete(key);
    return;
  }
  const node = map.get(key, true);
  if (isScalar(node)) {
    node.value = value;
  } else {
    map.set(key, new Scalar(value));
  }
}

/**
 * The stack file's text with `slipway:images.<name>.pin` set for each image in `pins`.
 * Everything else (comments, order, quoting, secrets) stays byte for byte. An image the file
 * does not declare yet is added; an image that the stack builds is refused.
 */
export function setPins(
  text: string,
  pins: Readonly<Record<string, PinUpdate>>,
  display = "stack file",
): string {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text);
  const entries = Object.entries(pins);
  if (entries.length === 0) {
    return document.toString(YAML_OUTPUT);
  }
  const images = imagesOf(document, display) ?? addImagesMap(document, display);
  images.flow = false;
  for (const [name, update] of entries) {
    const found: unknown = images.get(name, true);
    const image = isMap(found) ? found : new YAMLMap();
    if (image !== found) {
      images.set(name, image);
    }
    if (image.has("build") && update.pinnedAt === undefined) {
      throw new LedgerError(
        `${display} builds image ${JSON.stringify(name)} itself; only a stack that pins its images can be promoted to or rolled back`,
      );
    }
    const existing: unknown = image.get("pin", true);
    const map = isMap(existing) ? existing : new YAMLMap();
    if (map !== existing) {
      image.set("pin", map);
    }
    setScalar(map, "digest", update.digest);
    setScalar(map, "tag", update.tag);
    setScalar(map, "revision", update.revision);
    setScalar(map, "repository", update.repository);
    setScalar(map, "source", update.source);
    setScalar(map, "restores", update.restores);
    setScalar(map, "checkedOn", update.checkedOn ?? null);
    setScalar(map, "pinnedAt", update.pinnedAt ?? null);
  }
  return document.toString(YAML_OUTPUT);
}

/**
 * The stack file's text without the rollback pins (`pin` beside `build`) of `names`: those
 * images build again. Everything else stays byte for byte.
 */
export function removeRollbackPins(
  text: string,
  names: readonly string[],
  display = "stack file",
): string {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text);
  const images = imagesOf(document, display);
  for (const name of names) {
    const image: unknown = images?.get(name, true);
    if (!isMap(image) || !image.has("build") || !image.has("pin")) {
      throw new LedgerError(`${display} has no rollback pin on image ${JSON.stringify(name)}`);
    }
    image.delete("pin");
  }
  return document.toString(YAML_OUTPUT);
}

/** The config key `slipway maintenance on|off` writes. */
const MAINTENANCE_KEY = "slipway:maintenance";

/**
 * The stack file's text with `slipway:maintenance.<service>` set (`message`, `retryAfter`),
 * or removed when `setting` is undefined (the key too, once no service is left in it).
 * Everything else stays byte for byte.
 */
export function setMaintenance(
  text: string,
  service: string,
  setting: { readonly message?: string; readonly retryAfter: number } | undefined,
  display = "stack file",
): string {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text);
  let config: unknown = document.get("config", true);
  if (config === undefined || config === null) {
    if (setting === undefined) {
      return document.toString(YAML_OUTPUT);
    }
    config = new YAMLMap();
    document.set("config", config);
  }
  if (!isMap(config)) {
    throw new LedgerError(`${display}: config is not a map`);
  }
  const found: unknown = config.get(MAINTENANCE_KEY, true);
  if (setting === undefined) {
    if (isMap(found)) {
      found.delete(service);
      if (found.items.length === 0) {
        config.delete(MAINTENANCE_KEY);
      }
    }
    return document.toString(YAML_OUTPUT);
  }
  const services = isMap(found) ? found : new YAMLMap();
  if (services !== found) {
    config.set(MAINTENANCE_KEY, services);
  }
  services.flow = false;
  const existing: unknown = services.get(service, true);
  const entry = isMap(existing) ? existing : new YAMLMap();
  if (entry !== existing) {
    services.set(service, entry);
  }
  setScalar(entry, "message", setting.message ?? null);
  setScalar(entry, "retryAfter", setting.retryAfter);
  return document.toString(YAML_OUTPUT);
}

const SERVICES_KEY = `${NAMESPACE}:services`;

/**
 * The stack file's text with `slipway:services.<service>.rollout.live` set to each digest of
 * `live` (a blue/green's digest every user gets: `slipway switch`, `slipway rollback`). The
 * services must declare a rollout; everything else stays byte for byte.
 */
export function setLive(
  text: string,
  live: Readonly<Record<string, string>>,
  display = "stack file",
): string {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text);
  const entries = Object.entries(live);
  if (entries.length === 0) {
    return document.toString(YAML_OUTPUT);
  }
  const config: unknown = document.get("config", true);
  const services: unknown = isMap(config) ? config.get(SERVICES_KEY, true) : undefined;
  for (const [service, digest] of entries) {
    const entry: unknown = isMap(services) ? services.get(service, true) : undefined;
    const rollout: unknown = isMap(entry) ? entry.get("rollout", true) : undefined;
    if (!isMap(rollout)) {
      throw new LedgerError(
        `${display} declares no ${SERVICES_KEY}.${service}.rollout to set live in`,
      );
    }
    setScalar(rollout, "live", digest);
  }
  return document.toString(YAML_OUTPUT);
}
