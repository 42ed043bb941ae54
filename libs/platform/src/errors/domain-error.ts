/**
 * Base of every library's error. `code` is a member of that library's code enum; the gateway maps codes to
 * GraphQL `extensions.code` in one exhaustive switch. Messages must never carry key bytes, PINs, tokens or blobs.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    message: string,
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Set when the error is an authorisation refusal, even one disguised as not-found: the ledger records 'denied'. */
  deniedAccess = false;

  asDenial(): this {
    this.deniedAccess = true;
    return this;
  }
}
