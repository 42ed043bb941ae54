import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { INestApplication, Logger } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Authenticator, isAdmin, Principal, PrincipalRepository } from '@keybridge/auth';
import { BullRewrapQueue } from '@keybridge/escrow';
import { MigrationQueue } from '@keybridge/transfer';
import { NextFunction, Request, Response } from 'express';
import { presentedCertificate } from '../auth/client-certificate';

export const QUEUES_BOARD_PATH = '/admin/queues';
const COOKIE = 'keybridge_board';
const COOKIE_SECONDS = 15 * 60;

/**
 * The bull-board page at /admin/queues, for principals holding the admin global permission. API clients send
 * `Authorization: Bearer <token>`. A browser cannot, so it opens /admin/queues?token=<token> once: the token is
 * checked, a 15-minute cookie (HttpOnly, SameSite=Strict, scoped to /admin/queues, HMAC-signed with a key that
 * lives only in this gateway process) replaces it, and the browser is redirected to the URL without the token.
 * The cookie names the principal; admin rights are looked up again on every request.
 */
export function mountQueuesBoard(app: INestApplication): void {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(app.get(BullRewrapQueue).queue()), new BullMQAdapter(app.get(MigrationQueue).queue())],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Keybridge queues' } },
  });
  const gate = new BoardGate(app.get(Authenticator), app.get(PrincipalRepository));
  app.use(QUEUES_BOARD_PATH, (req: Request, res: Response, next: NextFunction) => void gate.handle(req, res, next), adapter.getRouter());
}

class BoardGate {
  private readonly logger = new Logger('QueuesBoard');
  private readonly secret = randomBytes(32);

  constructor(
    private readonly authenticator: Authenticator,
    private readonly principals: PrincipalRepository,
  ) {}

  async handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const token = typeof req.query.token === 'string' ? req.query.token : undefined;
      if (token) {
        const principal = await this.admin(() => this.authenticator.authenticate(`Bearer ${token}`, presentedCertificate(req.socket)));
        if (!principal) return refuse(res);
        res.setHeader('Set-Cookie', `${COOKIE}=${this.sign(principal.id)}; Path=${QUEUES_BOARD_PATH}; Max-Age=${COOKIE_SECONDS}; HttpOnly; SameSite=Strict`);
        const url = new URL(req.originalUrl, 'http://localhost');
        url.searchParams.delete('token');
        res.redirect(303, `${url.pathname}${url.search}`);
        return;
      }
      if (req.headers.authorization) {
        const principal = await this.admin(() => this.authenticator.authenticate(req.headers.authorization, presentedCertificate(req.socket)));
        return principal ? next() : refuse(res);
      }
      const principalId = this.verify(cookieValue(req.headers.cookie, COOKIE));
      const principal = principalId ? await this.admin(async () => (await this.principals.findById(principalId)) ?? Promise.reject(new Error('gone'))) : undefined;
      return principal ? next() : refuse(res);
    } catch (error) {
      this.logger.error(`queues board: ${error instanceof Error ? error.message : String(error)}`);
      res.status(500).json({ error: 'internal error' });
    }
  }

  private async admin(find: () => Promise<Principal>): Promise<Principal | undefined> {
    try {
      const principal = await find();
      return isAdmin(principal) ? principal : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(principalId: string): string {
    const body = `${principalId}.${Math.floor(Date.now() / 1000) + COOKIE_SECONDS}`;
    return `${body}.${createHmac('sha256', this.secret).update(body).digest('base64url')}`;
  }

  private verify(value: string | undefined): string | undefined {
    const match = value && /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return undefined;
    const expected = createHmac('sha256', this.secret).update(`${match[1]}.${match[2]}`).digest();
    const given = Buffer.from(match[3], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return Number(match[2]) * 1000 > Date.now() ? match[1] : undefined;
  }
}

function refuse(res: Response): void {
  res.status(401).json({ error: 'an admin API token is required (Authorization: Bearer, or ?token= once in a browser)' });
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
