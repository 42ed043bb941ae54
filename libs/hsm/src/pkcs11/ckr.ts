/** The CKR_ name of a pkcs11js error ("CKR_WRAPPED_KEY_INVALID"), or undefined for anything else. */
export function ckrName(error: unknown): string | undefined {
  // Not `instanceof Error`: errors thrown by the native addon belong to the main realm, which Jest's test realm
  // does not share.
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return undefined;
  const match = /\b(CKR_[A-Z0-9_]+)/.exec(message);
  return match?.[1];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
