/**
 * Summaries of the profiles bench/services-scale.ts takes with `--profile`: a V8 CPU profile
 * (self time by function and by package) and an engine log of `--logflow -v=9 --logtostderr`
 * (glog lines: when the program's registrations arrived and where the time went between them).
 */
import * as fs from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Where a script URL belongs: its npm package, Slipway's own dist/ file, or node itself. */
function area(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) {
    return modules[1]!;
  }
  const own = /\/dist\/(.*)$/.exec(url);
  if (own) {
    return `slipway ${own[1]!}`;
  }
  return url === "" ? "(native, gc, idle)" : url.startsWith("node:") ? "node" : url;
}

const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`;

/** The self time of the profile's top functions and packages, as Markdown lines. */
export function summarizeCpuProfile(file: string, top = 12): string {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) {
      return;
    }
    total += delta;
    const where = area(frame.url);
    const name = `${frame.functionName || "(anonymous)"} (${where}:${frame.lineNumber + 1})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    byArea.set(where, (byArea.get(where) ?? 0) + delta);
  });
  const sorted = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `Sampled ${ms(total)}. Self time by package:`,
    ...sorted(byArea).map(
      ([name, t]) => `- ${name}: ${ms(t)} (${((100 * t) / total).toFixed(0)}%)`,
    ),
    "Top functions by self time:",
    ...sorted(byFunction).map(([name, t]) => `- ${ms(t)} ${name}`),
  ].join("\n");
}

/** One engine log line: seconds since midnight and the message (`--logtostderr` JSON lines). */
function engineLine(line: string): { at: number; msg: string } | undefined {
  if (!line.startsWith('{"time"')) {
    return undefined;
  }
  try {
    const entry = JSON.parse(line) as { time: string; msg?: string };
    const m = /T(\d\d):(\d\d):(\d\d\.\d+)/.exec(entry.time);
    return m
      ? { at: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]), msg: entry.msg ?? "" }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The phases of a preview from its engine log: the CLI's start, the language host starting the
 * program, the program's first registration (the stack), its first resource, its last one, the
 * engine's last step, the end; and the longest waits between two registrations.
 */
export function summarizeEngineLog(file: string, top = 5): string {
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map(engineLine)
    .filter((entry): entry is { at: number; msg: string } => entry !== undefined);
  if (lines.length === 0) {
    return `no engine log lines in ${file}`;
  }
  const first = (test: (msg: string) => boolean) => lines.find((entry) => test(entry.msg));
  const received = lines.filter((entry) =>
    entry.msg.startsWith("ResourceMonitor.RegisterResource received:"),
  );
  const finished = lines.filter((entry) =>
    entry.msg.startsWith("ResourceMonitor.RegisterResource operation finished:"),
  );
  const start = lines[0]!.at;
  const marks: [string, number | undefined][] = [
    ["update starts", first((msg) => msg.startsWith("*** Starting Update"))?.at],
    ["language host runs the program", first((msg) => msg.startsWith("langhost[nodejs].Run("))?.at],
    ["program registers the stack", received[0]?.at],
    ["first resource registered", received[1]?.at],
    ["last resource registered", received[received.length - 1]?.at],
    ["last registration answered", finished[finished.length - 1]?.at],
    ["update complete", first((msg) => msg.startsWith("*** Update(preview=true) complete"))?.at],
    ["log ends", lines[lines.length - 1]!.at],
  ];
  let previous = start;
  const phases = marks.map(([name, at]) => {
    if (at === undefined) {
      return `- ${name}: not in the log`;
    }
    const line = `- +${(at - start).toFixed(2)} s ${name} (${(at - previous).toFixed(2)} s after the mark before)`;
    previous = at;
    return line;
  });
  const waits = received
    .slice(1)
    .map((entry, i) => ({ gap: entry.at - received[i]!.at, msg: entry.msg }))
    .sort((a, b) => b.gap - a.gap)
    .slice(0, top);
  return [
    `${lines.length} log lines over ${(lines[lines.length - 1]!.at - start).toFixed(2)} s; ${received.length} registrations received.`,
    ...phases,
    "Longest waits between two registrations (seconds, the later one):",
    ...waits.map(({ gap, msg }) => `- ${gap.toFixed(3)}: ${msg.slice(0, 110)}`),
  ].join("\n");
}
