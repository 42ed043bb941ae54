/** Who is asking and which request this is; carried from the gateway into every command. */
export interface RequestContext {
  principalId: string;
  requestId: string;
  traceId?: string;
}
