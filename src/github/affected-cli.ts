/**
 * `node -r ts-node/register/transpile-only src/github/affected-cli.ts dev prod < changed.txt`
 * prints the JSON list of the given stacks that the changed files (one path a line) touch.
 */
import { affectedStacks } from "./affected";

async function main(stacks: readonly string[]): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  const changed = Buffer.concat(chunks).toString("utf8").split("\n");
  process.stdout.write(`${JSON.stringify(affectedStacks(changed, stacks))}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
