/**
 * Image build benchmark: what a second build with an unchanged context costs compared with the
 * first, for the images the local stack builds (Pulumi.local.yaml: the samples under `examples/`;
 * linux/amd64 + linux/arm64, registry cache
 * `<repository>:buildcache`). The settings come from the project's own code: the stack file is
 * validated with `validateConfig`, each image is planned with `planBuild` and built with the
 * `buildxArgs` argument list on the `slipway` buildx builder (remote driver, standalone
 * buildkitd), pushing to the local registry on 127.0.0.1:5000.
 *
 *   npx ts-node --transpile-only bench/images.ts [--reps N]
 *
 * Per repetition and image, in a registry namespace of its own (so no registry cache exists):
 *   1. first build: the builder's local cache pruned (`docker buildx prune -af`), so it is cold;
 *   2. second build: unchanged context, right after the first;
 *   3. third build: the local cache pruned again, so only the registry cache can help.
 * Measured per build: wall seconds of `docker buildx build`, the pushed index digest, and the
 * Dockerfile steps BuildKit executed versus took from its cache (`--progress=rawjson` vertices).
 * Starts binfmt, docker, registry and buildkitd if needed (`scripts/services.sh up --hold`), says
 * what it did on stderr and releases its hold at the end; deletes its manifests from the registry.
 * Prints a Markdown table and writes bench/results/images-<time>.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { markSecrets, validateConfig, type BuildConfig } from "../src/config";
import { buildxArgs, planBuild, readSource, stampedPaths, type SourceInfo } from "../src/images";
import {
  BUILDX_BUILDER,
  deleteManifest,
  ensureBusybox,
  getManifest,
  REGISTRY,
  REPO_ROOT,
  run,
  runOk,
  servicesRelease,
  servicesUp,
  uniqueTag,
} from "../test/helpers/services";
import { sourceFromStackFile } from "../test/helpers/stack-files";
import { median } from "./stats";

const STACK = "local";
const BUILD_TIMEOUT_MS = 600_000;
const MAX_REPS = 10;
const PHASES = ["first (cold)", "second (unchanged)", "third (local cache pruned)"] as const;
type Phase = (typeof PHASES)[number];

/** A Dockerfile step as BuildKit names its vertex: `[linux/arm64 base 1/3] COPY …`. */
const STEP = /^\[(?!internal\])[^\]]*\b\d+\/\d+\] /;

interface Vertex {
  readonly name: string;
  readonly cached: boolean;
  /** Seconds from started to completed; undefined when it never ran. */
  readonly seconds?: number;
  readonly error?: string;
}

/** One platform's image in the pushed index. */
interface PlatformImage {
  readonly platform: string;
  readonly manifest: string;
  readonly config: string;
  readonly layers: string[];
}

interface Sample {
  readonly image: string;
  readonly rep: number;
  readonly phase: Phase;
  readonly repository: string;
  readonly seconds: number;
  readonly digest: string;
  readonly platforms: PlatformImage[];
  /** Dockerfile steps (both platforms) seen in the build. */
  readonly steps: number;
  readonly cachedSteps: number;
  /** Steps BuildKit executed instead of taking them from a cache: the rebuilt layers. */
  readonly rebuilt: string[];
  readonly vertices: Vertex[];
}

/** The values of a stream of concatenated JSON documents (what `--progress=rawjson` writes). */
function jsonStream(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) {
      inString = true;
    } else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // not JSON (a plain warning line): skipped
        }
      }
    }
  }
  return values;
}

interface RawVertex {
  digest: string;
  name?: string;
  cached?: boolean;
  started?: string;
  completed?: string;
  error?: string;
}

/** Final state of every vertex in a rawjson progress stream, in order of first appearance. */
function vertices(progress: string): Vertex[] {
  const byDigest = new Map<string, RawVertex>();
  for (const value of jsonStream(progress)) {
    for (const v of (value as { vertexes?: RawVertex[] }).vertexes ?? []) {
      const seen = byDigest.get(v.digest);
      byDigest.set(v.digest, {
        ...seen,
        ...v,
        cached: seen?.cached === true || v.cached === true,
      });
    }
  }
  return [...byDigest.values()].map((v) => ({
    name: v.name ?? v.digest,
    cached: v.cached === true,
    ...(v.started !== undefined && v.completed !== undefined
      ? { seconds: (Date.parse(v.completed) - Date.parse(v.started)) / 1000 }
      : {}),
    ...(v.error === undefined ? {} : { error: v.error }),
  }));
}

