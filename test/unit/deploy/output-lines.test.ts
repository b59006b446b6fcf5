/**
 * Upstream pulumi-command v1.2.1 reads a command's logged output with a line scanner that stops
 * at a line over 64 KiB, after which the command hangs. Slipway logs only the deploy and stop
 * scripts' stdout (SCRIPT_LOGGING), so these tests prove that the generated scripts write to
 * stdout through `say` alone, and that no `say` line can reach the limit.
 */
import { strict as assert } from "node:assert";
import { deployScript, stopScript, type ServiceDefinition } from "../../../src/deploy";
import { SCRIPT_LOGGING } from "../../../infra/deploy/host-deployment";
import { HOSTILE, typicalDefinition } from "./fixtures";

/** bufio.Scanner's default maximum token size, which upstream uses for each logged line. */
const UPSTREAM_LINE_LIMIT = 64 * 1024;

/** Commands that never write to stdout (builtins, file tools, and the scripts' `fail`). */
const SILENT = new Set([
  "[",
  "test",
  ":",
  "true",
  "false",
  "set",
  "trap",
  "umask",
  "exec",
  "exit",
  "return",
  "shift",
  "cd",
  "rm",
  "mkdir",
  "mv",
  "chmod",
  "sleep",
  "flock",
  "read",
  "export",
  "unset",
  "break",
  "continue",
  "for",
  "case",
  "esac",
  "fi",
  "done",
  "do",
  "then",
  "else",
  "elif",
  "if",
  "while",
  "until",
  "in",
  "!",
  "{",
  "}",
  "(",
  ")",
  "fail",
  "cmp",
  "ln",
  "cp",
]);

/**
 * Longest value each variable that `say` prints can hold, and why: names and digests come from
 * validated config or Slipway's own labels and state files, never from a tool's free output.
 */
const SAY_VARIABLE_BOUNDS: Record<string, number> = {
  host: 255, // a config host name
  service: 255, // a config service name
  digest: 71, // sha256:<64 hex>
  name: 300, // <service>-<12 hex>-<8 hex>, a container name Slipway chose
  current: 300, // a container name Slipway wrote to <state>/current
  old: 300, // a container name from `docker ps --format '{{.Names}}'` (one per line)
  upstream: 310, // "<name> <port>"
  count: 10, // a number
  warm_for: 10, // a number of seconds
  owner: 100, // a stack name, read with head -c 100 from <state>/owner
  edge_error: 300, // the last line of Caddy's answer, cut to 300 characters
  retire_failed: 300, // the last background stop's failure, read with head -c 300
  edge_container: 255, // the edge's container name, from config (the header)
  network: 255, // the stack's network name, from config (the header)
  supervisor_root: 1024, // the state root, a config path (the header)
  supervisor: 1036, // <state root>/_supervisor (the header)
  memory: 20, // a config memory size such as 512m (the header)
  drain_seconds: 10, // a number of seconds (the header)
};

interface Masked {
  /** The line with quoted text replaced by `S` and command substitutions by `X`. */
  text: string;
}

/** Replaces quoted strings and `$(...)`/`$((...))`/`${...}` with placeholders (they print nothing). */
function mask(line: string): Masked {
  let out = "";
  let i = 0;
  const skipBalanced = (open: string, close: string): void => {
    let depth = 0;
    let quote: string | undefined;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else if (c === "\\" && quote === '"') i++;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === open) depth++;
      else if (c === close && --depth === 0) {
        i++;
        return;
      }
    }
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === "$" && line[i + 1] === "(") {
      i++;
      skipBalanced("(", ")");
      out += "X";
    } else if (c === "$" && line[i + 1] === "{") {
      i++;
      skipBalanced("{", "}");
      out += "X";
    } else if (c === "\\") {
      out += "E"; // an escaped character outside quotes (the `\'` of `'\''`)
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      i = end < 0 ? line.length : end + 1;
      out += "S";
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\") i++;
        else if (line[i] === "$" && line[i + 1] === "(") {
          i++;
          skipBalanced("(", ")");
          i--;
        }
      }
      i++;
      out += "S";
    } else if (c === "#" && (out === "" || /\s$/.test(out))) {
      break; // a comment
    } else {
      out += c;
      i++;
    }
  }
  return { text: out };
}

