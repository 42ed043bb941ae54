/** Per-vault permissions (ARCHITECTURE.md "Principals and grants"). */
export enum Permission {
  get = 'get',
  list = 'list',
  update = 'update',
  create = 'create',
  import = 'import',
  delete = 'delete',
  recover = 'recover',
  backup = 'backup',
  restore = 'restore',
  decrypt = 'decrypt',
  encrypt = 'encrypt',
  unwrapKey = 'unwrapKey',
  wrapKey = 'wrapKey',
  verify = 'verify',
  sign = 'sign',
  purge = 'purge',
  transfer = 'transfer',
  manageJobs = 'manageJobs',
  manageTransportKeys = 'manageTransportKeys',
  escrowDeposit = 'escrowDeposit',
  escrowRelease = 'escrowRelease',
}

/** Vault-independent permissions. */
export enum GlobalPermission {
  auditRead = 'auditRead',
  admin = 'admin',
}

export const ALL_PERMISSIONS = Object.values(Permission);
