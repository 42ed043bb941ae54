import { AuthError, AuthErrorCode } from '../auth.errors';

/** How a bound certificate authenticates its principal. */
export enum CertificateMode {
  /** The verified certificate alone is enough; a token of the same principal may accompany it. */
  certificate = 'certificate',
  /** Both the verified certificate and a token (or JWT) of the same principal are needed. */
  certificateAndToken = 'certificateAndToken',
}

/** A principal's certificate binding: every set field must equal the client certificate's. */
export interface CertificateBinding {
  /** Subject as Node prints it (X509Certificate#subject: one RDN per line, RFC 2253 escaping). */
  subject: string | null;
  /** Lowercase hex SHA-256 of the certificate's DER. */
  sha256: string | null;
  mode: CertificateMode;
}

/**
 * What the TLS layer says about the request's client certificate. `rejected` is a certificate the client sent
 * that did not verify (only possible with client auth `optional`); it must never be treated like no certificate.
 */
export type PresentedCertificate =
  | { kind: 'verified'; subject: string; sha256: string }
  | { kind: 'rejected'; reason: string };

export type VerifiedCertificate = Extract<PresentedCertificate, { kind: 'verified' }>;

export function matchesBinding(binding: CertificateBinding, cert: VerifiedCertificate): boolean {
  return (binding.subject === null || binding.subject === cert.subject) && (binding.sha256 === null || binding.sha256 === cert.sha256);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA256_COLONS = /^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/;
const SUBJECT_LINE = /^[A-Za-z][A-Za-z0-9.-]*=.+$/;
const SUBJECT_MAX = 1024;

/** Accepts what people copy: lowercase or uppercase hex, with or without colons (openssl -fingerprint). */
export function parseSha256Fingerprint(value: string): string {
  const lower = value.trim().toLowerCase();
  if (SHA256_HEX.test(lower)) return lower;
  if (SHA256_COLONS.test(lower)) return lower.replaceAll(':', '');
  throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'sha256 must be the 64 hex digits of a SHA-256 fingerprint (colons allowed)', {
    field: 'sha256',
  });
}

/** Node's format only; a subject in another layout would silently never match, so it is refused here instead. */
export function parseSubject(value: string): string {
  // Node escapes control characters inside values, so a raw one (other than the RDN separator) cannot match.
  const lines = value.split('\n');
  if (value.length > SUBJECT_MAX || /[\u0000-\u0009\u000b-\u001f\u007f]/.test(value) || !lines.every((l) => SUBJECT_LINE.test(l))) {
    throw new AuthError(
      AuthErrorCode.INVALID_ARGUMENT,
      'subject must be as Node prints it: one ATTRIBUTE=value per line (e.g. "O=Acme\\nCN=billing"), at most 1024 characters',
      { field: 'subject' },
    );
  }
  return value;
}

export function parseCertificateMode(value: string): CertificateMode {
  if (value === CertificateMode.certificate || value === CertificateMode.certificateAndToken) return value;
  throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'mode must be certificate or certificateAndToken', { field: 'mode' });
}
