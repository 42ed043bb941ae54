import { createHash, X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { PresentedCertificate } from '@keybridge/auth';

/**
 * The client certificate of a connection as the Authenticator wants it. Read on every request rather than cached
 * per socket: a TLS 1.2 renegotiation can change the peer certificate of a kept-alive connection.
 */
export function presentedCertificate(socket: unknown): PresentedCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate();
  // Without a client certificate Node returns an empty object (or null once the socket is gone).
  if (!peer?.raw) return undefined;
  if (!socket.authorized) {
    return { kind: 'rejected', reason: String(socket.authorizationError ?? 'not verified').slice(0, 120) };
  }
  return {
    kind: 'verified',
    subject: new X509Certificate(peer.raw).subject,
    sha256: createHash('sha256').update(peer.raw).digest('hex'),
  };
}
