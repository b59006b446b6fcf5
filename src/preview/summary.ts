import { DIGEST_PATTERN, splitTag } from "../reference";
import { SOURCE_LABEL } from "../registry/repository";
import type {
  HostChange,
  HostStatus,
  ImageChange,
  ImageSide,
  ImageStatus,
  PreviewSummary,
} from "./changes";
import {
  UNKNOWN,
  urnName,
  urnStack,
  urnType,
  type PreviewData,
  type ResourceChange,
} from "./model";

/** Types the summary recognises; they come from the Slipway program and its providers. */
const TYPES = {
  stack: "pulumi:pulumi:Stack",
  image: "docker-build:index:Image",
  imageBuild: "slipway:image:ImageBuild",
  command: "command:remote:Command",
  localCommand: "command:local:Command",
  hostDeployment: "slipway:deploy:HostDeployment",
} as const;

const REVISION_LABEL = "org.opencontainers.image.revision";

type Json = Record<string, unknown>;

function asMap(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function known(value: unknown): string | undefined {
  return typeof value === "string" && value !== UNKNOWN && value !== "" ? value : undefined;
}

function digestOf(value: unknown): string | undefined {
  const text = known(value);
  return text !== undefined && DIGEST_PATTERN.test(text) ? text : undefined;
}

function revisionOf(value: unknown): string | undefined {
  const text = known(value);
  return text !== undefined && /^[0-9a-f]{7,40}$/.test(text) ? text : undefined;
}

const DIGEST_REF =
  /([a-z0-9][a-z0-9.-]*(?::[0-9]+)?(?:\/[a-z0-9._-]+)+)(?::[A-Za-z0-9_][A-Za-z0-9._-]*)?@(sha256:[a-f0-9]{64})/g;

/** Every `repository@sha256:…` inside a value (strings, lists, maps, JSON text). */
function digestRefs(value: unknown): { repository: string; digest: string }[] {
  if (typeof value === "string") {
    return [...value.matchAll(DIGEST_REF)].map((m) => ({ repository: m[1]!, digest: m[2]! }));
  }
  if (Array.isArray(value)) {
    return value.flatMap(digestRefs);
  }
  if (typeof value === "object" && value !== null) {
    return Object.values(value).flatMap(digestRefs);
  }
  return [];
}

/** A structured config value; undefined when absent, a secret, or not a map. */
function parseJson(text: string | undefined): Json | undefined {
  if (text === undefined) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Json)
      : undefined;
  } catch {
    return undefined;
  }
}

const CHANGING = new Set(["create", "update", "replace", "delete"]);

interface Side {
  digest?: string;
  pending?: boolean;
  revision?: string;
  repository?: string;
}

/** Keeps the first value found for each field: sources are consulted best first. */
function fill(side: Side, more: Side): void {
  for (const key of ["digest", "revision", "repository"] as const) {
    if (side[key] === undefined && more[key] !== undefined) {
      side[key] = more[key];
    }
  }
  if (more.pending === true && side.digest === undefined) {
    side.pending = true;
  }
}

/**
 * What a preview means for delivery: which images move from which digest to which, from which
 * source revision, and which hosts get a new release.
 */
