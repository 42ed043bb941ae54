import { PoolCapabilities, Vendor } from '../hsm.port';
import { assertUnreachable } from '@keybridge/platform';
import { GENERIC_CAPABILITIES } from './generic';
import { NSS_CAPABILITIES } from './nss';
import { SOFTHSM2_CAPABILITIES } from './softhsm2';

export function capabilitiesForVendor(vendor: Vendor): PoolCapabilities {
  switch (vendor) {
    case 'softhsm2':
      return SOFTHSM2_CAPABILITIES;
    case 'nss':
      return NSS_CAPABILITIES;
    case 'generic':
      return GENERIC_CAPABILITIES;
    default:
      return assertUnreachable(vendor);
  }
}
