// test_ui.mjs -- the web UI in headless Chromium against the real daemon.
//
// Starts spamtrendd on a free port with a temporary data directory, submits
// counts, restarts it so that every open step is written, then drives the
// overview and a source page and checks what a user would see.  Prints TAP.
//
// Environment: SPAMTRENDD (daemon binary), ST_SRCDIR (source tree),
// ST_UPDATE_SCREENSHOT=1 to refresh docs/screenshot.png.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRCDIR = process.env.ST_SRCDIR || path.resolve(HERE, '..', '..');
const SPAMTRENDD = process.env.SPAMTRENDD || 'spamtrendd';
const CHROMIUM = '/usr/bin/chromium';
const PLAN = 17;

let chromium;
try {
	if (!fs.existsSync(CHROMIUM))
		throw new Error('no ' + CHROMIUM);
	({ chromium } = await import('playwright-core'));
} catch (e) {
	console.log('1..0 # SKIP no chromium (' + e.message.split('\n')[0] + ')');
	process.exit(0);
}

// --- TAP -----------------------------------------------------------------

let n = 0;
let failed = 0;
console.log('1..' + PLAN);

function ok(cond, name, diag) {
	n++;
	if (!cond)
		failed++;
	console.log((cond ? 'ok ' : 'not ok ') + n + ' - ' + name);
	if (!cond && diag !== undefined)
		for (const line of String(diag).split('\n').slice(0, 40))
			console.log('#   ' + line);
	return cond;
}

function eq(got, want, name) {
	return ok(got === want, name, 'got ' + JSON.stringify(got) +
	    ', want ' + JSON.stringify(want));
}

// --- the daemon ----------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spamtrend-ui-'));
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(dataDir);
let daemon = null;
let daemonLog = '';

// Start spamtrendd and resolve to its base URL once it is listening.
function startDaemon() {
	return new Promise((resolve, reject) => {
		const p = spawn(SPAMTRENDD, ['--listen', '127.0.0.1:0',
		    '--data-dir', dataDir, '--web-dir', path.join(SRCDIR, 'web')],
		    { stdio: ['ignore', 'pipe', 'pipe'] });
		daemon = p;
		let out = '';
		let done = false;
		const timer = setTimeout(() => {
			if (!done)
				reject(new Error('spamtrendd did not start in time\n' +
				    daemonLog));
			done = true;
		}, 30000);
		p.stderr.on('data', (d) => { daemonLog += d; });
		p.stdout.on('data', (d) => {
			daemonLog += d;
			if (done)
				return;
			out += d;
			const m = /listening on https?:\/\/[^ ]*:(\d+)\//.exec(out);
			if (m) {
				done = true;
				clearTimeout(timer);
				resolve('http://127.0.0.1:' + m[1]);
			}
		});
		p.on('error', (e) => {
			if (!done)
				reject(e);
			done = true;
		});
		p.on('exit', (code, sig) => {
			if (!done)
				reject(new Error('spamtrendd exited (' + (code ?? sig) +
				    ')\n' + daemonLog));
			done = true;
		});
	});
}

// Stop the daemon: SIGTERM, then SIGKILL after a timeout.  Resolves to the
// exit code (or the signal name).
function stopDaemon() {
	const p = daemon;
	daemon = null;
	if (!p || p.exitCode !== null || p.signalCode !== null)
		return Promise.resolve(p ? (p.exitCode ?? p.signalCode) : null);
	return new Promise((resolve) => {
		const kill = setTimeout(() => p.kill('SIGKILL'), 15000);
		p.once('exit', (code, sig) => {
			clearTimeout(kill);
			resolve(code ?? sig);
		});
		p.kill('SIGTERM');
	});
}

process.on('exit', () => {
	if (daemon && daemon.exitCode === null)
		daemon.kill('SIGKILL');
	fs.rmSync(tmp, { recursive: true, force: true });
});

// POST one submission; resolves to the HTTP status.
async function postCounts(base, body) {
	const r = await fetch(base + '/api/v1/counts', {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body)
	});
	await r.text();
	return r.status;
}

