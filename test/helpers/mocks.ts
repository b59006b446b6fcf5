import * as pulumi from "@pulumi/pulumi";

/** One `newResource` call the program made, as the engine would see it. */
export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /**
   * The parent's name, and the names of the resources the engine is told this one depends
   * on (the SDK expands a component in `dependsOn` to the custom resources under it).
   */
  readonly options: { readonly parent?: string; readonly dependsOn?: string[] };
  /** The URN the engine gave it ("" until it answered). */
  readonly urn: string;
}

/** The resource name at the end of a URN. */
function urnName(urn: string): string {
  return urn.split("::").pop()!;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}

type RegisterCallback = (error: unknown, response?: { getUrn(): string }) => void;

/** What the monitor saw of one registration that `newResource` is not given. */
interface RequestInfo {
  readonly options: Recorded["options"];
  urn: string;
}

/**
 * Wraps the mock monitor's registerResource to keep each request's parent, dependencies and
 * answered URN, by `<type> <name>`.
 */
function recordRequests(): Map<string, RequestInfo> {
  const requests = new Map<string, RequestInfo>();
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, callback: RegisterCallback) => unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const info: RequestInfo = {
      options: {
        ...(req.getParent() === "" ? {} : { parent: urnName(req.getParent()) }),
        dependsOn: req.getDependenciesList().map(urnName).sort(),
      },
      urn: "",
    };
    requests.set(`${req.getType()} ${req.getName()}`, info);
    return register(req, (error, response) => {
      info.urn = response?.getUrn() ?? "";
      callback(error, response);
    });
  };
  return requests;
}

export const DIGEST_A = `sha256:${"a1".repeat(32)}`;

/**
 * Installs Pulumi mocks that record every resource. Outputs the engine would compute are
 * filled in: docker-build Images get `digest` and `ref`, and `call`s are answered by
 * `calls` (by token) or echo their inputs.
 */
export async function recordResources(
  stack: string,
  options: {
    readonly preview?: boolean;
    readonly calls?: Record<string, (inputs: Record<string, any>) => Record<string, any>>;
    /** The digest a docker-build Image gets from its inputs; DIGEST_A for every one when absent. */
    readonly digestOf?: (inputs: Record<string, any>) => string;
  } = {},
): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  let requests = new Map<string, RequestInfo>();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const info = requests.get(`${args.type} ${args.name}`);
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, any>,
          options: info?.options ?? {},
          get urn() {
            return info?.urn ?? "";
          },
        });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "docker-build:index:Image") {
          const digest = options.digestOf?.(args.inputs as Record<string, any>) ?? DIGEST_A;
          state.digest = digest;
          const tags = (args.inputs as { tags?: string[] }).tags ?? [];
          state.ref = `${tags[0] ?? "image"}@${digest}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const answer = options.calls?.[args.token];
        return answer
          ? answer(args.inputs as Record<string, any>)
          : (args.inputs as Record<string, any>);
      },
    },
    "slipway",
    stack,
    options.preview ?? false,
  );
  requests = recordRequests();
  return recorded;
}

/** The value of an Output, once the mocks resolved it. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Waits until every resource registration queued so far has reached the mocks. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The signature Pulumi's serializer puts on a secret value. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** `{ secret: value }` when the engine received the input as a secret, else `{ plain: value }`. */
export function secrecy(input: unknown): { secret: unknown } | { plain: unknown } {
  if (
    typeof input === "object" &&
    input !== null &&
    (input as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG
  ) {
    return { secret: (input as { value: unknown }).value };
  }
  return { plain: input };
}

/** `value` with every input the engine would receive as a secret replaced by "[secret]". */
export function withoutSecrets(value: unknown): unknown {
  if ("secret" in secrecy(value)) {
    return "[secret]";
  }
  if (Array.isArray(value)) {
    return value.map(withoutSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

/** What the engine receives for one resource registration, as the mock monitor sees it. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** URNs of the resources this one waits for (dependsOn and its inputs' resources). */
  readonly dependencies: string[];
  readonly retainOnDelete: boolean;
  /** Inputs, with secrets unwrapped. */
  readonly inputs: Record<string, any>;
}

/** The parts of a RegisterResourceRequest that tests read. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getRetainondelete(): boolean;
  getObject(): unknown;
}

interface MockMonitor {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

/** A value with Pulumi's secret wrappers removed. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(unwrapSecrets);
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SPECIAL_SIG_KEY] === SECRET_SIG) {
      return unwrapSecrets(record.value);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/**
 * Records, in arrival order, every registration the installed mocks' monitor receives, with
 * the dependencies and options the engine would act on. Call after `setMocks`.
 */
export async function recordRegistrations(
  onRegistration: (registration: Registration) => void,
): Promise<void> {
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as {
    getMonitor(): MockMonitor;
  };
  const rpc = (await import("@pulumi/pulumi/runtime/rpc")) as unknown as {
    deserializeProperties(object: unknown): unknown;
  };
  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    onRegistration({
      type: req.getType(),
      name: req.getName(),
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      dependencies: req.getDependenciesList(),
      retainOnDelete: req.getRetainondelete(),
      inputs: unwrapSecrets(rpc.deserializeProperties(req.getObject())) as Record<string, any>,
    });
    return original(req, callback);
  };
}

/** Waits until every registration and invoke queued so far has reached the mocks. */
export async function waitForRPCs(): Promise<void> {
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as {
    waitForRPCs(): Promise<void>;
  };
  await settings.waitForRPCs();
}