/** The image configs the local stack builds, validated as the program validates them. */
function localImages(): { name: string; build: BuildConfig }[] {
  const config = validateConfig(STACK, markSecrets(sourceFromStackFile(STACK)), {
    root: REPO_ROOT,
  });
  return config.images.flatMap((image) =>
    image.kind === "build" ? [{ name: image.name, build: image.build }] : [],
  );
}

async function prune(): Promise<void> {
  await runOk("docker", ["buildx", "prune", "--builder", BUILDX_BUILDER, "-af"], {
    timeoutMs: 120_000,
  });
}

async function build(
  image: { name: string; build: BuildConfig },
  namespace: string,
  source: SourceInfo,
  work: string,
  rep: number,
  phase: Phase,
): Promise<Sample> {
  const plan = planBuild(
    image.name,
    image.build,
    { server: REGISTRY, namespace },
    source,
    REPO_ROOT,
  );
  const metadataFile = path.join(work, `${image.name}-${rep}-${PHASES.indexOf(phase)}.json`);
  const args = buildxArgs(plan, { builder: BUILDX_BUILDER });
  const started = process.hrtime.bigint();
  const result = await run(
    "docker",
    [...args.slice(0, 2), "--progress=rawjson", "--metadata-file", metadataFile, ...args.slice(2)],
    { timeoutMs: BUILD_TIMEOUT_MS },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.code !== 0) {
    const failed = vertices(result.stderr).filter((v) => v.error !== undefined && !v.cached);
    throw new Error(
      `docker ${args.join(" ")} exited ${result.code}: ${failed.map((v) => `${v.name}: ${v.error}`).join("; ")}\n${result.stderr.slice(-2000)}`,
    );
  }
  const metadata = JSON.parse(fs.readFileSync(metadataFile, "utf8")) as {
    "containerimage.digest"?: string;
  };
  const digest = metadata["containerimage.digest"] ?? "";
  // The push really happened: every tag of the plan names that index in the registry.
  const repository = plan.repository.slice(REGISTRY.length + 1);
  for (const tag of plan.tags) {
    const pushed = await getManifest(repository, tag.slice(plan.repository.length + 1));
    if (pushed.digest !== digest) {
      throw new Error(`${tag} is ${pushed.digest} in the registry, the build said ${digest}`);
    }
  }
  const index = await getManifest(repository, digest);
  const platforms: PlatformImage[] = [];
  for (const entry of index.body.manifests ?? []) {
    const manifest = (await getManifest(repository, entry.digest)).body as unknown as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    platforms.push({
      platform: `${entry.platform?.os ?? "?"}/${entry.platform?.architecture ?? "?"}`,
      manifest: entry.digest,
      config: manifest.config.digest,
      layers: manifest.layers.map((layer) => layer.digest),
    });
  }
  const all = vertices(result.stderr);
  const steps = all.filter((v) => STEP.test(v.name));
  return {
    image: image.name,
    rep,
    phase,
    repository: plan.repository,
    seconds,
    digest,
    platforms,
    steps: steps.length,
    cachedSteps: steps.filter((v) => v.cached).length,
    rebuilt: steps.filter((v) => !v.cached && v.seconds !== undefined).map((v) => v.name),
    vertices: all,
  };
}

/** How a build's index differs from the first build of its repetition. */
function digestChange(sample: Sample, first: Sample): string {
  if (sample.digest === first.digest) {
    return "same";
  }
  const changes = sample.platforms.flatMap((image) => {
    const before = first.platforms.find((p) => p.platform === image.platform);
    if (before === undefined) return [`${image.platform} new`];
    if (before.manifest === image.manifest) return [];
    const layers = before.layers.join() === image.layers.join() ? "same layers" : "other layers";
    const config = before.config === image.config ? "same config" : "other config";
    return [`${image.platform}: ${layers}, ${config}`];
  });
  return `differs (${changes.join("; ")})`;
}

