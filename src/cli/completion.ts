/**
 * `slipway completion bash|zsh`: a completion script generated from the command tree itself
 * (commands, subcommands, options), so it never lists a command that is not there. Stack
 * names after `--stack`, `--from` and `--to` come from the `Pulumi.<stack>.yaml` files of
 * the current folder. zsh runs the same function through its bash completion layer.
 */
import type { Command } from "commander";

/** The shells a completion script is generated for. */
export const SHELLS = ["bash", "zsh"] as const;
export type Shell = (typeof SHELLS)[number];

/** Each command path (`""`, `lock`, `lock status`) with the words that may follow it. */
function completionTable(program: Command): [string, string[]][] {
  const table: [string, string[]][] = [];
  const walk = (command: Command, path: string) => {
    const words = [
      ...command.commands.map((sub) => sub.name()).filter((name) => name !== "help"),
      ...command.options.map((option) => option.long ?? option.short ?? "").filter((w) => w !== ""),
    ];
    table.push([path, words]);
    for (const sub of command.commands) {
      if (sub.name() !== "help") walk(sub, path === "" ? sub.name() : `${path} ${sub.name()}`);
    }
  };
  walk(program, "");
  return table;
}

function bashFunction(program: Command): string {
  const table = completionTable(program);
  const paths = table.map(([path]) => path).filter((path) => path !== "");
  const cases = table
    .map(
      ([path, words]) => `    ${JSON.stringify(path)}) words=${JSON.stringify(words.join(" "))} ;;`,
    )
    .join("\n");
  return `_slipway() {
  local cur prev path words w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [ "$w" = "--" ]; then return 0; fi
    case "\${path:+$path }$w" in
      ${paths.map((path) => JSON.stringify(path)).join(" | ")}) path="\${path:+$path }$w" ;;
    esac
  done
  case "$prev" in
    --stack | --from | --to)
      COMPREPLY=($(compgen -W "$(ls Pulumi.*.yaml 2>/dev/null | sed -n 's/^Pulumi\\.\\(.*\\)\\.yaml$/\\1/p')" -- "$cur"))
      return 0 ;;
  esac
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}`;
}

/** The completion script for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  switch (shell) {
    case "bash":
      return `# slipway completion for bash: source <(slipway completion bash)\n${bashFunction(program)}\ncomplete -F _slipway slipway\n`;
    case "zsh":
      return `#compdef slipway\n# slipway completion for zsh: source <(slipway completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashFunction(program)}\ncomplete -F _slipway slipway\n`;
    default: {
      const unknown: never = shell;
      return unknown;
    }
  }
}
