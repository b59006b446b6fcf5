import { selectRollback, type PinUpdate, type RollbackTarget } from "../../ledger";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import {
  defaultRepository,
  pinAndUp,
  readStackFiles,
  refusal,
  stackSettings,
  validatedConfig,
} from "../pinning";
import { endRollbackPins, pinnedAtOf, runningDigests } from "../build-rollback";
import { heldOnHosts } from "../held-on-hosts";
import { closeEarlySessions } from "../early-sessions";
import { switchToWarm } from "../warm-rollback";
import { checkDigests, type DigestCheck } from "../registries";
import { refuseRejected } from "../release-safety";
import { parseDigestReference } from "../../reference";
import type { ServiceSpec } from "../../config/services";

interface RollbackOptions {
  readonly stack: string;
  readonly release?: number;
  readonly to?: string;
  readonly steps?: number;
  readonly images?: readonly string[];
  /** Only the images of these services (`--service`). */
  readonly services?: readonly string[];
  readonly noUp: boolean;
  /** End the rollback pins of a build stack (`--unpin`): those images build again. */
  readonly unpin?: boolean;
}

/** The images `--service` names, refused when unknown or shared with a service left alone. */
async function serviceImages(run: Run, stack: string, names: readonly string[]): Promise<string[]> {
  const config = await validatedConfig(run, stack);
  const known = config.services.map((service) => service.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new CliError(
      EXIT.usage,
      `${stack} has no service ${unknown.join(", ")}; its services: ${known.join(", ") || "none"}`,
    );
  }
  const images = [
    ...new Set(
      config.services.filter((service) => names.includes(service.name)).map((s) => s.image),
    ),
  ];
  for (const image of images) {
    const others = config.services.filter(
      (service) => service.image === image && !names.includes(service.name),
    );
    if (others.length > 0) {
      throw new CliError(
        EXIT.usage,
        `image ${image} also runs as ${others.map((service) => service.name).join(", ")}; rolling it back changes those too`,
        [`slipway rollback --stack ${stack} --image ${image}  # all services of image ${image}`],
      );
    }
  }
  return images;
}

/**
 * With the registry unreachable, a rollback goes ahead when every host that runs each image
 * still holds the digest (a kept release: no pull); the pin says so (`checkedOn: hosts`), and
 * the stack's registry check and verification skip it. The problems otherwise.
 */
async function heldEverywhere(
  run: Run,
  stack: string,
  checks: readonly DigestCheck[],
): Promise<string[]> {
  const config = await validatedConfig(run, stack);
  if (config.target === "kubernetes") {
    return ["a Kubernetes target pulls on whichever node a pod lands: it needs the registry"];
  }
  const held = await heldOnHosts(run, config, checks);
  const problems = held.flatMap((image) =>
    image.hosts.length === 0
      ? [`${image.name}: nothing on the hosts runs it, so no host can vouch for it`]
      : image.lacking.map(
          (gap) => `${image.name}: host ${gap.host} ${gap.why} (${image.ref}), so it would pull`,
        ),
  );
  if (problems.length === 0) {
    for (const image of held) {
      run.progress(
        `the registry is unreachable, but every host that runs ${image.name} still holds ${parseDigestReference(image.ref).digest} (${image.hosts.join(", ")}): rolling back without a pull`,
      );
    }
  }
  return problems;
}

/** `rollout.live` of each blue/green service that runs one of `images`: that image's digest. */
export function liveOf(
  services: readonly ServiceSpec[],
  images: Readonly<Record<string, { readonly digest: string }>>,
): Record<string, string> {
  return Object.fromEntries(
    services.flatMap((service) => {
      const image = images[service.image];
      return service.rollout?.strategy === "blueGreen" &&
        image !== undefined &&
        service.rollout.live !== image.digest
        ? [[service.name, image.digest]]
        : [];
    }),
  );
}

/**
 * `slipway rollback --stack <stack> [--to <digest> | --steps N]`: pins digests of an earlier
 * release from the ledger, after checking they are still in the registry, and runs the update.
 */
