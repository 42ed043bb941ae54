import { EcCurve } from '../hsm.port';

export interface CurveInfo {
  curve: EcCurve;
  /** DER OBJECT IDENTIFIER, the value of CKA_EC_PARAMS. */
  oid: Buffer;
  fieldBytes: number;
  /** OpenSSL's name (node:crypto namedCurve). */
  nodeName: string;
}

export const CURVES: Readonly<Record<EcCurve, CurveInfo>> = {
  'P-256': { curve: 'P-256', oid: Buffer.from('06082a8648ce3d030107', 'hex'), fieldBytes: 32, nodeName: 'prime256v1' },
  'P-384': { curve: 'P-384', oid: Buffer.from('06052b81040022', 'hex'), fieldBytes: 48, nodeName: 'secp384r1' },
  'P-521': { curve: 'P-521', oid: Buffer.from('06052b81040023', 'hex'), fieldBytes: 66, nodeName: 'secp521r1' },
  secp256k1: { curve: 'secp256k1', oid: Buffer.from('06052b8104000a', 'hex'), fieldBytes: 32, nodeName: 'secp256k1' },
};

export function curveByOid(oid: Buffer): CurveInfo | undefined {
  return Object.values(CURVES).find((c) => c.oid.equals(oid));
}
