/**
 * Decodes CKA_EC_POINT into affine coordinates. PKCS#11 says the value is a DER OCTET STRING around the
 * uncompressed point (04 || x || y); some modules return the raw point, so both are accepted. The two cannot be
 * confused: for a given field size their lengths differ.
 */
export function decodeEcPoint(value: Buffer, fieldBytes: number): { x: Buffer; y: Buffer } {
  const rawLength = 2 * fieldBytes + 1;
  const point = value.length === rawLength ? value : unwrapOctetString(value);
  if (point.length !== rawLength || point[0] !== 0x04) {
    throw new Error(`EC point is not an uncompressed point of a ${fieldBytes * 8}-bit curve`);
  }
  return { x: point.subarray(1, 1 + fieldBytes), y: point.subarray(1 + fieldBytes) };
}

function unwrapOctetString(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x04) throw new Error('EC point is neither raw nor a DER OCTET STRING');
  let length = der[1];
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 2 || der.length < 2 + count) throw new Error('EC point has a bad DER length');
    length = count === 1 ? der[2] : der.readUInt16BE(2);
    offset = 2 + count;
  }
  if (offset + length !== der.length) throw new Error('EC point DER length does not match its size');
  return der.subarray(offset);
}