export async function rollback(run: Run, options: RollbackOptions): Promise<void> {
  const { stack } = options;
  const files = readStackFiles(run, stack);
  const only =
    options.services === undefined
      ? options.images
      : [
          ...new Set([
            ...(options.images ?? []),
            ...(await serviceImages(run, stack, options.services)),
          ]),
        ];
  if (options.unpin === true) {
    return endRollbackPins(run, files, only, options.noUp);
  }
  const config = await validatedConfig(run, stack);
  const running = runningDigests(files, config);
  let target: RollbackTarget;
  try {
    target = selectRollback(files.ledger, running, {
      ...(options.release === undefined ? {} : { release: options.release }),
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(options.steps === undefined ? {} : { steps: options.steps }),
      ...(only === undefined ? {} : { images: only }),
    });
  } catch (error) {
    return refusal(error);
  }
  const { release } = target;
  // Images that already run the release's digest need neither a check nor a pin.
  const images = Object.fromEntries(
    Object.entries(target.images).filter(([name, image]) => running[name]?.digest !== image.digest),
  );
  refuseRejected(
    run,
    Object.entries(images).map(([name, image]) => ({
      what: `image ${name}`,
      digest: image.digest,
    })),
    [
      `slipway history --stack ${stack}  # pick a release without it: slipway rollback --stack ${stack} --release <n>`,
    ],
  );
  const settings = await stackSettings(run, stack);
  // An image the stack builds gets its pin beside the build, until the next build release.
  const pinnedAt = pinnedAtOf(run, config, Object.keys(images));
  run.progress(
    `rolling ${stack} back to release #${release.id} (${release.kind}${release.source === undefined ? "" : ` from ${release.source}`}, ${release.at})`,
  );
  // Hosts that kept the release warm serve it at once; the update then finds them on it.
  // The switches start first: loading the Automation API (prepare) holds this process for a
  // second or more, and the hosts switch meanwhile.
  const switching = options.noUp
    ? Promise.resolve([])
    : switchToWarm(
        run,
        config,
        Object.fromEntries(Object.entries(images).map(([name, image]) => [name, image.digest])),
      );
  if (!options.noUp) {
    run.deps.driver.prepare?.();
  }
  const warm = await switching;
  // The sessions opened for the switch as the command started that it did not use.
  closeEarlySessions();
  const earlier = files.ledger.releases
    .filter((entry) => entry.id < release.id)
    .map((entry) => entry.id);
  const checked = await afterSwitches(
    stack,
    release.id,
    warm,
    checkDigests(
      run,
      Object.entries(images).map(([name, image]) => ({ name, ref: image.ref })),
      [settings.registry],
      [
        `slipway history --stack ${stack}  # pick a release whose digests still exist`,
        earlier.length > 0
          ? `slipway rollback --stack ${stack} --to <digest of release #${earlier[earlier.length - 1]!} or earlier>`
          : `slipway promote --from <build stack> --to ${stack}  # rebuild and promote instead`,
      ],
      (unanswered) => heldEverywhere(run, stack, unanswered),
    ),
  );

  const updates: Record<string, PinUpdate> = {};
  for (const [name, image] of Object.entries(images)) {
    const repository = parseDigestReference(image.ref).repository;
    updates[name] = {
      digest: image.digest,
      tag: image.tag ?? null,
      revision: image.revision ?? null,
      repository: repository === defaultRepository(settings.registry, name) ? null : repository,
      source: null,
      restores: release.id,
      ...(checked[name]?.heldOnHosts === true ? { checkedOn: "hosts" as const } : {}),
      ...(pinnedAt[name] === undefined ? {} : { pinnedAt: pinnedAt[name] }),
    };
  }
  // A blue/green service of a rolled-back image: every user gets the pinned release again,
  // not only its preview route.
  const live = liveOf(config.services, images);
  const stopped = warm.some((outcome) => outcome.stoppedCanary);
  const { up } = await pinAndUp(run, files, settings, updates, {
    noUp: options.noUp,
    ...(stopped ? { lockWaitSeconds: 60 } : {}),
    ...(Object.keys(live).length === 0 ? {} : { live }),
  });
  const lines = Object.entries(images).map(
    ([name, image]) =>
      `  ${name}: ${running[name]?.digest ?? "(none)"} -> ${image.digest}${image.tag === undefined ? "" : ` ${image.tag}`}`,
  );
  const held = Object.keys(pinnedAt);
  if (held.length > 0) {
    lines.push(
      `${held.join(", ")} stay${held.length === 1 ? "s" : ""} pinned until a commit changes ${held.length === 1 ? "it" : "them"} (the next build release) or: slipway rollback --stack ${stack} --unpin`,
    );
  }
  const text =
    up === undefined
      ? `pinned release #${release.id} in ${files.display} (not deployed: --no-up):\n${lines.join("\n")}\nnext: slipway up --stack ${stack}  # records it as a rollback to #${release.id}`
      : up.record.recorded
        ? `rolled ${stack} back to release #${release.id}; recorded as release #${up.record.release.id}:\n${lines.join("\n")}`
        : `rolled ${stack} back to release #${release.id} (${up.record.message}):\n${lines.join("\n")}`;
  run.result(text, {
    stack,
    restores: release.id,
    images,
    updated: up !== undefined,
    recorded: up?.record.recorded === true,
    ...(warm.length === 0 ? {} : { warm }),
    ...(up?.record.release === undefined ? {} : { release: up.record.release }),
  });
}

/**
 * The registry check of a rollback whose hosts may already have switched to their warm
 * release: when it refuses, its "nothing was changed" is not true of those hosts, so the
 * refusal names them and the way back to the pinned release.
 */
async function afterSwitches<T>(
  stack: string,
  release: number,
  warm: readonly { readonly instance: string; readonly host: string; readonly switched: boolean }[],
  check: Promise<T>,
): Promise<T> {
  try {
    return await check;
  } catch (error) {
    const switched = warm.filter((outcome) => outcome.switched);
    if (!(error instanceof CliError) || switched.length === 0) {
      throw error;
    }
    const hosts = switched.map((outcome) => `${outcome.instance} on ${outcome.host}`).join(", ");
    throw new CliError(
      error.code,
      `${error.message.replace("; nothing was changed:", ":")}\n` +
        `The stack file was not changed, but ${hosts} already serve${switched.length === 1 ? "s" : ""} release #${release} (switched to the warm release); the update did not run.`,
      [`slipway repair --stack ${stack}  # back to the pinned release`, ...error.next],
    );
  }
}
