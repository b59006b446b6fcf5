import { attestationChecks } from "./attestations";
import { edgeChecks, edgePortChecks } from "./edge";
import { githubChecks } from "./github";
import { hostChecks } from "./hosts";
import { imageChecks } from "./images";
import { asList, asMap, type Add, type RawIssue, type RawMap } from "./raw";
import { registryChecks } from "./registry";
import { repositoryChecks } from "./registry-repositories";
import type { Role } from "./role";
import { rolloutChecks } from "./rollout";
import { workloadChecks } from "./service-checks";
import { verifyChecks } from "./supply";

/**
 * Checks that span fields or keys, each concern's from its own module, in this order. They
 * read the raw config defensively so they run even when the schema has found other problems:
 * every problem is reported at once.
 */
export function crossChecks(raw: RawMap, role: Role): RawIssue[] {
  const issues: RawIssue[] = [];
  const add: Add = (key, where, message) => issues.push({ key, path: where, message });

  registryChecks(raw, add);
  issues.push(...repositoryChecks(raw));
  const imageNames = imageChecks(raw, role, add);
  const hostNames = hostChecks(raw, add);
  singleServiceChecks(raw, imageNames, hostNames, add);
  edgePortChecks(asMap(raw.edge), asList(raw.hosts), add);
  workloadChecks(raw, imageNames, add);
  rolloutChecks(raw, add);
  edgeChecks(asMap(raw.edge), imageNames, add);
  const github = asMap(raw.github);
  if (github !== undefined) {
    githubChecks(github, role, add);
  }
  attestationChecks(raw, add);
  verifyChecks(asMap(raw.verify), add);
  return issues;
}

/** Something runs on declared hosts; the one-service form names an image the stack has. */
function singleServiceChecks(
  raw: RawMap,
  imageNames: readonly string[],
  hostNames: ReadonlySet<string>,
  add: Add,
): void {
  const service = asMap(raw.service);
  if (
    service === undefined &&
    hostNames.size > 0 &&
    raw.service === undefined &&
    raw.services === undefined &&
    raw.accessories === undefined
  ) {
    add(
      "services",
      [],
      "is required when hosts are declared: what should run on them? (slipway:services, or slipway:service for one)",
    );
  }
  // With no image at all, that one problem says what to do; service references would only echo it.
  if (service !== undefined && imageNames.length > 0) {
    if (
      typeof service.image === "string" &&
      asMap(raw.images) !== undefined &&
      !imageNames.includes(service.image)
    ) {
      add(
        "service",
        ["image"],
        `${JSON.stringify(service.image)} is not in slipway:images (${imageNames.join(", ") || "none declared"})`,
      );
    }
    const edgeImage =
      typeof asMap(raw.edge)?.image === "string" ? asMap(raw.edge)!.image : undefined;
    const candidates = imageNames.filter((name) => name !== edgeImage);
    if (service.image === undefined && asMap(raw.images) !== undefined && candidates.length === 0) {
      add(
        "service",
        ["image"],
        "has no image to run besides the edge proxy; declare one under slipway:images",
      );
    }
    if (service.image === undefined && candidates.length > 1) {
      add(
        "service",
        ["image"],
        `is required when there are several images: one of ${candidates.join(", ")}`,
      );
    }
  }
}