export function summarize(preview: PreviewData): PreviewSummary {
  const stackChange = preview.changes.find((c) => c.type === TYPES.stack);
  const oldOutputs = asMap(stackChange?.old?.outputs);
  const newOutputs = asMap(stackChange?.new?.outputs);
  const oldImages = asMap(oldOutputs.images);
  const newImages = asMap(newOutputs.images);
  const hostsOutput = { ...asMap(oldOutputs.hosts), ...asMap(newOutputs.hosts) };
  const configImages = parseJson(preview.config["slipway:images"]);

  const names: string[] = [];
  const olds = new Map<string, Side>();
  const news = new Map<string, Side>();
  const present = new Map<string, boolean>();
  const side = (map: Map<string, Side>, name: string): Side => {
    if (!names.includes(name)) {
      names.push(name);
    }
    const found = map.get(name);
    if (found !== undefined) {
      return found;
    }
    const made: Side = {};
    map.set(name, made);
    return made;
  };
  const nameOf = (repository: string): string => {
    for (const outputs of [newImages, oldImages]) {
      for (const [name, image] of Object.entries(outputs)) {
        if (asMap(image).repository === repository) {
          return name;
        }
      }
    }
    return repository.split("/").pop() ?? repository;
  };
  let source: string | undefined = known(preview.config["slipway:source"]);

  // 1. Image resources in build stacks: digests from outputs, revisions from labels.
  for (const change of preview.changes.filter((c) => c.type === TYPES.image)) {
    const parent = change.new?.parent ?? change.old?.parent;
    const tags = (change.new?.inputs.tags ?? change.old?.inputs.tags ?? []) as unknown[];
    const repository = typeof tags[0] === "string" ? splitTag(tags[0]).repository : undefined;
    const name =
      parent !== undefined && urnType(parent) === TYPES.imageBuild
        ? urnName(parent)
        : nameOf(repository ?? urnName(change.urn));
    const oldLabels = asMap(change.old?.inputs.labels ?? change.old?.outputs.labels);
    const newLabels = asMap(change.new?.inputs.labels);
    source ??= known(newLabels[SOURCE_LABEL]) ?? known(oldLabels[SOURCE_LABEL]);
    if (change.op !== "create" && change.old !== undefined) {
      fill(side(olds, name), {
        digest: digestOf(change.old.outputs.digest),
        revision: revisionOf(oldLabels[REVISION_LABEL]),
        repository,
      });
    }
    if (change.op === "delete") {
      present.set(name, false);
      continue;
    }
    present.set(name, true);
    const newDigest = digestOf(change.new?.outputs.digest);
    fill(side(news, name), {
      digest:
        change.op === "same" ? (newDigest ?? digestOf(change.old?.outputs.digest)) : newDigest,
      pending: change.op !== "same" && newDigest === undefined,
      revision: revisionOf(newLabels[REVISION_LABEL]),
      repository,
    });
  }

  // 2. The stack's exported images: the last deploy, and this one when the preview knows it.
  for (const [name, image] of Object.entries(oldImages)) {
    const value = asMap(image);
    fill(side(olds, name), {
      digest: digestOf(value.digest),
      revision: revisionOf(value.revision),
      repository: known(value.repository),
    });
  }
  for (const [name, image] of Object.entries(newImages)) {
    const value = asMap(image);
    present.set(name, true);
    fill(side(news, name), {
      digest: digestOf(value.digest),
      revision: revisionOf(value.revision),
      repository: known(value.repository),
    });
  }

  // 3. Pins in the config the preview ran with (promote stacks).
  if (configImages !== undefined) {
    for (const name of [...names]) {
      if (!(name in configImages)) {
        present.set(name, present.get(name) ?? false);
      }
    }
  }
  for (const [name, image] of Object.entries(configImages ?? {})) {
    const pin = asMap(asMap(image).pin);
    present.set(name, true);
    const tag = known(pin.tag);
    fill(side(news, name), {
      digest: digestOf(pin.digest),
      revision:
        revisionOf(pin.revision) ?? revisionOf(/^sha-([0-9a-f]{7,40})$/.exec(tag ?? "")?.[1]),
      repository: known(pin.repository),
    });
  }

  // 4. Deploy commands: the refs they deploy, and the hosts they run on.
  const hosts = new Map<string, HostChange>();
  for (const change of preview.changes.filter(
    (c) => c.type === TYPES.command || c.type === TYPES.localCommand,
  )) {
    const parent = change.new?.parent ?? change.old?.parent;
    const underDeployment = parent !== undefined && urnType(parent) === TYPES.hostDeployment;
    const oldRefs = digestRefs(change.old?.inputs.triggers);
    const newRefs = digestRefs(change.new?.inputs.triggers);
    if (!underDeployment && oldRefs.length === 0 && newRefs.length === 0) {
      continue;
    }
    for (const ref of oldRefs) {
      fill(side(olds, nameOf(ref.repository)), ref);
    }
    for (const ref of newRefs) {
      fill(side(news, nameOf(ref.repository)), ref);
    }
    // Only a host deployment's commands run on hosts; others that carry digests (the
    // attestation of a build, keyed by its digest) say which image moves, not where.
    if (!underDeployment || !CHANGING.has(change.op)) {
      continue;
    }
    const host = hostOf(change, parent, hostsOutput);
    const status: HostStatus =
      change.op === "create" ? "added" : change.op === "delete" ? "removed" : "redeployed";
    const before = hosts.get(host.name);
    const definitionOnly =
      change.op !== "create" &&
      change.op !== "delete" &&
      oldRefs.length > 0 &&
      sameDigests(oldRefs, newRefs) &&
      otherTriggers(change.old?.inputs.triggers) !== otherTriggers(change.new?.inputs.triggers);
    hosts.set(host.name, {
      ...host,
      status: before === undefined || before.status === status ? status : "redeployed",
      ...(definitionOnly || before?.definitionOnly === true ? { definitionOnly: true } : {}),
    });
  }

  const images: ImageChange[] = names.map((name) => {
    const old = olds.get(name);
    const next = news.get(name);
    const gone = present.get(name) === false;
    return { name, status: imageStatus(old, next, gone), ...sides(old, gone ? undefined : next) };
  });

  const rollbackPins = Object.entries(configImages ?? {}).flatMap(([name, image]) => {
    const pin = asMap(asMap(image).pin);
    const restores = pin.restores;
    return asMap(image).build !== undefined && known(pin.pinnedAt) !== undefined
      ? [{ image: name, ...(typeof restores === "number" ? { restores } : {}) }]
      : [];
  });

  const anyUrn = preview.changes[0]?.urn;
  const stack = anyUrn === undefined ? undefined : urnStack(anyUrn);
  return {
    ...(stack === undefined ? {} : { stack }),
    ...(source === undefined ? {} : { source }),
    images,
    hosts: [...hosts.values()].sort((a, b) => a.name.localeCompare(b.name)),
    changeSummary: preview.changeSummary,
    errors: preview.errors.length,
    ...(rollbackPins.length === 0 ? {} : { rollbackPins }),
  };
}

