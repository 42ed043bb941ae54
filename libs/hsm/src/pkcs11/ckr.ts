/** The CKR_ name of a pkcs11js error ("CKR_WRAPPED_KEY_INVALID"), or undefined for anything else. */
export function ckrName(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = /\b(CKR_[A-Z0-9_]+)/.exec(error.message);
  return match?.[1];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
