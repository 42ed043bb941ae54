import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, createKey, GatewayClient, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { Page } from 'playwright-core';
import { Browser, launch, pngInfo, VIEWPORT } from './browser';

/**
 * The pages people look at, in headless Debian Chromium: the GraphQL explorer (/graphiql) running a query with the
 * bearer token typed into its headers editor, and the queue board (/admin/queues, bull-board) showing a re-wrap
 * job. Each is screenshotted; the screenshots stay in a temp directory named in the test output.
 */

const gateway = requireEnv('KEYBRIDGE_GATEWAY_URL');
const START = `mutation($s: RewrapSelectorInput!, $t: RewrapTargetInput!) {
  startRewrapJob(selector: $s, target: $t, batchSize: 50) { id status progress { total } } }`;
const JOB = 'query($id: ID!) { rewrapJob(id: $id) { status progress { total done } } }';
const REWRAP_QUEUE = 'keybridge-rewrap';
const SLOT_JOB_ID = /rewrap-[0-9a-f-]{36}-\d+-\d+/;
/** GraphiQL keeps the variables and headers editors in one tool area and hides the one whose tab is not active. */
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
/** A blank 1280x800 page is a few kB of PNG; a page with text, editors and cards is well above this. */
const MIN_PNG_BYTES = 15_000;

