import { inspect } from "node:util";

const REDACTED = "[secret]";

/**
 * A config value that must stay secret. It prints as `[secret]` in logs, JSON and
 * `util.inspect`; only `reveal()` gives the value, and only components call it, to hand the
 * value to Pulumi as a secret Output or to a remote command over stdin.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
