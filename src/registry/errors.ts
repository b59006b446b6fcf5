/** Why a registry call failed; each kind has its own remedy. */
type RegistryErrorKind =
  /** No answer: DNS, connection refused, TLS, timeout. */
  | "unreachable"
  /** 401/403 after authenticating, or the token service refused the credentials. */
  | "unauthorized"
  /** The registry does not allow the operation (e.g. deletes are disabled). */
  | "unsupported"
  /** An answer that breaks the distribution API (bad JSON, wrong digest, unexpected status). */
  | "protocol";

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
  ) {
    super(message);
    // Pulumi's closure serializer turns `super(message)` into `Error.call(this, message)`,
    // which sets nothing: a dynamic provider's errors would lose their message.
    this.message = message;
    this.name = "RegistryError";
  }
}