describe('pages in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let shots: string;

  const screenshot = async (name: string): Promise<string> => {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    const png = pngInfo(file);
    console.log(`screenshot: ${file} (${png.width}x${png.height}, ${png.bytes} bytes)`);
    expect(png).toMatchObject({ width: VIEWPORT.width, height: VIEWPORT.height });
    expect(png.bytes).toBeGreaterThan(MIN_PNG_BYTES);
    return file;
  };

  beforeAll(async () => {
    shots = mkdtempSync(join(tmpdir(), 'keybridge-pages-'));
    browser = await launch(gateway);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    if (shots && readdirSync(shots).length) console.log(`screenshots kept in ${shots}`);
  });

  describe('GraphQL explorer (/graphiql)', () => {
    /** Types into a GraphiQL (CodeMirror) editor as a paste would: select all, insert the text. */
    const typeInto = async (editor: string, text: string): Promise<void> => {
      await page.locator(`${editor} .CodeMirror`).click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(text);
      const value = (): Promise<string> =>
        page.locator(`${editor} .CodeMirror`).evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
      await until(`the editor ${editor} to hold ${text}`, async () => (await value()) === text);
    };
    /** Clicks the run button; waits for the POST and for `expected` in the result pane; returns the pane's text. */
    const run = async (expected: string): Promise<string> => {
      const response = page.waitForResponse((r) => r.url() === `${gateway}/graphql` && r.request().method() === 'POST' && r.request().postData()?.includes('pools') === true);
      await page.locator('.graphiql-execute-button').click();
      await response;
      const pane = page.locator('.graphiql-response .CodeMirror-code');
      await pane.filter({ hasText: expected }).waitFor();
      return pane.innerText();
    };

    beforeAll(async () => {
      if (!page) return; // Chromium did not start: the outer beforeAll's error is the one to read
      const response = await page.goto(`${gateway}/graphiql`);
      expect(response?.status()).toBe(200);
      await page.locator('.graphiql-execute-button').waitFor();
      await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
      await typeInto('.graphiql-query-editor', '{ pools { name } }');
    });

    it('without a token the query is refused: UNAUTHENTICATED in the result pane', async () => {
      await typeInto(HEADERS_EDITOR, '{}');
      const result = await run('UNAUTHENTICATED');
      expect(result).toContain('a valid API token or JWT is required');
      expect(result).not.toContain('pool-a');
      await screenshot('graphiql-unauthenticated');
    });

    it('with the bearer token in the headers editor the query runs and its result shows the pools', async () => {
      await typeInto(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${adminToken()}` }));
      const result = await run('pool-a');
      expect(result).toContain('"pools"');
      expect(result).toContain('pool-a');
      expect(result).not.toContain('UNAUTHENTICATED');
      // Hide the headers editor before the picture: the screenshot must not show the admin token.
      // (GraphiQL collapses the tool area by moving it out of view, left of the page, at opacity 0.)
      await page.getByRole('button', { name: 'Hide editor tools' }).click();
      await page.getByRole('button', { name: 'Show editor tools' }).waitFor();
      const tools = await page.locator('.graphiql-editor-tool').boundingBox();
      expect(tools === null || tools.x + tools.width <= 0).toBe(true);
      await screenshot('graphiql');
      expect(await page.locator('.graphiql-response').innerText()).toContain('pool-a');
      expect(browser.foreign).toEqual([]); // served from node_modules, no CDN
    });
  });

  describe('queue board (/admin/queues, bull-board)', () => {
    let owner: GatewayClient;
    let jobId: string;

    beforeAll(async () => {
      if (!page) return; // Chromium did not start: the outer beforeAll's error is the one to read
      // The admin holds no key permissions: the key work runs as a vault owner, the admin token only opens the board.
      let vault: string;
      ({ vault, owner } = await vaultWithOwner('pool-a', 'pages'));
      await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
      for (let i = 0; i < 3; i++) {
        await owner.data('mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { record { id } } }', { i: { vault, key: 'kek', bits: 256, owner: 'pages' } });
      }
      await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "kek") { version } }', { v: vault });
      const { startRewrapJob } = await owner.data<{ startRewrapJob: { id: string; progress: { total: number } } }>(START, {
        s: { vault, key: 'kek', allBelowVersion: 2 },
        t: { vault, key: 'kek' },
      });
      expect(startRewrapJob.progress.total).toBe(3);
      jobId = startRewrapJob.id;
      const end = Date.now() + 45_000;
      for (;;) {
        const { rewrapJob } = await owner.data<{ rewrapJob: { status: string } }>(JOB, { id: jobId });
        if (rewrapJob.status === 'completed') break;
        if (rewrapJob.status !== 'running' || Date.now() > end) throw new Error(`re-wrap job ${jobId}: ${rewrapJob.status}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    it('is refused without an admin token or cookie (401), and with a token that is not an admin', async () => {
      const cookiesBefore = await browser.context.cookies(gateway);
      expect(cookiesBefore.filter((c) => c.name === 'keybridge_board')).toEqual([]);
      for (const url of [`${gateway}/admin/queues`, `${gateway}/admin/queues/queue/${REWRAP_QUEUE}`, `${gateway}/admin/queues/api/queues`]) {
        const response = await page.goto(url);
        expect(response?.status()).toBe(401);
        expect(await page.locator('body').innerText()).toContain('an admin API token is required');
      }
      for (const token of [owner.token ?? '', 'not-a-token']) {
        const response = await page.goto(`${gateway}/admin/queues?token=${encodeURIComponent(token)}`);
        expect(response?.status()).toBe(401);
      }
      expect((await browser.context.cookies(gateway)).filter((c) => c.name === 'keybridge_board')).toEqual([]);
    });

    it('with ?token=<admin token> once, a cookie opens it; it lists the re-wrap queue and shows its completed jobs', async () => {
      const response = await page.goto(`${gateway}/admin/queues?token=${encodeURIComponent(adminToken())}`);
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).search).toBe(''); // redirected to the URL without the token
      const [cookie] = (await browser.context.cookies(`${gateway}/admin/queues`)).filter((c) => c.name === 'keybridge_board');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/queues' });

      // The overview lists the queue; open it from the sidebar and look at the completed tab, as a person would.
      await page.getByRole('link', { name: REWRAP_QUEUE, exact: true }).first().click();
      await page.waitForURL(`**/admin/queues/queue/${REWRAP_QUEUE}**`);
      await page.getByRole('link', { name: /completed/i }).first().click();
      await page.waitForURL(/status=completed/);
      // Newest first; jobs of other suites may come after ours, so any re-wrap slot job will do here.
      await page.getByText(SLOT_JOB_ID).first().waitFor();
      await screenshot('queues-board');
      const text = await page.locator('#root').innerText();
      expect(text).toContain(REWRAP_QUEUE);
      expect(text).toMatch(SLOT_JOB_ID);
      expect(text).toContain('slot'); // the BullMQ job name
    });

    it('shows the slot job that re-wrapped the records (found through the board\'s own API, with the cookie)', async () => {
      // The job's slot jobs (rewrap-<job>-<generation 0>-<slot>) end a moment after the job itself; each returns what it moved.
      const slots = async (): Promise<Array<{ id: string; moved: number }> | undefined> => {
        const found: Array<{ id: string; moved: number }> = [];
        for (let slot = 0; ; slot++) {
          const id = `rewrap-${jobId}-0-${slot}`;
          const response = await page.request.get(`${gateway}/admin/queues/api/queues/${REWRAP_QUEUE}/${encodeURIComponent(id)}`);
          if (response.status() === 404) break;
          expect(response.status()).toBe(200);
          const { job, status } = (await response.json()) as { job: { returnValue?: { moved?: number } }; status: string };
          if (status !== 'completed') return undefined;
          found.push({ id, moved: job.returnValue?.moved ?? 0 });
        }
        return found.length ? found : undefined;
      };
      let done: Array<{ id: string; moved: number }> | undefined;
      await until(`the slot jobs of ${jobId} to complete`, async () => (done = await slots()) !== undefined);
      expect(done!.reduce((sum, s) => sum + s.moved, 0)).toBe(3);
      const busiest = done!.reduce((a, b) => (b.moved > a.moved ? b : a));

      await page.goto(`${gateway}/admin/queues/queue/${REWRAP_QUEUE}/${encodeURIComponent(busiest.id)}`);
      await page.getByText(busiest.id, { exact: true }).first().waitFor();
      await page.getByText(/moved/).first().waitFor();
      await screenshot('queues-board-job');
      const text = await page.locator('#root').innerText();
      expect(text).toContain(jobId);
      expect(text).toMatch(new RegExp(`moved\\s*:\\s*${busiest.moved}\\b`));
    });
  });
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
