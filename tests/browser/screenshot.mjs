// screenshot.mjs -- save a PNG of a spamtrend page as a person sees it.
//
//   node tests/browser/screenshot.mjs URL OUT.png [WIDTH [HEIGHT]]
//
// Used to make the README's pictures from a running daemon.
import { chromium } from 'playwright-core';

const [url, out, width = '1280', height = '900'] = process.argv.slice(2);
if (!url || !out) {
	console.error('usage: node screenshot.mjs URL OUT.png [WIDTH [HEIGHT]]');
	process.exit(2);
}
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
});
try {
	const page = await browser.newPage({
	    viewport: { width: Number(width), height: Number(height) } });
	await page.goto(url, { waitUntil: 'networkidle' });
	await page.waitForTimeout(500);
	await page.screenshot({ path: out, fullPage: true });
} finally {
	await browser.close();
}
