/**
 * A big upload (tus) survives the server going away: Anna sends a 20 MiB file, slowed down by
 * Chromium's network throttling; once the bar shows more than half of it sent, the server
 * process is killed (SIGKILL: a clean stop would let the request finish), stays down for 45 s,
 * and is started again on the same port and data dir. The upload goes on from the offset the server had stored
 * (its whole 8 MiB parts), not from 0: the PATCH after the restart starts past the first
 * part, the bar never goes back to 0 nor says the upload failed (the client used to give up
 * after 39 s), and Boris gets the file with the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from './browser';
import { DESKTOP, Suite, type Person } from './helpers';
import { RESULTS } from './server';

const SHOTS = ensureDir(join(RESULTS, 'screenshots'));
const MIB = 1024 * 1024;
const BIG = randomBytes(20 * MIB + 321);
/** The server stores an upload in parts of this size; a killed server keeps only whole ones. */
const PART = 8 * MIB;
/** How long the server stays down. */
const OUTAGE_MS = 45_000;
/** Chromium sends at most this many bytes a second. */
const UPLOAD_RATE = 2 * MIB;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What the page's upload bar showed, sampled every 50 ms: [bytes sent, the bar's state]. */
type Sample = [number, string];

/** Starts sampling the upload bar's progress and state into `window.uploadSamples`. */
async function sampleUploadBar(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { uploadSamples: [number, string][] };
    w.uploadSamples = [];
    setInterval(() => {
      const bar = document.querySelector<HTMLElement>('[data-testid="upload-draft"]');
      if (!bar) return;
      w.uploadSamples.push([bar.querySelector('progress')?.value ?? -1, bar.dataset.state ?? '']);
    }, 50);
  });
}

const samples = (page: Page) => page.evaluate(() => (window as unknown as { uploadSamples: Sample[] }).uploadSamples);

describe('an upload after the server was stopped', () => {
  const suite = new Suite('upload-resume');
  let anna: Person;
  let group = 0;

  beforeAll(async () => {
    anna = await suite.seed.person('anna', 'Anna');
    const boris = await suite.seed.person('boris', 'Boris');
    group = await suite.seed.group(anna, 'Big files', [boris]);
  });

  it('goes on from where the server had it, and the file arrives whole', { timeout: 240_000 }, async () => {
    const page = await suite.page({ viewport: DESKTOP }, 'anna');
    await suite.visit(page, `/chat/${group}`, '[data-testid="composer"]');
    // Where each PATCH starts (its Upload-Offset), in order; and any DELETE (an upload dropped).
    const patches: number[] = [];
    let deletes = 0;
    page.on('request', (r) => {
      if (!r.url().includes('/api/v1/files/uploads/')) return;
      if (r.method() === 'PATCH') patches.push(Number(r.headers()['upload-offset']));
      if (r.method() === 'DELETE') deletes += 1;
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: UPLOAD_RATE });
    await sampleUploadBar(page);

    await page.getByTestId('attach-input').setInputFiles({ name: 'resume.bin', mimeType: 'application/octet-stream', buffer: BIG });
    const draft = page.getByTestId('upload-draft');
    const progress = draft.locator('progress');
    // More than half sent: the server has stored its first part (and is taking the second).
    await expect.poll(() => progress.evaluate((p: HTMLProgressElement) => p.value), { timeout: 60_000 }).toBeGreaterThan(PART + 3 * MIB);
    const port = suite.server.port;
    await suite.server.stop('SIGKILL');
    const stoppedAt = (await samples(page)).length;
    const shownWhenStopped = await progress.evaluate((p: HTMLProgressElement) => p.value);
    expect(shownWhenStopped).toBeLessThan(BIG.length);
    // The server stays down longer than a quick restart (and than the 39 s of retries the client once had).
    await page.waitForTimeout(OUTAGE_MS);
    expect(await draft.getAttribute('data-state')).toBe('uploading');
    await page.screenshot({ path: join(SHOTS, 'upload-resume-server-down.png') });
    await suite.server.start(port);

    await expect.poll(() => draft.getAttribute('data-state'), { timeout: 150_000 }).toBe('done');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    // The first PATCH started at 0; every one after the restart where the server had got to: past its first part.
    expect(patches[0]).toBe(0);
    const resumed = patches.slice(1);
    expect(resumed.length).toBeGreaterThan(0);
    for (const offset of resumed) {
      expect(offset).toBeGreaterThanOrEqual(PART);
      expect(offset).toBeLessThan(BIG.length);
    }
    // The bar never went back to 0, nor said the upload failed.
    const after = (await samples(page)).slice(stoppedAt);
    const sent = after.filter(([, state]) => state === 'uploading').map(([value]) => value);
    expect(sent.length).toBeGreaterThan(0);
    expect(Math.min(...sent)).toBeGreaterThanOrEqual(PART);
    expect(after.some(([, state]) => state === 'failed')).toBe(false);

    await page.getByRole('button', { name: 'Send' }).click();
    await draft.waitFor({ state: 'detached' });
    // Clearing the bar after sending does not drop the finished upload on the server.
    expect(deletes).toBe(0);

    // Boris gets the file, the same bytes.
    const reader = await suite.page({ viewport: DESKTOP }, 'boris');
    await suite.openChat(reader, group, 1);
    const card = reader.getByTestId('file-card').filter({ has: reader.locator('.file-name', { hasText: 'resume.bin' }) });
    expect(await card.getByTestId('file-size').textContent()).toBe('20\u00a0MB');
    const [file] = await Promise.all([reader.waitForEvent('download'), card.getByRole('button', { name: 'Download resume.bin' }).click()]);
    expect(sha(readFileSync(await file.path()))).toBe(sha(BIG));
    expect(suite.errors()).toEqual([]);
  });
});
