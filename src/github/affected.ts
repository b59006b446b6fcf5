import { LEDGER_DIR } from "../ledger/ledger";
import { REJECTIONS_FILE } from "../ledger/rejections";

const STACK_FILE = /^Pulumi\.([^/]+)\.yaml$/;

/** The stack whose ledger `file` is (`stacks/releases/<stack>.yaml`), if it is one. */
function ledgerStack(file: string): string | undefined {
  const prefix = `${LEDGER_DIR}/`;
  if (!file.startsWith(prefix) || !file.endsWith(".yaml") || file === REJECTIONS_FILE) {
    return undefined;
  }
  const stack = file.slice(prefix.length, -".yaml".length);
  return stack === "" || stack.includes("/") ? undefined : stack;
}

/**
 * Which stacks a change touches, for pull-request previews. A stack file or a stack's ledger
 * touches only that stack (the rejected digests, shared by every stack, touch them all); documentation and tests touch none; anything else (program, pure
 * code, components, the app, dependencies, the workflows that run the previews) may change
 * every stack.
 */
export function affectedStacks(
  changedFiles: readonly string[],
  stacks: readonly string[],
): string[] {
  const touched = new Set<string>();
  for (const file of changedFiles.map((line) => line.trim()).filter((line) => line !== "")) {
    const own = STACK_FILE.exec(file)?.[1] ?? ledgerStack(file);
    if (own !== undefined) {
      touched.add(own);
    } else if (!touchesNoStack(file)) {
      return [...stacks];
    }
  }
  return stacks.filter((stack) => touched.has(stack));
}

function touchesNoStack(file: string): boolean {
  return (
    /\.md$/i.test(file) ||
    /^(docs|test|bench)\//.test(file) ||
    /^\.github\/(?!workflows\/)/.test(file) ||
    /^(LICENSE|\.gitignore|\.prettierrc\.json|\.prettierignore|eslint\.config\.mjs|\.mocharc\.[a-z]+\.json)$/.test(
      file,
    )
  );
}
