import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mutual TLS: a principal may be bound to a client certificate (libs/auth, docs/mtls.md).
 *
 * cert_subject is the subject as Node prints it (X509Certificate#subject: one RDN per line, RFC 2253 escaping);
 * cert_sha256 is the lowercase hex SHA-256 of the certificate's DER. Either or both may be set; a certificate
 * matches when every set column equals it. cert_mode says whether the certificate alone authenticates
 * ('certificate') or only together with a token of the same principal ('certificateAndToken'). All three are NULL
 * for a principal without a binding, which authenticates with tokens exactly as before.
 */
export class ClientCertificates1763930000000 implements MigrationInterface {
  name = 'ClientCertificates1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE principals
        ADD COLUMN cert_subject text CHECK (length(cert_subject) BETWEEN 1 AND 1024),
        ADD COLUMN cert_sha256 text CHECK (cert_sha256 ~ '^[0-9a-f]{64}$'),
        ADD COLUMN cert_mode text CHECK (cert_mode IN ('certificate', 'certificateAndToken')),
        ADD CONSTRAINT principals_cert_binding_complete CHECK (
          (cert_mode IS NULL AND cert_subject IS NULL AND cert_sha256 IS NULL)
          OR (cert_mode IS NOT NULL AND (cert_subject IS NOT NULL OR cert_sha256 IS NOT NULL))
        );
      CREATE INDEX principals_cert_sha256 ON principals (cert_sha256) WHERE cert_sha256 IS NOT NULL;
      CREATE INDEX principals_cert_subject ON principals (cert_subject) WHERE cert_subject IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX principals_cert_subject; DROP INDEX principals_cert_sha256;
      ALTER TABLE principals DROP CONSTRAINT principals_cert_binding_complete,
        DROP COLUMN cert_mode, DROP COLUMN cert_sha256, DROP COLUMN cert_subject;
    `);
  }
}
