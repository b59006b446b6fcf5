/**
 * Reading a rollout from the objects the API returns, as plain functions: why a new release's
 * pods are not ready, what undoing it means (`kubectl rollout undo`: the previous
 * ReplicaSet's template), and whether the pods run the pinned digest.
 */

/** The parts of a Pod this code reads (the API's JSON). */
export interface PodView {
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly containers?: readonly { readonly name: string; readonly image: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
    readonly containerStatuses?: readonly ContainerStatusView[];
  };
}

interface ContainerStatusView {
  readonly name: string;
  readonly image?: string;
  readonly imageID?: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: ContainerStateView;
  readonly lastState?: ContainerStateView;
}

interface ContainerStateView {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: {
    readonly reason?: string;
    readonly exitCode?: number;
    readonly message?: string;
  };
}

/** The parts of an Event this code reads. */
export interface EventView {
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTimestamp?: string | null;
  readonly eventTime?: string | null;
}

/** The parts of a ReplicaSet this code reads. */
export interface ReplicaSetView {
  readonly metadata: {
    readonly name: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly { readonly kind: string; readonly name: string }[];
  };
  readonly spec?: {
    readonly template?: {
      readonly metadata?: { readonly labels?: Record<string, string> };
    } & Record<string, unknown>;
  };
}

const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** The pods that run `image` (the new release's), oldest problem first. */
export function podsOfImage(pods: readonly PodView[], image: string): PodView[] {
  return pods.filter(
    (pod) =>
      pod.metadata.deletionTimestamp === undefined &&
      (pod.spec?.containers ?? []).some((container) => container.image === image),
  );
}

/**
 * One line naming why the pods of a release are not ready: a container waiting or crashing
 * (ErrImagePull, CrashLoopBackOff, …) with its message, else the newest warning event
 * (failed readiness probe, failed scheduling), else the pods' phase.
 */
export function notReadyCause(pods: readonly PodView[], events: readonly EventView[]): string {
  if (pods.length === 0) {
    const scheduling = newestWarning(events, () => true);
    return scheduling === undefined ? "no pod of the release was created" : scheduling;
  }
  const causes: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name;
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      const terminated = status.state?.terminated ?? status.lastState?.terminated;
      if (waiting?.reason !== undefined && waiting.reason !== "ContainerCreating") {
        causes.push(
          `pod ${name}: container ${status.name} ${waiting.reason}${waiting.message ? `: ${oneLine(waiting.message)}` : ""}` +
            (terminated === undefined ? "" : ` (last exit: ${terminatedText(terminated)})`),
        );
      } else if (terminated !== undefined && status.ready !== true) {
        causes.push(`pod ${name}: container ${status.name} exited: ${terminatedText(terminated)}`);
      }
    }
    if (causes.length > 0) {
      continue;
    }
    const warning = newestWarning(events, (event) => event.involvedObject?.name === name);
    if (warning !== undefined) {
      causes.push(`pod ${name}: ${warning}`);
      continue;
    }
    const unready = pod.status?.conditions?.find((c) => c.type === "Ready" && c.status !== "True");
    causes.push(
      `pod ${name}: ${pod.status?.phase ?? "Pending"}` +
        (unready?.message ? `, ${oneLine(unready.message)}` : ", not ready"),
    );
  }
  return [...new Set(causes)].join("; ");
}

function terminatedText(state: NonNullable<ContainerStateView["terminated"]>): string {
  return `${state.reason ?? "exit"} (code ${state.exitCode ?? "?"})${state.message ? `: ${oneLine(state.message)}` : ""}`;
}

function newestWarning(
  events: readonly EventView[],
  match: (event: EventView) => boolean,
): string | undefined {
  const warnings = events
    .filter((event) => event.type === "Warning" && match(event))
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
  const newest = warnings[0];
  return newest === undefined
    ? undefined
    : `${newest.reason ?? "Warning"}: ${oneLine(newest.message ?? "")}`;
}

function eventTime(event: EventView): string {
  return event.lastTimestamp ?? event.eventTime ?? "";
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * The JSON patch that undoes a Deployment's latest rollout, as `kubectl rollout undo` does:
 * the pod template of the ReplicaSet with the highest revision below the newest one. Undefined
 * when there is no earlier revision (a first release has nothing to return to).
 */
export function undoPatch(
  deployment: string,
  replicaSets: readonly ReplicaSetView[],
): { readonly patch: unknown[]; readonly revision: number } | undefined {
  const owned = replicaSets
    .filter((rs) =>
      (rs.metadata.ownerReferences ?? []).some(
        (owner) => owner.kind === "Deployment" && owner.name === deployment,
      ),
    )
    .map((rs) => ({ rs, revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? NaN) }))
    .filter((entry) => Number.isInteger(entry.revision))
    .sort((a, b) => b.revision - a.revision);
  const previous = owned[1];
  const template = previous?.rs.spec?.template;
  if (previous === undefined || template === undefined) {
    return undefined;
  }
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels["pod-template-hash"];
  const restored = { ...template, metadata: { ...(template.metadata ?? {}), labels } };
  return {
    patch: [{ op: "replace", path: "/spec/template", value: restored }],
    revision: previous.revision,
  };
}

/** The digest of a container status' imageID (`repo@sha256:…`, maybe with a scheme), or undefined. */
export function imageIdDigest(imageID: string | undefined): string | undefined {
  const match = /sha256:[a-f0-9]{64}$/.exec(imageID ?? "");
  return match?.[0];
}

/** What one pod runs, against the digest the stack pins. */
interface PodImageStatus {
  readonly pod: string;
  readonly ready: boolean;
  /** The digest the runtime reports (`imageID`); undefined while the image is pulled. */
  readonly running?: string;
  readonly matches: boolean;
}

/**
 * Each live pod's running digest (its container's imageID, what the runtime really pulled)
 * against `digest`. A pod still pulling has no imageID and does not match.
 */
export function podImages(
  pods: readonly PodView[],
  container: string,
  digest: string,
): PodImageStatus[] {
  return pods
    .filter((pod) => pod.metadata.deletionTimestamp === undefined)
    .map((pod) => {
      const status = (pod.status?.containerStatuses ?? []).find((c) => c.name === container);
      const running = imageIdDigest(status?.imageID);
      return {
        pod: pod.metadata.name,
        ready: status?.ready === true,
        ...(running === undefined ? {} : { running }),
        matches: running === digest,
      };
    })
    .sort((a, b) => a.pod.localeCompare(b.pod));
}

/** The parts of a Deployment this code reads. */
export interface DeploymentView {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: {
      readonly spec?: { readonly containers?: readonly { readonly image?: string }[] };
    };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
  };
}

/**
 * Where a Deployment's rollout to `image` is: not applied yet (another image in the
 * template), progressing, or complete (every replica updated and available, no old pod left),
 * as `kubectl rollout status` judges it.
 */
export function rolloutState(
  deployment: DeploymentView | undefined,
  image: string,
): "not-applied" | "progressing" | "complete" {
  const template = deployment?.spec?.template?.spec?.containers?.[0]?.image;
  if (deployment === undefined || template !== image) {
    return "not-applied";
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
  return observed &&
    (status.updatedReplicas ?? 0) >= wanted &&
    (status.availableReplicas ?? 0) >= wanted &&
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0)
    ? "complete"
    : "progressing";
}