function summarize(samples: Sample[]): string {
  const rows = [
    "| image | build | runs | wall s, median (min–max) | ratio to first, median | layers rebuilt (per run) | steps cached / steps | digest vs first build of the run |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const image of [...new Set(samples.map((s) => s.image))]) {
    const ofImage = samples.filter((s) => s.image === image);
    for (const phase of PHASES) {
      const group = ofImage.filter((s) => s.phase === phase);
      if (group.length === 0) continue;
      const secs = group.map((s) => s.seconds);
      const firstOf = (s: Sample) => ofImage.find((f) => f.rep === s.rep && f.phase === PHASES[0])!;
      const ratios = group.map((s) => s.seconds / firstOf(s).seconds);
      const changes = group.map((s) => digestChange(s, firstOf(s)));
      rows.push(
        [
          "",
          image,
          phase,
          group.length,
          `${median(secs).toFixed(2)} (${Math.min(...secs).toFixed(2)}–${Math.max(...secs).toFixed(2)})`,
          phase === PHASES[0] ? "1" : median(ratios).toFixed(2),
          group.map((s) => s.rebuilt.length).join(", "),
          group.map((s) => `${s.cachedSteps}/${s.steps}`).join(", "),
          phase === PHASES[0]
            ? "—"
            : [...new Set(changes)]
                .map((c) => `${changes.filter((x) => x === c).length}× ${c}`)
                .join("; "),
          "",
        ]
          .join(" | ")
          .trim(),
      );
    }
  }
  return rows.join("\n");
}

/** Best effort: drops the benchmark's manifests (index and cache) from the local registry. */
async function cleanRegistry(samples: Sample[]): Promise<number> {
  let deleted = 0;
  const seen = new Set<string>();
  for (const sample of samples) {
    const repository = sample.repository.slice(REGISTRY.length + 1);
    if (seen.has(repository)) continue;
    seen.add(repository);
    for (const reference of [sample.digest, "buildcache"]) {
      try {
        const manifest = await getManifest(repository, reference);
        if ((await deleteManifest(repository, manifest.digest)) === 202) deleted++;
      } catch {
        // already gone
      }
    }
  }
  return deleted;
}

function repsFromArgs(): number {
  const flag = process.argv.indexOf("--reps");
  const reps = flag < 0 ? 3 : Number(process.argv[flag + 1]);
  if (!Number.isInteger(reps) || reps < 1 || reps > MAX_REPS) {
    throw new Error(`--reps must be a whole number from 1 to ${MAX_REPS}`);
  }
  return reps;
}

async function main(): Promise<void> {
  const reps = repsFromArgs();
  const hold = `bench-images-${process.pid}`;
  const services = await servicesUp(["binfmt", "docker", "registry", "buildkitd"], [], hold);
  for (const [name, result] of Object.entries(services)) {
    process.stderr.write(`services: ${name}: ${result.detail}\n`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-images-"));
  const samples: Sample[] = [];
  const buildkit = (await runOk("docker", ["buildx", "inspect", BUILDX_BUILDER])).stdout;
  try {
    await ensureBusybox();
    const images = localImages();
    // Read once: a commit made meanwhile must not change the labels between builds.
    const source = readSource({
      root: REPO_ROOT,
      paths: images.map((i) => i.build.context),
      ...stampedPaths(
        images.map((i) => i.build),
        REPO_ROOT,
      ),
    });
    const tag = uniqueTag("images");
    for (let rep = 1; rep <= reps; rep++) {
      for (const image of images) {
        const namespace = `slipway-bench/${tag}-r${rep}`;
        for (const phase of PHASES) {
          if (phase !== PHASES[1]) await prune();
          const sample = await build(image, namespace, source, work, rep, phase);
          samples.push(sample);
          const first = samples.find(
            (s) => s.image === image.name && s.rep === rep && s.phase === PHASES[0],
          )!;
          process.stderr.write(
            `rep ${rep}/${reps} ${image.name} ${phase}: ${sample.seconds.toFixed(2)} s, ` +
              `${sample.rebuilt.length} of ${sample.steps} steps rebuilt, ${sample.digest} ` +
              `(${digestChange(sample, first)})\n`,
          );
        }
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    process.stderr.write(`registry: deleted ${await cleanRegistry(samples)} bench manifests\n`);
    const released = await servicesRelease(hold);
    for (const line of released.stdout.trim().split("\n").filter(Boolean)) {
      process.stderr.write(`services: release: ${line}\n`);
    }
  }

  const table = summarize(samples);
  const resultsDir = path.join(REPO_ROOT, "bench", "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(
    resultsDir,
    `images-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  const version = /BuildKit version:\s*(\S+)/.exec(buildkit)?.[1] ?? "unknown";
  fs.writeFileSync(file, `${JSON.stringify({ buildkit: version, samples }, null, 2)}\n`);
  process.stdout.write(`${table}\n\nraw samples: ${path.relative(REPO_ROOT, file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
