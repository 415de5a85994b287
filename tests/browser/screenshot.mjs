// screenshot.mjs -- save a PNG of a spamtrend page as a person sees it.
//
//   node tests/browser/screenshot.mjs URL OUT.png [WIDTH [HEIGHT [ZONE]]]
//
// Waits until the main graph is drawn (and the table's small graphs have
// loaded), then takes the whole page.  A width under 500 is taken as a
// phone (touch, twice the pixels).  Used to make the README's pictures from
// a running daemon (scripts/replay-mccolo --update-docs).
import { chromium } from 'playwright-core';

const [url, out, width = '1366', height = '900', zone = 'UTC'] =
    process.argv.slice(2);
if (!url || !out) {
	console.error('usage: node screenshot.mjs URL OUT.png [WIDTH [HEIGHT [ZONE]]]');
	process.exit(2);
}
const phone = Number(width) < 500;
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
});
try {
	const ctx = await browser.newContext({
		viewport: { width: Number(width), height: Number(height) },
		timezoneId: zone, deviceScaleFactor: phone ? 2 : 1,
		isMobile: phone, hasTouch: phone });
	const page = await ctx.newPage();
	await page.goto(url, { waitUntil: 'networkidle' });
	await page.waitForSelector('#graph[data-plot]', { timeout: 30000 });
	await page.evaluate(() => Array.from(document.querySelectorAll('img'))
	    .forEach((i) => { i.loading = 'eager'; }));
	await page.waitForFunction(() => Array.from(
	    document.querySelectorAll('img')).every((i) => i.complete));
	await page.waitForTimeout(300);
	// A phone shows its first screen, as a person holds it.
	await page.screenshot({ path: out, fullPage: !phone });
} finally {
	await browser.close();
}
