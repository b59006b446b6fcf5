/**
 * Which stacks a change touches, for pull-request previews. A stack file or a stack's ledger
 * touches only that stack; documentation and tests touch none; anything else (program, pure
 * code, components, the app, dependencies, the workflows that run the previews) may change
 * every stack.
 */
export function affectedStacks(
  changedFiles: readonly string[],
  stacks: readonly string[],
): string[] {
  const touched = new Set<string>();
  for (const file of changedFiles.map((line) => line.trim()).filter((line) => line !== "")) {
    const own =
      /^Pulumi\.([^/]+)\.yaml$/.exec(file) ?? /^stacks\/([^/]+)\.ledger\.yaml$/.exec(file);
    if (own !== null) {
      touched.add(own[1]!);
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