/** True when the segment sends its stdout somewhere (a file, /dev/null, stderr). */
function redirectsStdout(segment: string): boolean {
  for (const m of segment.matchAll(/(\d*)(>>?|>&)/g)) {
    if ((m[1] === "" || m[1] === "1") && segment[m.index - 1] !== "<") return true;
  }
  return false;
}

/** The command word of a pipeline segment: skips keywords, case patterns and assignments. */
function commandWord(segment: string): string | undefined {
  const words = segment
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  for (const word of words) {
    if (["if", "then", "else", "elif", "do", "while", "until", "!", "{", "("].includes(word))
      continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue; // an assignment (or a prefix of one)
    if (/^[^()]*\)$/.test(word)) continue; // a case pattern such as `running)` or `S*S)`
    return word.replace(/^\(/, "");
  }
  return undefined;
}

/** Joins quoted text that spans lines (a hostile env value) into one line, newline as `\n`. */
function joinQuotedLines(script: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote === undefined && c === "#" && (out === "" || /\s$/.test(out))) {
      const end = script.indexOf("\n", i);
      const stop = end < 0 ? script.length : end;
      out += script.slice(i, stop);
      i = stop - 1;
      continue;
    }
    if (quote === undefined && c === "\\") {
      // An escaped character outside quotes (the `\'` of `'\''`) opens no quote.
      out += c + (script[i + 1] ?? "");
      i++;
      continue;
    }
    if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (quote !== undefined && c === quote) quote = undefined;
    else if (quote === '"' && c === "\\") {
      out += c + (script[i + 1] ?? "");
      i++;
      continue;
    }
    out += quote !== undefined && c === "\n" ? "\\n" : c;
  }
  return out;
}

/** Every place the script writes to its stdout, as [line number, command word]. */
function stdoutWriters(script: string): { writers: [number, string][]; sayLines: string[] } {
  // A here-document's body is data a command reads (the supervisor's text), not commands.
  let hereEnd: string | undefined;
  const lines = joinQuotedLines(script)
    .split("\n")
    .map((line) => {
      if (hereEnd !== undefined) {
        if (line === hereEnd) hereEnd = undefined;
        return "";
      }
      hereEnd = /<<'([A-Za-z_]+)'/.exec(line)?.[1];
      return line;
    });
  const masked = lines.map((line) => mask(line).text);
  // `{ … } > file` groups and function bodies, by line range.
  const redirectedLine = new Array<boolean>(lines.length).fill(false);
  const functionOf = new Array<string | undefined>(lines.length).fill(undefined);
  const open: { start: number; fn?: string }[] = [];
  masked.forEach((text, n) => {
    const fn = /^\s*([a-z_]+)\(\)\s*\{(.*)\}\s*$/.exec(text);
    if (fn !== null) {
      functionOf[n] = fn[1];
      return;
    }
    const fnOpen = /^\s*([a-z_]+)\(\)\s*\{\s*$/.exec(text);
    if (fnOpen !== null) open.push({ start: n, fn: fnOpen[1] });
    else if (/^\s*\{\s*$/.test(text)) open.push({ start: n });
    else if (/^\s*\}/.test(text)) {
      const group = open.pop();
      assert.ok(group !== undefined, `unbalanced } on line ${n + 1}`);
      for (let k = group.start; k <= n; k++) {
        if (group.fn !== undefined) functionOf[k] ??= group.fn;
        else if (redirectsStdout(text)) redirectedLine[k] = true;
      }
    }
  });

  const entries = new Map<string, [number, string][]>(); // per function, and "" for top level
  const functions = new Set(functionOf.filter((fn): fn is string => fn !== undefined));
  const sayLines: string[] = [];
  masked.forEach((text, n) => {
    if (redirectedLine[n]) return;
    const body = functionOf[n] === undefined ? text : text.replace(/^\s*[a-z_]+\(\)\s*\{/, "");
    for (const list of body.split(/;;|;|&&|\|\||\bthen\b|\bdo\b|\belse\b/)) {
      const pipeline = list.split("|");
      const last = pipeline[pipeline.length - 1]!.replace(/\}\s*$/, "");
      const word = commandWord(last);
      if (word === undefined || SILENT.has(word) || redirectsStdout(last)) continue;
      if (word === "find" && !/-print/.test(last)) continue; // find … -exec prints nothing
      if (word === "say") sayLines.push(lines[n]!);
      const key = functionOf[n] ?? "";
      entries.set(key, [...(entries.get(key) ?? []), [n + 1, word]]);
    }
  });
  // A function writes to stdout when its body does, other than through say (to a fixpoint).
  const writing = new Set<string>();
  const writes = (word: string): boolean =>
    word !== "say" && (!functions.has(word) || writing.has(word));
  for (let changed = true; changed;) {
    changed = false;
    for (const fn of functions) {
      if (!writing.has(fn) && (entries.get(fn) ?? []).some(([, word]) => writes(word))) {
        writing.add(fn);
        changed = true;
      }
    }
  }
  return { writers: (entries.get("") ?? []).filter(([, word]) => writes(word)), sayLines };
}

/** The longest line a `say` call can print: its literal text plus each variable's bound. */
function longestSay(call: string): number {
  const args = call.trim().replace(/^say\s+/, "");
  let length = "slipway: host : ".length + SAY_VARIABLE_BOUNDS.host!;
  const unbounded: string[] = [];
  const literal = args
    .replace(/\$\(\((.*?)\)\)/g, () => {
      length += 20; // arithmetic: a number
      return "";
    })
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, variable: string) => {
      const bound = SAY_VARIABLE_BOUNDS[variable];
      if (bound === undefined) unbounded.push(variable);
      length += bound ?? 0;
      return "";
    });
  assert.deepEqual(unbounded, [], `say prints variables of unknown length: ${call.trim()}`);
  assert.ok(!literal.includes("$("), `say prints a command's output: ${call.trim()}`);
  return length + literal.length;
}

