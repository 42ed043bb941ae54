export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
