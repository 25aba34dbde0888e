// The one browser driver of this repository: Debian's chromium (never a downloaded
// browser) through puppeteer-core, looking at the Aspire Dashboard. scripts/screenshots.sh
// and the end-to-end browser test both use it, so what the test checks is what the
// pictures show.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// No outside network here: everything that would call home is off.
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** Starts chromium with a fresh profile; close() removes the profile too. */
export async function launch({ width = 1500, height = 900 } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    userDataDir: profile,
    args: flags,
    defaultViewport: { width, height },
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  return {
    page,
    async close() {
      await browser.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the page's visible text contains every one of texts. */
export async function waitForText(page, texts, timeout = 20000) {
  await page.waitForFunction(
    (wanted) => wanted.every((t) => document.body.innerText.includes(t)),
    { timeout, polling: 200 }, texts);
}

/** Opens the trace's detail page and waits for its spans to render; returns the page's text. */
export async function openTrace(page, dashboard, traceId, spanNames) {
  await page.goto(new URL(`traces/detail/${traceId}`, dashboard).href, { waitUntil: 'networkidle2' });
  await waitForText(page, spanNames);
  await dismissBanner(page);
  return page.evaluate(() => document.body.innerText);
}

/** Clicks the span whose name is spanName and waits for its details (attributes) to show; returns the page's text. */
export async function openSpan(page, spanName, expectText) {
  const handle = await page.waitForFunction((name) => {
    // The innermost element whose whole text is the span's name (the name cell of its row).
    const cells = [...document.querySelectorAll('body *')].filter((e) => e.textContent.trim() === name
      && ![...e.children].some((c) => c.textContent.trim() === name));
    return cells[0] ?? null;
  }, { polling: 200 }, spanName);
  await handle.asElement().click();
  await waitForText(page, [expectText]);
  return page.evaluate(() => document.body.innerText);
}

/** Opens the structured logs page, filtered by a text when given, and waits for expectText. */
export async function openStructuredLogs(page, dashboard, expectText) {
  await page.goto(new URL('structuredlogs', dashboard).href, { waitUntil: 'networkidle2' });
  await waitForText(page, [expectText]);
  await dismissBanner(page);
  return page.evaluate(() => document.body.innerText);
}

/** Types text into the span details' filter box (the last filter on the page) and waits for expectText. */
export async function filterDetails(page, text, expectText) {
  // The dashboard's search boxes are web components: their input is in a shadow root.
  const boxes = await page.$$('>>> input[placeholder="Filter..."]');
  if (boxes.length === 0) throw new Error('no filter box on the page');
  const box = boxes[boxes.length - 1];
  await box.click();
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await box.type(text);
  await waitForText(page, [expectText]);
  await new Promise((r) => setTimeout(r, 500));
}

async function dismissBanner(page) {
  // The "endpoint is unsecured" banner is true (loopback, anonymous) and takes room: close it once seen.
  await page.evaluate(() => {
    const bar = [...document.querySelectorAll('body *')].find((e) => e.textContent.trim().startsWith('Endpoint is unsecured') && e.querySelector('button'));
    [...(bar?.querySelectorAll('button') ?? [])].pop()?.click();
  }).catch(() => {});
}