const VARIANTS: [string, ServiceDefinition][] = [
  ["a typical host", typicalDefinition()],
  [
    "no registry login, no secrets",
    typicalDefinition({ registryLogin: undefined, secretEnvNames: [] }),
  ],
  ["hostile env values", typicalDefinition({ env: { ...HOSTILE } })],
];

describe("deploy scripts: no logged line can reach upstream's 64 KiB limit", () => {
  it("Pulumi logs only the scripts' stdout", () => {
    assert.equal(SCRIPT_LOGGING, "stdout");
  });

  for (const [label, def] of VARIANTS) {
    for (const [kind, script] of [
      ["deploy", deployScript(def)],
      ["stop", stopScript(def)],
    ] as const) {
      it(`the ${kind} script (${label}) writes to stdout only through say, each line bounded`, () => {
        const { writers, sayLines } = stdoutWriters(script);
        assert.deepEqual(writers, [], "commands whose stdout reaches Pulumi's log");
        assert.ok(sayLines.length > 0, "the script reports progress with say");
        for (const call of sayLines) {
          const longest = longestSay(call);
          assert.ok(longest < 4096, `${longest} bytes: ${call.trim()}`);
        }
        assert.ok(4096 < UPSTREAM_LINE_LIMIT);
      });
    }
  }

  it("say prints one line of its arguments, and fail writes to stderr", () => {
    const script = deployScript(typicalDefinition());
    assert.ok(
      script.includes(
        `say() { printf 'slipway: host %s: %s\\n' "$host" "$*" 2>/dev/null || true; }`,
      ),
    );
    assert.ok(
      script.includes(
        `fail() { printf 'slipway: host %s: %s\\n' "$host" "$*" >&2 2>/dev/null || true; exit 1; }`,
      ),
    );
  });

  it("the checker finds a command that would print to stdout, and an unbounded say", () => {
    const script = deployScript(typicalDefinition());
    const leaky = script.replace(
      'rm -f "$tmp"/secret.env\n',
      'rm -f "$tmp"/secret.env\ndocker logs "$name"\nsay "logs: $logs"\n',
    );
    const { writers, sayLines } = stdoutWriters(leaky);
    assert.deepEqual(
      writers.map(([, word]) => word),
      ["docker"],
    );
    const unbounded = sayLines.find((line) => line.includes("$logs"));
    assert.ok(unbounded !== undefined);
    assert.throws(() => longestSay(unbounded), /say prints variables of unknown length/);
  });
});
