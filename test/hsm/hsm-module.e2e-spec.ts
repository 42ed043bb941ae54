import { Test } from '@nestjs/testing';
import { HSM_PORT, HsmErrorCode, HsmModule, HsmPort } from '@keybridge/hsm';
import { newObjectId, testPools } from './hsm-pools';

describe('HsmModule', () => {
  it('provides HSM_PORT over every configured pool and finalises on application shutdown', async () => {
    const pools = testPools();
    const moduleRef = await Test.createTestingModule({ imports: [HsmModule.forRoot(pools)] }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const hsm = app.get<HsmPort>(HSM_PORT);
    expect(hsm.pools().map((p) => p.name)).toEqual(pools.map((p) => p.name));
    expect((await hsm.health()).every((h) => h.loggedIn)).toBe(true);
    await app.close();
    await expect(hsm.exists({ pool: pools[0].name, objectId: newObjectId() })).rejects.toMatchObject({ code: HsmErrorCode.HSM_ERROR });
  });
});
