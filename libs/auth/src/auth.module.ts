import { Global, Module } from '@nestjs/common';
import { Authenticator } from './authenticate/authenticator';
import { AdminBootstrapper } from './bootstrap-admin/admin-bootstrapper';
import { BindPrincipalCertificateHandler } from './bind-principal-certificate/bind-principal-certificate.handler';
import { CreateApiTokenHandler } from './create-api-token/create-api-token.handler';
import { CreatePrincipalHandler } from './create-principal/create-principal.handler';
import { GrantRepository } from './grants/grant.repository';
import { PrincipalRepository } from './principals/principal.repository';
import { RevokeApiTokenHandler } from './revoke-api-token/revoke-api-token.handler';
import { ApiTokenRepository } from './tokens/api-token.repository';
import { UnbindPrincipalCertificateHandler } from './unbind-principal-certificate/unbind-principal-certificate.handler';

@Global()
@Module({
  providers: [
    Authenticator,
    AdminBootstrapper,
    PrincipalRepository,
    ApiTokenRepository,
    GrantRepository,
    CreatePrincipalHandler,
    CreateApiTokenHandler,
    RevokeApiTokenHandler,
    BindPrincipalCertificateHandler,
    UnbindPrincipalCertificateHandler,
  ],
  exports: [Authenticator, AdminBootstrapper, PrincipalRepository, ApiTokenRepository, GrantRepository],
})
export class AuthModule {}