// The sum of one column of a CSV text (by header name), or null.
function columnSum(text, column) {
	const lines = text.split(/\r?\n/).filter((l) => l && l[0] !== '#');
	if (!lines.length)
		return null;
	const idx = lines[0].split(',').indexOf(column);
	if (idx < 0)
		return null;
	let sum = 0;
	for (const l of lines.slice(1)) {
		const v = Number(l.split(',')[idx]);
		if (l.split(',')[idx] !== '' && Number.isFinite(v))
			sum += v;
	}
	return sum;
}

// --- the browser ---------------------------------------------------------

// Drop detection is optional in the server: a 404 from it is no fault.
const OPTIONAL = /\/api\/v1\/drops\?/;

// Record console messages, page errors, failed and >= 400 requests.
function watch(page) {
	const problems = [];
	page.on('console', (m) => {
		if (m.type() !== 'error' && m.type() !== 'warning')
			return;
		if (/status of 404/.test(m.text()) &&
		    OPTIONAL.test(m.location().url || ''))
			return;
		problems.push('console ' + m.type() + ': ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('requestfailed', (r) => {
		const f = r.failure();
		// An aborted request was cancelled by the page itself: a graph
		// replaced by a newer one, or a fetch still running when the test
		// navigates away (slow under the sanitizers).  Server errors show
		// up as responses, checked below.
		if (f && /ERR_ABORTED/.test(f.errorText))
			return;
		problems.push('request failed: ' + r.url() + ' ' +
		    (f ? f.errorText : ''));
	});
	page.on('response', (r) => {
		if (r.status() === 404 && OPTIONAL.test(r.url()))
			return;
		if (r.status() >= 400)
			problems.push('HTTP ' + r.status() + ': ' + r.url());
	});
	return problems;
}

// Wait until the main graph has loaded a picture from a request whose URL
// matches re; resolves to that request URL.
async function graphLoaded(page, re) {
	await page.waitForFunction((src) => {
		const img = document.getElementById('graph');
		return img && img.complete && img.naturalWidth > 0 &&
		    new RegExp(src).test(img.getAttribute('data-src') || '') &&
		    !document.getElementById('graph-wrap').classList.contains('loading');
	}, re.source, { timeout: 15000 });
	return page.$eval('#graph', (img) => img.getAttribute('data-src'));
}

function params(url) {
	return new URL(url, 'http://x').searchParams;
}

const watchdog = setTimeout(() => {
	console.log('# the test took too long');
	process.exit(1);
}, 240000);

let browser = null;
try {
	// Submit counts for steps that are due, then restart: a stop writes
	// every step that is due (open ones wait in the journal).
	const base0 = await startDaemon();
	const now = Math.floor(Date.now() / 1000);
	const t = Math.floor(now / 60) * 60 - 120;
	const posts = [
		{ source: 'mx1.example.com', time: t - 60, interval: 60,
		    counts: { spam: 80, ham: 20 } },
		{ source: 'mx1.example.com', time: t, interval: 60,
		    counts: { spam: 120, ham: 30 } },
		{ source: 'mx2.example.net', time: t, interval: 60,
		    counts: { spam: 55, ham: 5, virus: 2 } }
	];
	const statuses = [];
	for (const p of posts)
		statuses.push(await postCounts(base0, p));
	ok(statuses.every((s) => s === 202), 'the daemon accepts the counts',
	    'statuses ' + statuses.join(','));
	const code = await stopDaemon();
	const base = await startDaemon();
	eq(code, 0, 'the daemon stops cleanly on SIGTERM and starts again');

	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync']
	});
	const context = await browser.newContext({
		viewport: { width: 1280, height: 900 },
		acceptDownloads: true
	});
	const page = await context.newPage();
	const problems = watch(page);

	// The overview.
	await page.goto(base + '/');
	let src = await graphLoaded(page, /graph\.png/);
	const p0 = params(src);
	ok(p0.get('source') === '_total' && p0.get('start') === '-1d' &&
	    Number(p0.get('width')) > 0,
	    'the overview requests the _total graph for the last day', src);
	await page.waitForSelector('#sources-body tr', { timeout: 10000 });
	const names = await page.$$eval('#sources-body td.name a',
	    (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
	ok(names.some((x) => x[0] === 'mx1.example.com' &&
	    x[1].startsWith('/source/mx1.example.com')) &&
	    names.some((x) => x[0] === 'mx2.example.net') &&
	    !names.some((x) => x[0] === '_total'),
	    'the sources table lists each source with a link to its page',
	    JSON.stringify(names));
	const day = await page.$$eval('#sources-body tr', (trs) => trs.map(
	    (tr) => Array.from(tr.cells).map((c) => c.textContent.trim())));
	const mx1 = day.find((r) => r[0] === 'mx1.example.com') || [];
	eq(mx1[3], '200', 'the table shows the last day\'s spam of a source');

	// Week: the URL and the graph request change.
	const weekReq = page.waitForRequest(/\/graph\.png\?.*start=-1w/);
	await page.click('#ranges button[data-range="week"]');
	await weekReq;
	src = await graphLoaded(page, /start=-1w/);
	ok(params(page.url()).get('start') === '-1w' &&
	    params(src).get('start') === '-1w',
	    'the week button changes the URL and the graph request',
	    page.url() + ' ' + src);

	// Untick ham: the URL, the request and the picture change.
	const before = await page.$eval('#graph', (img) => img.src);
	await page.uncheck('#categories input[value="ham"]');
	src = await graphLoaded(page, /categories=spam,virus,rejected(&|$)/);
	const after = await page.$eval('#graph', (img) => img.src);
	ok(params(page.url()).get('categories') === 'spam,virus,rejected' &&
	    params(src).get('categories') === 'spam,virus,rejected' &&
	    after !== before,
	    'unticking a category changes the URL and the image',
	    page.url() + ' ' + src);

	// The CSV link carries the on-screen parameters and adds up.
	await page.click('#ranges button[data-range="day"]');
	await graphLoaded(page, /categories=spam,virus,rejected&start=-1d&/);
	const href = await page.$eval('#csv', (a) => a.getAttribute('href'));
	const hp = params(href);
	ok(href.startsWith('/export.csv?') && hp.get('source') === '_total' &&
	    hp.get('start') === '-1d' && hp.get('end') === 'now' &&
	    hp.get('categories') === 'spam,virus,rejected',
	    'the CSV link has the on-screen parameters', href);
	const [dl] = await Promise.all([page.waitForEvent('download'),
	    page.click('#csv')]);
	const csv = fs.readFileSync(await dl.path(), 'utf8');
	eq(columnSum(csv, 'spam'), 255,
	    'the downloaded CSV\'s spam column sums to what was submitted');

	// Drag across the graph to zoom in.
	const box = await page.$eval('#graph', (img) => {
		const r = img.getBoundingClientRect();
		return { x: r.left, y: r.top, w: r.width, h: r.height };
	});
	await page.mouse.move(box.x + box.w * 0.4, box.y + box.h * 0.5);
	await page.mouse.down();
	await page.mouse.move(box.x + box.w * 0.5, box.y + box.h * 0.5,
	    { steps: 5 });
	const selShown = await page.$eval('#selection', (s) => !s.hidden &&
	    s.getBoundingClientRect().width > 10);
	await page.mouse.up();
	await page.waitForFunction(() =>
	    /^\d+$/.test(new URLSearchParams(location.search).get('start') || ''));
	const zs = Number(params(page.url()).get('start'));
	const ze = Number(params(page.url()).get('end'));
	ok(selShown && ze > zs && ze - zs < 86400 * 0.2 &&
	    zs > now - 86400 - 3600 && ze < now + 3600,
	    'dragging across the graph zooms to the selected range',
	    page.url() + ' selection shown: ' + selShown);
	await graphLoaded(page, new RegExp('start=' + zs));

	// State is read back from the URL on load.
	await page.goto(base + '/?start=-30d&end=now&categories=spam,ham' +
	    '&compare=1w&view=stacked');
	src = await graphLoaded(page, /start=-30d/);
	const ctl = await page.evaluate(() => ({
		pressed: document.querySelector('#ranges [aria-pressed="true"]')
		    .getAttribute('data-range'),
		virus: document.querySelector('#categories input[value="virus"]')
		    .checked,
		view: document.getElementById('view').value,
		compare: document.getElementById('compare').value
	}));
	ok(ctl.pressed === 'month' && !ctl.virus && ctl.view === 'stacked' &&
	    ctl.compare === '1w' && params(src).get('view') === 'stacked' &&
	    params(src).get('compare') === '1w',
	    'a shared URL restores range, categories, compare and view',
	    JSON.stringify(ctl) + ' ' + src);

	// A source page.
	await page.goto(base + '/source/mx1.example.com');
	src = await graphLoaded(page, /source=mx1\.example\.com/);
	const sp = await page.evaluate(() => ({
		crumb: document.getElementById('crumb').textContent,
		back: !document.getElementById('back').hidden,
		table: !document.getElementById('sources-section').hidden,
		csv: document.getElementById('csv').getAttribute('href')
	}));
	ok(sp.crumb === 'mx1.example.com' && sp.back && !sp.table &&
	    params(sp.csv).get('source') === 'mx1.example.com',
	    '/source/mx1.example.com shows that source with a link back',
	    JSON.stringify(sp));
	const [dl2] = await Promise.all([page.waitForEvent('download'),
	    page.click('#csv')]);
	eq(columnSum(fs.readFileSync(await dl2.path(), 'utf8'), 'spam'), 200,
	    'the source page\'s CSV holds only that source\'s counts');

	ok(problems.length === 0,
	    'no console errors or warnings and no failed requests',
	    problems.join('\n'));

	// Names from the server are text, never markup.
	const inj = await context.newPage();
	const evil = '<b id="injected">x</b><img src=x>';
	await inj.route(/\/api\/v1\/sources(\?|$)/, (route) => route.fulfill({
		contentType: 'application/json',
		body: JSON.stringify({ now, stale_after: 600, sources: [{
			name: evil, first_seen: now, last_seen: now, stale: false,
			last_day: { spam: 1 } }] })
	}));
	await inj.route(/\/graph\.png\?source=%3Cb/, (route) => route.fulfill({
		status: 204 }));
	await inj.goto(base + '/');
	await inj.waitForSelector('#sources-body td.name a');
	const injected = await inj.evaluate(() => ({
		el: document.getElementById('injected') !== null,
		imgs: document.querySelectorAll('#sources-body td.name img').length,
		text: document.querySelector('#sources-body td.name a').textContent
	}));
	ok(!injected.el && injected.imgs === 0 && injected.text === evil,
	    'a source name that looks like markup is shown as text',
	    JSON.stringify(injected));
	await inj.close();

	// A phone-width screen.
	const phone = await browser.newPage({ viewport: { width: 375, height: 800 } });
	const phoneProblems = watch(phone);
	await phone.goto(base + '/');
	await graphLoaded(phone, /graph\.png/);
	await phone.waitForSelector('#sources-body tr');
	const pw = await phone.evaluate(() => ({
		scroll: document.documentElement.scrollWidth,
		graph: document.getElementById('graph').getBoundingClientRect().right
	}));
	ok(pw.scroll <= 376 && pw.graph <= 376 && phoneProblems.length === 0,
	    'a 375 px wide screen has no horizontal page overflow',
	    JSON.stringify(pw) + '\n' + phoneProblems.join('\n'));

	// Screenshot of the overview, over a range short enough to show the
	// minutes that were submitted.
	await page.setViewportSize({ width: 1280, height: 900 });
	await page.goto(base + '/?start=-15min&end=now');
	await graphLoaded(page, /graph\.png/);
	await page.waitForSelector('#sources-body tr');
	await page.waitForFunction(() => Array.from(
	    document.querySelectorAll('#sources-body img')).every(
	    (i) => i.complete));
	const shot = path.join(tmp, 'overview.png');
	await page.screenshot({ path: shot, fullPage: true });
	const size = fs.statSync(shot).size;
	ok(size > 10000, 'a screenshot of the overview is written', size);
	if (process.env.ST_UPDATE_SCREENSHOT === '1') {
		fs.mkdirSync(path.join(SRCDIR, 'docs'), { recursive: true });
		fs.copyFileSync(shot, path.join(SRCDIR, 'docs', 'screenshot.png'));
		console.log('# updated docs/screenshot.png');
	}
} catch (e) {
	ok(false, 'the browser test ran to the end', (e.stack || e) +
	    '\n' + daemonLog.split('\n').slice(-15).join('\n'));
} finally {
	if (browser)
		await browser.close().catch(() => {});
	await stopDaemon();
	clearTimeout(watchdog);
}

if (n !== PLAN) {
	console.log('# planned ' + PLAN + ', ran ' + n);
	process.exitCode = 1;
} else if (failed) {
	process.exitCode = 1;
}
