/**
 * The automation screens against a real server running the automation service. Olga registers
 * through the form; an agent and a few people are made over the API, and Olga's group has the
 * agent in it as an admin. In Settings → Automation she connects the agent as an account (its
 * password typed into the form: the page signs the agent in apart from her own session, which
 * stays hers), imports an audience with one line no import takes and sees that line reported
 * with its number, and starts a campaign into the group: the log fills with the outcomes
 * (invited, privacy, already in the chat, not found) and the counters agree, checked against
 * the chat's members over the API. A second campaign, whose pace the form sets to an hour
 * between actions, is still running after its first person; she cancels it (confirmed) and it
 * reads as cancelled, also to the API. Nothing sticks out at 360 px in Russian. The server runs with no
 * pause between actions (`automation.pause_min_ms`/`pause_max_ms` 0), so the first campaign
 * ends at once and the second waits only because it asked to. Screenshots: automation-*.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUi } from './authHelpers';
import { ensureDir } from './browser';
import { DESKTOP, PASSWORD, PHONE, Suite, expectNoOverflow, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));

describe('automation', () => {
  const suite = new Suite('automation', { env: { HYBRID_AUTOMATION__PAUSE_MIN_MS: '0', HYBRID_AUTOMATION__PAUSE_MAX_MS: '0' } });
  let page: Page;
  let olgaToken = '';
  let agent: Person;
  let groupId = 0;

  const outcome = (name: string) => page.getByTestId('counter').and(page.locator(`[data-outcome="${name}"]`)).locator('dd');

  beforeAll(async () => {
    page = await suite.page({ viewport: DESKTOP });
    await registerUi(page, suite.server.url, 'olga');
    const login = await suite.seed.call<{ access_token: string; user: { id: number } }>('POST', '/auth/login', null, { username: 'olga', password: PASSWORD });
    olgaToken = login.access_token;
    const olga: Person = { id: login.user.id, username: 'olga', token: olgaToken };
    agent = await suite.seed.person('agent_smith', 'Agent Smith');
    const [pavel, rita, sam] = [await suite.seed.person('pavel'), await suite.seed.person('rita'), await suite.seed.person('sam')];
    for (const p of [pavel, rita]) await suite.seed.call('PUT', '/users/me/privacy', p.token, { add_to_groups: 'everyone' });
    // Sam lets nobody add him: the campaign logs his privacy, adds nothing.
    await suite.seed.call('PUT', '/users/me/privacy', sam.token, { add_to_groups: 'nobody' });
    groupId = await suite.seed.group(olga, 'Launch party', [agent]);
    await suite.seed.call('PATCH', `/chats/${groupId}/members/${agent.id}`, olgaToken, { role: 'admin' });
  });

  it('connects the agent as an account from Settings, signing them in apart from this tab', async () => {
    await suite.visit(page, '/settings', '[data-testid="automation-link"]');
    await page.getByTestId('automation-link').click();
    await page.waitForURL((u) => u.pathname === '/automation/accounts');
    await page.getByTestId('accounts-none').waitFor();
    const form = page.getByTestId('connect-form');
    await form.getByLabel('Name', { exact: true }).fill('Sales 1');
    await form.getByLabel('Agent’s username').fill('agent_smith');
    // A wrong password first: said at the username, nothing connected.
    await form.getByLabel('Agent’s password').fill('not the password');
    await form.getByRole('button', { name: 'Connect' }).click();
    const username = form.getByLabel('Agent’s username');
    await expect.poll(() => username.getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Agent’s password').fill(PASSWORD);
    await form.getByLabel('Daily limit').fill('50');
    await form.getByRole('button', { name: 'Connect' }).click();
    const row = page.getByTestId('account');
    await row.waitFor();
    expect(await row.getByTestId('account-name').textContent()).toBe('Sales 1');
    expect(await row.getByTestId('account-actor').textContent()).toBe('@agent_smith');
    expect(await row.getByTestId('account-state').getAttribute('data-state')).toBe('active');
    expect(await row.getByTestId('account-used').textContent()).toBe('0 of 50 actions in the last 24 hours');
    // The page is still Olga's, and the agent has a session named for the service.
    expect((await suite.seed.call<{ username: string }>('GET', '/auth/account', olgaToken)).username).toBe('olga');
    await page.reload();
    await page.getByTestId('account').waitFor();
    const sessions = await suite.seed.call<{ device: string }[]>('GET', '/auth/sessions', agent.token);
    expect(sessions.map((s) => s.device)).toContain('Hybrid automation');
    await page.screenshot({ path: join(SHOTS, 'automation-accounts.png') });
  });

  it('imports an audience and reports the line it could not take', async () => {
    await page.getByTestId('automation-tab-audiences').click();
    await page.getByTestId('audiences-none').waitFor();
    const form = page.getByTestId('import-form');
    await form.getByLabel('Audience name').fill('Friends');
    await form.getByLabel('People, one a line').fill('@pavel\nrita\nt.me/sam\n@olga\n@nobody_here\nhello world\n@rita\n');
    await form.getByRole('button', { name: 'Import' }).click();
    const shown = form.getByTestId('import-report');
    await shown.waitFor();
    expect(await shown.getByTestId('report-added').textContent()).toBe('5 added');
    expect(await shown.getByTestId('report-duplicates').textContent()).toBe('1 duplicate');
    expect(await shown.getByTestId('report-rejected').textContent()).toBe('1 line rejected');
    const line = shown.getByTestId('rejected-line');
    expect(await line.getAttribute('data-line')).toBe('6');
    expect(await line.textContent()).toContain('hello world');
    expect(await page.getByTestId('audience-name').textContent()).toBe('Friends');
    expect(await page.getByTestId('audience-size').textContent()).toBe('5 people');
  });

  it('runs a campaign into the group and fills the log with its outcomes', async () => {
    await page.getByTestId('automation-tab-campaigns').click();
    await page.getByTestId('campaigns-none').waitFor();
    await startCampaign(page, 'Spring', 'Friends');
    await page.waitForURL((u) => /^\/automation\/campaigns\/\d+$/.test(u.pathname));
    await expect.poll(() => page.getByTestId('campaign-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('finished');
    await expect.poll(() => page.getByTestId('log-row').count(), { timeout: 10_000 }).toBe(5);
    expect(await page.getByTestId('campaign-progress').textContent()).toBe('5 of 5 people done');
    expect(await outcome('invited').textContent()).toBe('2');
    expect(await outcome('privacy_restricted').textContent()).toBe('1');
    expect(await outcome('already_member').textContent()).toBe('1');
    expect(await outcome('not_found').textContent()).toBe('1');
    expect(await outcome('pending').textContent()).toBe('0');
    const outcomes = await page.getByTestId('log-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outcome')).sort());
    expect(outcomes).toEqual(['already_member', 'invited', 'invited', 'not_found', 'privacy_restricted']);
    const members = await suite.seed.call<{ username: string }[]>('GET', `/chats/${groupId}/members?limit=200`, olgaToken);
    const names = members.map((m) => m.username).sort();
    expect(names).toEqual(['agent_smith', 'olga', 'pavel', 'rita']);
    await page.screenshot({ path: join(SHOTS, 'automation-campaign.png'), fullPage: true });
  });

  it('cancels a campaign that is still running, once confirmed', async () => {
    for (const name of ['tom', 'uma', 'vera']) await suite.seed.person(name);
    await suite.seed.call('POST', '/automation/audiences', olgaToken, { name: 'Later', text: '@tom\n@uma\n@vera' });
    await page.getByTestId('automation-tab-campaigns').click();
    await page.getByTestId('campaign').first().waitFor();
    await startCampaign(page, 'Slow', 'Later', { pauseMin: '3600', pauseMax: '7200' });
    await page.waitForURL((u) => /^\/automation\/campaigns\/\d+$/.test(u.pathname));
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    // The first person is tried at once; the next waits an hour: it runs.
    await expect.poll(() => page.getByTestId('log-row').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('campaign-state').getAttribute('data-state')).toBe('running');
    await expect.poll(() => page.getByTestId('campaign-waiting').textContent(), { timeout: 10_000 }).toBe('pausing between actions');
    expect(await outcome('pending').textContent()).toBe('2');

    await page.getByTestId('campaign-cancel').click();
    const dialog = page.getByRole('dialog', { name: 'Cancel the campaign?' });
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    expect(await page.getByTestId('campaign-state').getAttribute('data-state')).toBe('running');
    await page.getByTestId('campaign-cancel').click();
    await page.getByTestId('confirm-campaign-cancel').click();
    await expect.poll(() => page.getByTestId('campaign-state').getAttribute('data-state')).toBe('cancelled');
    expect(await page.getByTestId('campaign-state').textContent()).toBe('Cancelled');
    expect((await suite.seed.call<{ state: string }>('GET', `/automation/campaigns/${id}`, olgaToken)).state).toBe('cancelled');
    expect(await page.getByTestId('campaign-remove').count()).toBe(1);
    // The list says so too.
    await page.getByRole('link', { name: 'All campaigns' }).click();
    const row = page.getByTestId('campaign').filter({ hasText: 'Slow' });
    await expect.poll(() => row.getAttribute('data-state')).toBe('cancelled');
  });

  it('fits a 360 px screen, in Russian', async () => {
    const phone = await suite.page({ viewport: PHONE, locale: 'ru-RU' }, 'olga');
    for (const [path, ready] of [
      ['/automation/accounts', '[data-testid="account"]'],
      ['/automation/audiences', '[data-testid="audience"]'],
      ['/automation/campaigns', '[data-testid="campaign"]'],
    ] as const) {
      await suite.visit(phone, path, ready);
      await expectNoOverflow(phone, path);
    }
    await phone.getByTestId('campaign').filter({ hasText: 'Spring' }).getByTestId('campaign-link').click();
    await phone.getByTestId('log-row').first().waitFor();
    expect(await phone.getByTestId('campaign-state').textContent()).toBe('Завершена');
    await expectNoOverflow(phone, 'a campaign');
    // The five sections' links fit their rows, none cut.
    const tabs = await phone.locator('.auto-tabs').evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(tabs).toBe(true);
    await phone.screenshot({ path: join(SHOTS, 'automation-phone.png'), fullPage: true });
    expect(suite.errors()).toEqual([]);
  });
});

/** Fills the campaign form (the only account, the group) and starts it. */
async function startCampaign(page: Page, name: string, audience: string, pace?: { pauseMin: string; pauseMax: string }): Promise<void> {
  const form = page.getByTestId('campaign-form');
  await form.getByLabel('Campaign name').fill(name);
  await selectByText(form.getByLabel('Audience', { exact: true }), audience);
  await selectByText(form.getByLabel('Invite into'), 'Launch party');
  await form.getByTestId('campaign-account').check();
  await form.getByTestId('campaign-mode-invite').check();
  if (pace) {
    await form.getByText('Pace').click();
    await form.getByLabel('Shortest pause, s').fill(pace.pauseMin);
    await form.getByLabel('Longest pause, s').fill(pace.pauseMax);
  }
  await form.getByRole('button', { name: 'Start the campaign' }).click();
}

/** Picks the option whose text starts with `text` (options carry counts after the name). */
async function selectByText(select: ReturnType<Page['locator']>, text: string): Promise<void> {
  const option = select.locator('option').filter({ hasText: text }).first();
  await option.waitFor({ state: 'attached' });
  const value = await option.getAttribute('value');
  await select.selectOption(value ?? '');
}
