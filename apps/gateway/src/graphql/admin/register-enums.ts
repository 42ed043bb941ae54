import { registerEnumType } from '@nestjs/graphql';
import { GlobalPermission, Permission } from '@keybridge/auth';

registerEnumType(Permission, { name: 'Permission', description: 'Per-vault permissions' });
registerEnumType(GlobalPermission, { name: 'GlobalPermission', description: 'Vault-independent permissions' });
