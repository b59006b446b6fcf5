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
  servicesRequiredCheck(raw, hostNames, add);
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

/** Something runs on declared hosts (a retired `slipway:service` has its own refusal). */
function servicesRequiredCheck(raw: RawMap, hostNames: ReadonlySet<string>, add: Add): void {
  if (
    hostNames.size > 0 &&
    raw.service === undefined &&
    raw.services === undefined &&
    raw.accessories === undefined
  ) {
    add(
      "services",
      [],
      "is required when hosts are declared: what should run on them? (slipway:services)",
    );
  }
}
