// test_ui.mjs -- the web UI in headless Chromium against the real daemon.
//
// Imports three hours of minute rows for two sources in a custom category
// set (spam, ham, phish, greylisted), starts spamtrendd on a free port, and
// drives the overview and a source page as a user would, in a browser set to
// America/Los_Angeles: the page builds itself from the configuration, the
// hover readout and the totals equal the CSV export, drag zooms and the
// button zooms out, the time zone switch moves every time on the page, 15
// events leave the plot its size, a phone-width screen does not scroll
// sideways, bad URL parameters are named, nothing logs an error or gets a
// 4xx/5xx, and a stopped collector is said to be unreachable.  Prints TAP.
//
// Environment: SPAMTRENDD (daemon binary), ST_SRCDIR (source tree),
// ST_SCREENSHOTS=DIR to keep the screenshots taken on the way.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRCDIR = process.env.ST_SRCDIR || path.resolve(HERE, '..', '..');
const SPAMTRENDD = process.env.SPAMTRENDD || 'spamtrendd';
const CHROMIUM = '/usr/bin/chromium';
const CATEGORIES = ['spam', 'ham', 'phish', 'greylisted'];
const ZONE = 'America/Los_Angeles';
const PLAN = 30;

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
	return ok(JSON.stringify(got) === JSON.stringify(want), name,
	    'got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

// --- the data and the daemon ----------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spamtrend-ui-'));
const dataDir = path.join(tmp, 'data');
const shots = process.env.ST_SCREENSHOTS || tmp;
fs.mkdirSync(dataDir);
let daemon = null;
let daemonLog = '';

const NOW = Math.floor(Date.now() / 1000);
const LAST = Math.floor(NOW / 60) * 60 - 300;	// the data ends 5 min ago
const ROWS = 180;

// Three hours of minute rows; one row left unknown.  Returns the CSV text.
function history(seed) {
	const lines = ['time,iso8601,' + CATEGORIES.join(',')];
	for (let i = ROWS - 1; i >= 0; i--) {
		const t = LAST - i * 60;
		const iso = new Date(t * 1000).toISOString().replace('.000', '');
		if (i === 40) {
			lines.push(t + ',' + iso + ',,,,');
			continue;
		}
		const spam = 100 * seed + (i * 7) % 53;
		const ham = 20 * seed + (i * 3) % 11;
		const phish = seed + i % 5;
		const grey = (i * 13) % 29;
		lines.push([t, iso, spam, ham, phish, grey].join(','));
	}
	return lines.join('\n') + '\n';
}

function importHistory() {
	const args = ['import', '--data-dir', dataDir, '--categories',
	    CATEGORIES.join(',')];
	[['mx1.example.com', 3], ['mx2.example.net', 1]].forEach(([name, seed]) => {
		const f = path.join(tmp, name + '.csv');
		fs.writeFileSync(f, history(seed));
		args.push('--source', name, f);
	});
	return spawnSync(SPAMTRENDD, args, { encoding: 'utf8' });
}

// Start spamtrendd and resolve to its base URL once it is listening.
function startDaemon() {
	return new Promise((resolve, reject) => {
		const p = spawn(SPAMTRENDD, ['--listen', '127.0.0.1:0',
		    '--data-dir', dataDir, '--web-dir', path.join(SRCDIR, 'web'),
		    '--categories', CATEGORIES.join(',')],
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

// Stop the daemon: SIGTERM, then SIGKILL after a timeout.
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
	if (!process.env.ST_SCREENSHOTS)
		fs.rmSync(tmp, { recursive: true, force: true });
});

// Parse a CSV export into { header, rows: [{time, cat: n|null}] }.
function parseCsv(text) {
	const lines = text.split(/\r?\n/).filter((l) => l);
	const header = lines[0].split(',');
	const rows = lines.slice(1).map((l) => {
		const c = l.split(',');
		const r = { time: Number(c[0]) };
		header.slice(2).forEach((h, i) => {
			r[h] = c[i + 2] === '' ? null : Number(c[i + 2]);
		});
		return r;
	});
	return { header, rows };
}

function sums(csv) {
	const s = {};
	csv.header.slice(2).filter((h) => h !== 'coverage').forEach((h) => {
		s[h] = csv.rows.reduce((a, r) => a + (r[h] ?? 0), 0);
	});
	return s;
}

async function getText(url) {
	const r = await fetch(url);
	return { status: r.status, text: await r.text() };
}

// --- the browser ---------------------------------------------------------

// Record console messages, page errors, failed and >= 400 requests.
function watch(page) {
	const problems = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning')
			problems.push('console ' + m.type() + ': ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('requestfailed', (r) => {
		const f = r.failure();
		// A request the page itself aborted (a newer view replaced
		// it, or the test navigated away) is not a fault.
		if (f && /ERR_ABORTED/.test(f.errorText))
			return;
		problems.push('request failed: ' + r.url() + ' ' +
		    (f ? f.errorText : ''));
	});
	page.on('response', (r) => {
		if (r.status() >= 400)
			problems.push('HTTP ' + r.status() + ': ' + r.url());
	});
	return problems;
}

// Wait until the main graph shows a range whose length lies in
// [span.min, span.max]; resolves to [start, end, step].
async function graphShown(page, span) {
	await page.waitForFunction((sp) => {
		const g = document.getElementById('graph');
		const r = (g.getAttribute('data-range') || '').split(',').map(Number);
		return g.getAttribute('data-plot') && r.length === 2 &&
		    !g.classList.contains('loading') &&
		    document.querySelector('#graph canvas') !== null &&
		    r[1] - r[0] >= sp.min && r[1] - r[0] <= sp.max;
	}, Object.assign({ min: 0, max: 1e12 }, span || {}), { timeout: 20000 });
	return page.$eval('#graph', (g) =>
	    g.getAttribute('data-range').split(',').map(Number)
		.concat([Number(g.getAttribute('data-step'))]));
}

async function plotArea(page) {
	return page.$eval('#graph', (g) =>
	    g.getAttribute('data-plot').split(',').map(Number));
}

function params(url) {
	return new URL(url, 'http://x').searchParams;
}

const watchdog = setTimeout(() => {
	console.log('# the test took too long');
	process.exit(1);
}, 300000);

let browser = null;
try {
	const imp = importHistory();
	ok(imp.status === 0, 'three hours of two sources are imported',
	    imp.stdout + imp.stderr);
	const base = await startDaemon();
	const cfg = JSON.parse((await getText(base + '/api/v1/config')).text);
	eq(cfg.categories.map((c) => c.name), CATEGORIES,
	    '/api/v1/config lists the configured categories in order');

	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync']
	});
	const context = await browser.newContext({
		viewport: { width: 1366, height: 900 },
		timezoneId: ZONE,
		acceptDownloads: true
	});
	const page = await context.newPage();
	const problems = watch(page);

	// The overview, built from the configuration.
	await page.goto(base + '/');
	let [s0, e0, step0] = await graphShown(page);
	const boxes = await page.$$eval('#categories input',
	    (bs) => bs.map((b) => b.value + ':' + b.checked));
	eq(boxes, CATEGORIES.map((c) => c + ':true'),
	    'the category boxes are the configured ones, all ticked');
	ok(e0 - s0 === 86400 && e0 >= NOW - 5 && step0 === 60,
	    'the overview shows the last day in minute rows', [s0, e0, step0]);

	// The CSV link takes exactly what is on screen; the totals match it.
	const href = await page.$eval('#csv', (a) => a.getAttribute('href'));
	const hp = params(href);
	ok(hp.get('start') === String(s0) && hp.get('end') === String(e0) &&
	    hp.get('step') === '60' &&
	    hp.get('categories') === CATEGORIES.join(','),
	    'the CSV link has the range, step and categories on screen', href);
	const [dl] = await Promise.all([page.waitForEvent('download'),
	    page.click('#csv')]);
	const csv = parseCsv(fs.readFileSync(await dl.path(), 'utf8'));
	const want = sums(csv);
	const shown = await page.$$eval('#totals li', (lis) => lis.map((li) => [
	    li.querySelector('.total-cat').textContent,
	    Number(li.querySelector('.total-n').textContent.replace(/,/g, ''))]));
	eq(Object.fromEntries(shown), want,
	    'the totals on the page equal the CSV\'s column sums');
	ok(want.phish > 0 && want.greylisted > 0,
	    'the custom categories phish and greylisted have counts', want);

	// The source table: phish and a share column, equal to the exports.
	await page.waitForSelector('#sources-body tr');
	const table = await page.$$eval('#sources-body tr', (trs) => trs.map(
	    (tr) => Array.from(tr.cells).map((c) => c.textContent.trim())));
	const head = await page.$$eval('#sources-head th',
	    (ths) => ths.map((t) => t.textContent.trim().replace(/\s*[\u2191\u2193]$/, '')));
	const mx1 = table.find((r) => r[0] === 'mx1.example.com') || [];
	const mx1csv = sums(parseCsv((await getText(base + '/export.csv?' +
	    new URLSearchParams({ source: 'mx1.example.com', start: s0,
		end: e0, step: 60 }))).text));
	ok(head.includes('phish') && head.includes('Share of spam') &&
	    Number(mx1[head.indexOf('phish')].replace(/,/g, '')) === mx1csv.phish &&
	    Number(mx1[head.indexOf('spam')].replace(/,/g, '')) === mx1csv.spam,
	    'the table\'s phish and spam equal the source\'s export',
	    JSON.stringify({ head, mx1, mx1csv }));
	const share = Number(mx1[head.indexOf('Share of spam')].replace('%', ''));
	ok(Math.abs(share - 100 * mx1csv.spam / want.spam) < 0.06,
	    'the share column is the source\'s part of the total', share);

	// Hover: the readout gives the exact counts of the row, as exported.
	let area = await plotArea(page);
	const gbox = await page.$eval('#graph', (g) => {
		const r = g.getBoundingClientRect();
		return { x: r.left, y: r.top };
	});
	const hx = gbox.x + area[0] + area[2] * 0.985;
	await page.mouse.move(hx, gbox.y + area[1] + area[3] / 2);
	await page.waitForSelector('#readout[data-time]');
	const hover = await page.$eval('#readout', (r) => ({
		time: Number(r.getAttribute('data-time')),
		vals: Object.fromEntries(Array.from(r.querySelectorAll('[data-cat]'))
		    .map((v) => [v.getAttribute('data-cat'),
			v.getAttribute('data-count') === '' ? null :
			Number(v.getAttribute('data-count'))]))
	}));
	const row = csv.rows.find((r) => r.time === hover.time) || {};
	eq(hover.vals, Object.fromEntries(CATEGORIES.map((c) => [c, row[c]])),
	    'the hovered row\'s counts equal the export\'s row ' + hover.time);
	ok(hover.vals.spam !== null && hover.time > LAST - ROWS * 60,
	    'the hovered row holds data', hover);

	// Drag across the graph to zoom in; the button zooms back out.
	await page.mouse.move(gbox.x + area[0] + area[2] * 0.90,
	    gbox.y + area[1] + area[3] / 2);
	await page.mouse.down();
	await page.mouse.move(gbox.x + area[0] + area[2] * 0.97,
	    gbox.y + area[1] + area[3] / 2, { steps: 8 });
	await page.mouse.up();
	const [zs, ze] = await graphShown(page, { max: 86400 * 0.2 });
	ok(/^\d+$/.test(params(page.url()).get('start') || '') &&
	    Number(params(page.url()).get('start')) === zs &&
	    ze - zs > 600 && zs > s0 + 86400 * 0.85,
	    'dragging across the graph zooms to that range (URL and graph)',
	    page.url() + ' ' + [zs, ze]);
	await page.click('#zoom-out');
	const [os_, oe] = await graphShown(page, { min: (ze - zs) * 1.4 });
	ok(Math.abs(os_ - (zs - (ze - zs) / 2)) <= 2 && oe > ze,
	    'zoom out widens the range by half on each side (up to now)',
	    [zs, ze, os_, oe]);

	// Fifteen events leave the plot its size; each has a flag.
	await page.goto(base + '/?start=-3h');
	await graphShown(page);
	const before = await plotArea(page);
	for (let i = 0; i < 15; i++) {
		const r = await fetch(base + '/api/v1/events', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ time: LAST - 60 * (5 + 9 * i),
			    text: 'C&C change ' + (i + 1) + ' \u2014 r\u00e9seau' })
		});
		await r.text();
	}
	await page.reload();
	await graphShown(page);
	await page.waitForFunction(() =>
	    document.querySelectorAll('#marks .flag.event').length >= 15);
	const after = await plotArea(page);
	const flags = await page.$$eval('#marks .flag.event', (fs) => fs.length);
	eq(after, before, '15 events leave the plot area as it was');
	eq(flags, 15, 'each of the 15 events has a flag above the plot');
	const tip = await page.$eval('#marks .flag.event', (f) => f.title);
	ok(/C&C change \d+ \u2014 r\u00e9seau/.test(tip),
	    'an event\'s flag carries its text, "C&C" and accents intact', tip);
	// Three hours of new sources are being learnt: said as such, not
	// drawn or flagged as falls.
	await page.waitForFunction(() =>
	    document.querySelectorAll('#drops li').length > 0);
	const found = await page.$$eval('#drops li', (ls) =>
	    ls.map((l) => l.textContent));
	const dropFlags = await page.$$eval('#marks .flag.drop',
	    (fs) => fs.length);
	ok(found.every((x) => /learning/.test(x)) && dropFlags === 0,
	    'findings on new series say they are learning, with no fall ' +
	    'flagged on the graph', [found.slice(0, 2), dropFlags]);
	await page.screenshot({ path: path.join(shots, 'desktop.png'),
	    fullPage: true });

	// One time zone on the page, the browser's by default, UTC on demand.
	const ev = await fetch(base + '/api/v1/events').then((r) => r.json());
	const first = ev.sort((a, b) => a.time - b.time)[0];
	const local = await page.evaluate(() => ({
		axis: document.querySelector('.dygraph-xlabel').textContent,
		line: document.getElementById('range-line').textContent,
		event: document.querySelector('#events .event-time').textContent
	}));
	const fmt = (t, zone) => new Intl.DateTimeFormat('sv-SE', {
		timeZone: zone, year: 'numeric', month: '2-digit',
		day: '2-digit', hour: '2-digit', minute: '2-digit' })
	    .format(new Date(t * 1000)).replace(',', '');
	ok(local.axis === 'time (' + ZONE + ')' && local.line.includes(ZONE) &&
	    local.event === fmt(first.time, ZONE),
	    'in a Los Angeles browser the axis, range and events are in its zone',
	    JSON.stringify(local) + ' want ' + fmt(first.time, ZONE));
	await page.click('#tz button[data-tz="utc"]');
	await page.waitForFunction(() =>
	    document.querySelector('.dygraph-xlabel').textContent === 'time (UTC)');
	const inUtc = await page.evaluate(() => ({
		event: document.querySelector('#events .event-time').textContent,
		line: document.getElementById('range-line').textContent
	}));
	ok(params(page.url()).get('tz') === 'utc' &&
	    inUtc.event === fmt(first.time, 'UTC') && inUtc.line.includes('UTC'),
	    'the UTC switch moves every time on the page and goes in the URL',
	    JSON.stringify(inUtc) + ' ' + page.url());

	// A shared URL restores range, categories, compare and view.
	await page.goto(base + '/?start=-6h&categories=spam,phish' +
	    '&compare=1d&view=stacked&tz=utc');
	await graphShown(page, { min: 21600, max: 21600 });
	const ctl = await page.evaluate(() => ({
		pressed: document.querySelector('#ranges [aria-pressed="true"]')
		    .getAttribute('data-span'),
		ham: document.querySelector('#categories input[value="ham"]')
		    .checked,
		view: document.getElementById('view').value,
		compare: document.getElementById('compare').value,
		totals: Array.from(document.querySelectorAll('#totals .total-cat'))
		    .map((x) => x.textContent)
	}));
	eq(ctl, { pressed: '6h', ham: false, view: 'stacked', compare: '1d',
	    totals: ['spam', 'phish'] },
	    'a shared URL restores range, categories, compare and view');

	// An invalid URL parameter is named on the page and dropped.
	await page.goto(base + '/?view=pie&start=yesterday');
	await graphShown(page);
	const inv = await page.$eval('#banner-invalid', (b) => b.textContent);
	ok(/view=pie/.test(inv) && /start=yesterday/.test(inv) &&
	    !/view=pie/.test(page.url()),
	    'invalid URL parameters are named on the page and dropped', inv);

	// Three years: past the two years the totals compare with, the range
	// is drawn without a comparison (it was a 400 and an empty page).
	await page.goto(base + '/?start=-3y');
	const [y0, y1] = await graphShown(page, { min: 3 * 365 * 86400 - 86400 });
	const st3 = await page.$eval('#status', (s) => s.hidden ? '' : s.textContent);
	ok(st3 === '' && y1 - y0 >= 3 * 365 * 86400 - 86400,
	    'a three-year range is drawn, without a comparison', st3);

	// A source page.
	await page.goto(base + '/source/mx2.example.net');
	await graphShown(page);
	const sp = await page.evaluate(() => ({
		crumb: document.getElementById('crumb').textContent,
		back: !document.getElementById('back').hidden,
		table: !document.getElementById('sources-section').hidden,
		csv: document.getElementById('csv').getAttribute('href'),
		spam: document.querySelector('#totals .total-n').textContent
	}));
	const mx2 = sums(parseCsv((await getText(base + sp.csv)).text));
	ok(sp.crumb === 'mx2.example.net' && sp.back && !sp.table &&
	    params(sp.csv).get('source') === 'mx2.example.net' &&
	    Number(sp.spam.replace(/,/g, '')) === mx2.spam,
	    'a source page shows that source, its totals equal to its CSV',
	    JSON.stringify(sp) + ' ' + JSON.stringify(mx2));

	eq(problems, [], 'no console errors or warnings, no failed or 4xx/5xx ' +
	    'requests in normal use');

	// Names from the server are text, never markup.
	const inj = await context.newPage();
	const evil = '<b id="injected">x</b><img src=x>';
	await inj.route(/\/api\/v1\/sources\?.*offset=/, (route) => route.fulfill({
		contentType: 'application/json',
		body: JSON.stringify({ now: NOW, stale_after: 600, total: 1,
		    offset: 0, limit: 25, all: { spam: 2 }, sources: [{
			name: evil, first_seen: NOW, last_seen: NOW, stale: false,
			totals: { spam: 1 } }] })
	}));
	await inj.route(/\/graph\.png\?source=%3Cb/, (route) => route.fulfill({
		status: 204 }));
	await inj.goto(base + '/');
	await inj.waitForSelector('#sources-body th.name a');
	const injected = await inj.evaluate(() => ({
		el: document.getElementById('injected') !== null,
		imgs: document.querySelectorAll('#sources-body th.name img').length,
		text: document.querySelector('#sources-body th.name a').textContent
	}));
	ok(!injected.el && injected.imgs === 0 && injected.text === evil,
	    'a source name that looks like markup is shown as text',
	    JSON.stringify(injected));
	await inj.close();

	// A phone: 390 px wide, no sideways scrolling.
	const phone = await browser.newContext({
		viewport: { width: 390, height: 844 }, timezoneId: ZONE,
		deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	const pp = await phone.newPage();
	const phoneProblems = watch(pp);
	await pp.goto(base + '/?start=-3h');
	await graphShown(pp);
	await pp.waitForSelector('#sources-body tr');
	await pp.waitForFunction(() =>
	    document.querySelectorAll('#marks .flag.event').length >= 15);
	const pw = await pp.evaluate(() => ({
		scroll: document.documentElement.scrollWidth,
		graph: document.getElementById('graph').getBoundingClientRect().right,
		plot: Number(document.getElementById('graph')
		    .getAttribute('data-plot').split(',')[2])
	}));
	ok(pw.scroll <= 390 && pw.graph <= 390 && pw.plot > 250 &&
	    phoneProblems.length === 0,
	    'a 390 px wide phone has no horizontal overflow and a wide plot',
	    JSON.stringify(pw) + '\n' + phoneProblems.join('\n'));
	await pp.screenshot({ path: path.join(shots, 'phone.png'),
	    fullPage: true });
	ok(fs.statSync(path.join(shots, 'phone.png')).size > 10000 &&
	    fs.statSync(path.join(shots, 'desktop.png')).size > 10000,
	    'screenshots at 1366 and 390 px are written');

	// The collector goes away: the page says so.
	await page.goto(base + '/?start=-3h');
	await graphShown(page);
	const code = await stopDaemon();
	eq(code, 0, 'the daemon stops cleanly on SIGTERM');
	await page.click('#ranges button[data-span="1h"]');
	await page.waitForSelector('#banner-offline', { timeout: 15000 });
	const off = await page.evaluate(() => ({
		banner: document.getElementById('banner-offline').textContent,
		health: document.getElementById('health').textContent
	}));
	ok(/cannot be reached/.test(off.banner) && off.health === 'offline',
	    'with the collector stopped the page says it cannot be reached',
	    JSON.stringify(off));
	ok(/What you see is from/.test(off.banner),
	    'and says how old what it shows is', off.banner);
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