function sameDigests(
  a: readonly { readonly digest?: string }[],
  b: readonly { readonly digest?: string }[],
): boolean {
  const digests = (refs: readonly { readonly digest?: string }[]) =>
    refs
      .map((ref) => ref.digest ?? "")
      .sort()
      .join(" ");
  return digests(a) === digests(b);
}

/** The triggers of a deploy command other than digest references (the definition's hash). */
function otherTriggers(triggers: unknown): string {
  return JSON.stringify(
    (Array.isArray(triggers) ? triggers : []).filter(
      (value) => !(typeof value === "string" && value.includes("@sha256:")),
    ),
  );
}

/** The host a deploy command runs on: by address in the stack's hosts, else by its component. */
function hostOf(
  change: ResourceChange,
  parent: string | undefined,
  hostsOutput: Json,
): { name: string; address?: string } {
  const connection = asMap(change.new?.inputs.connection ?? change.old?.inputs.connection);
  const address = known(connection.host);
  const entries = Object.entries(hostsOutput).map(([name, host]) => ({
    name,
    address: known(asMap(host).address),
  }));
  const byAddress = entries.filter((entry) => address !== undefined && entry.address === address);
  if (byAddress.length === 1) {
    return { name: byAddress[0]!.name, address: address! };
  }
  const component = parent === undefined ? urnName(change.urn) : urnName(parent);
  const byName =
    entries.find((entry) => entry.name === component) ??
    entries
      .filter(
        (entry) => component.endsWith(`-${entry.name}`) || component.startsWith(`${entry.name}-`),
      )
      .sort((a, b) => b.name.length - a.name.length)[0];
  const found = byName?.address ?? address;
  return { name: byName?.name ?? component, ...(found === undefined ? {} : { address: found }) };
}

function imageStatus(old: Side | undefined, next: Side | undefined, gone: boolean): ImageStatus {
  if (gone) {
    return "removed";
  }
  if (old?.digest === undefined) {
    return next?.digest !== undefined || next?.pending === true ? "added" : "unchanged";
  }
  if (next?.pending === true) {
    return "rebuilt";
  }
  return next?.digest !== undefined && next.digest !== old.digest ? "changed" : "unchanged";
}

function sides(
  old: Side | undefined,
  next: Side | undefined,
): { old?: ImageSide; new?: ImageSide } {
  const copy = (value: Side | undefined) =>
    value === undefined || Object.keys(value).length === 0 ? undefined : { ...value };
  const before = copy(old);
  const after = copy(next);
  return {
    ...(before === undefined ? {} : { old: before }),
    ...(after === undefined ? {} : { new: after }),
  };
}
