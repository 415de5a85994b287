// measure.mjs -- page weight and time to first graph of a spamtrend page.
//
//   node tests/browser/measure.mjs URL
//
// Loads URL in headless Chromium twice (a cold cache, then a reload that
// may revalidate) and prints one JSON line: requests, bytes transferred
// (headers and bodies) until the network is idle, and the milliseconds from
// navigation to the main graph being drawn.  Used by scripts/bench-ui.
import { chromium } from 'playwright-core';

const url = process.argv[2];
if (!url) {
	console.error('usage: node measure.mjs URL');
	process.exit(2);
}
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
});

// One load: resolves to { requests, bytes, graph_ms }.
async function load(page, reload) {
	const seen = [];
	const onResponse = (r) => seen.push(r);
	page.on('response', onResponse);
	if (reload)
		await page.reload({ waitUntil: 'load' });
	else
		await page.goto(url, { waitUntil: 'load' });
	await page.waitForSelector('#graph[data-plot]', { timeout: 60000 });
	const graphMs = await page.evaluate(() => performance.now());
	await page.waitForLoadState('networkidle');
	page.off('response', onResponse);
	let bytes = 0;
	for (const r of seen) {
		const s = await r.request().sizes().catch(() => null);
		if (s)
			bytes += s.responseHeadersSize + s.responseBodySize;
	}
	return { requests: seen.length, bytes, graph_ms: Math.round(graphMs) };
}

try {
	const page = await (await browser.newContext({
		viewport: { width: 1366, height: 900 } })).newPage();
	const cold = await load(page, false);
	const warm = await load(page, true);
	console.log(JSON.stringify({ url, cold, warm }));
} finally {
	await browser.close();
}
