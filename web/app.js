/*
 * app.js -- the spamtrend web UI: one page for the overview (/) and for a
 * single source (/source/<name>).  This module owns the view state and its
 * URL, the controls, the loading of a view and the start-up; util.js holds
 * the shared state and formatting, status.js the talk with the collector
 * and the banners, graph.js the main graph, panels.js the totals, drops,
 * events and the source table.  ES modules, loaded as they are: no build
 * step.
 *
 * Design notes.
 *
 * The main graph is drawn in the browser with dygraphs 2.2 (Debian's
 * libjs-dygraphs, served by the daemon from its own install path, never
 * from a CDN).  It was chosen over drawing by hand and over the other
 * libraries packaged for Debian because it is made for exactly this: long
 * time series with gaps (null rows), drag to zoom, pan, log scale, touch,
 * local or UTC axes, callbacks for a custom readout and for drawing under
 * the plot; it is mature (since 2006), MIT licensed, one file of 130 kB with
 * no dependencies, and works under the daemon's Content-Security-Policy
 * (no eval, no inline script).  PNG/SVG graphs stay for embedding.
 *
 * Everything the page knows about the deployment comes from GET
 * /api/v1/config (categories, colours, step, archives, stale_after): the
 * page builds its controls from it, so any configured category set works.
 * The view lives in the URL (range, anchor, zone, step, categories,
 * compare, view, scale, table sort and filter); a parameter that is not
 * valid is named on the page and dropped from the URL.
 *
 * Honest numbers: every request of one view uses the same absolute range,
 * resolved once, and the same step, so the graph, the totals, the table
 * and the CSV link all read the same rows as /export.csv.  The y axis is
 * messages per hour at every zoom level (the row size is shown); the
 * readout gives each hovered row's exact count.  Rows after the server's
 * complete_through are still filling: they are shaded, not drawn as a dip.
 * Unknown rows are gaps with a grey band.  One time zone, the user's
 * choice, is used everywhere on the page and named on the axis.
 *
 * Text from the server is only ever inserted with textContent.
 */
import { $, COMPARES, REFRESH_MS, S, SPANS, STACK_TOP, TOTAL, UNIT, VIEWS, el,
    fmtStep, fmtTime, now, parseLocalInput, query } from './util.js';
import { errorText, getJSON, setStatus, showFreshness,
    showInvalid } from './status.js';
import { drawGraph, placeMarks, readoutDefault } from './graph.js';
import { addEvent, loadSourceInfo, loadSources, renderDrops, renderEvents,
    renderTotals } from './panels.js';

/* --- the URL ----------------------------------------------------- */

/* Valid time: unix seconds, "now", -N<unit> or a UTC date. */
export function validTime(v) {
	return typeof v === 'string' && (/^(now|\d{1,12})$/.test(v) ||
	    /^-\d{1,6}(s|m|min|h|d|w|mon|y)$/.test(v) ||
	    /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?Z?)?$/.test(v));
}

/* Resolve a time parameter to unix seconds against ref. */
export function resolveTime(v, ref) {
	if (v === 'now')
		return ref;
	var m = /^-(\d+)([a-z]+)$/.exec(v);
	if (m)
		return ref - Number(m[1]) * UNIT[m[2]];
	if (/^\d{4}-/.test(v))
		return Math.floor(Date.parse(/Z$/.test(v) ? v :
		    v.length === 10 ? v + 'T00:00:00Z' : v + 'Z') / 1000);
	return Number(v);
}

/*
 * Read the view state from the URL.  Invalid values are collected
 * in s.invalid (name: why) and replaced by defaults.
 */
export function readState() {
	var p = new URLSearchParams(location.search);
	var names = S.config.categories.map(function (c) {
		return c.name;
	});
	var s = {
		start: p.get('start') || '-1d',
		end: p.get('end') || 'now',
		anchor: p.get('anchor') || '',
		tz: p.get('tz') || 'local',
		step: p.get('step') || 'auto',
		categories: names.slice(),
		compare: p.get('compare') || '',
		view: p.get('view') || 'lines',
		y: p.get('y') || 'linear',
		sort: p.get('sort') || '',
		q: p.get('q') || '',
		page: Number(p.get('page') || '0'),
		invalid: []
	};
	function bad(name, why) {
		s.invalid.push(name + '=' + p.get(name) + ' (' + why + ')');
	}
	if (!validTime(s.start)) {
		bad('start', 'not a time');
		s.start = '-1d';
	}
	if (!validTime(s.end)) {
		bad('end', 'not a time');
		s.end = 'now';
	}
	if (['', 'now', 'latest'].indexOf(s.anchor) < 0) {
		bad('anchor', 'now or latest');
		s.anchor = '';
	}
	if (s.tz !== 'local' && s.tz !== 'utc') {
		bad('tz', 'local or utc');
		s.tz = 'local';
	}
	if (s.step !== 'auto' && !S.config.archives.some(function (a) {
		return String(a.resolution) === s.step;
	})) {
		bad('step', 'not one of the stored resolutions');
		s.step = 'auto';
	}
	if (p.has('categories')) {
		var want = p.get('categories').split(',');
		var unknown = want.filter(function (x) {
			return names.indexOf(x) < 0;
		});
		if (unknown.length)
			bad('categories', 'not configured: ' +
			    unknown.join(', '));
		var c = names.filter(function (x) {
			return want.indexOf(x) >= 0;
		});
		if (c.length)
			s.categories = c;
	}
	if (!(s.compare in COMPARES)) {
		bad('compare', 'none, 1d, 1w, 4w or 1y');
		s.compare = '';
	}
	if (VIEWS.indexOf(s.view) < 0 || (s.view === 'ratio' &&
	    (names.indexOf('spam') < 0 || names.indexOf('ham') < 0))) {
		bad('view', 'lines, stacked, ratio (with spam and ham) ' +
		    'or sources');
		s.view = 'lines';
	}
	if (s.y !== 'linear' && s.y !== 'log') {
		bad('y', 'linear or log');
		s.y = 'linear';
	}
	if (s.sort && !/^-?(name|last_seen|stale|[a-z0-9_]+)$/.test(s.sort)) {
		bad('sort', 'not a column');
		s.sort = '';
	}
	if (!isFinite(s.page) || s.page < 0 || s.page !== Math.floor(s.page)) {
		bad('page', 'not a page number');
		s.page = 0;
	}
	var known = ['start', 'end', 'anchor', 'tz', 'step', 'categories',
	    'compare', 'view', 'y', 'sort', 'q', 'page', 'per'];
	p.forEach(function (v, k) {
		if (known.indexOf(k) < 0)
			s.invalid.push(k + ' (not a parameter of this page)');
	});
	s.per = Number(p.get('per') || '25');
	if ([10, 25, 100].indexOf(s.per) < 0) {
		bad('per', '10, 25 or 100');
		s.per = 25;
	}
	return s;
}

/* Write the state into the URL (push adds a history entry). */
export function writeState(push) {
	var all = S.config.categories.length === S.state.categories.length;
	var q = query({
		start: S.state.start === '-1d' ? '' : S.state.start,
		end: S.state.end === 'now' ? '' : S.state.end,
		anchor: S.state.anchor,
		tz: S.state.tz === 'local' ? '' : S.state.tz,
		step: S.state.step === 'auto' ? '' : S.state.step,
		categories: all ? '' : S.state.categories.join(','),
		compare: S.state.compare,
		view: S.state.view === 'lines' ? '' : S.state.view,
		y: S.state.y === 'linear' ? '' : S.state.y,
		sort: S.state.sort,
		q: S.state.q,
		page: S.state.page ? S.state.page : '',
		per: S.state.per === 25 ? '' : S.state.per
	});
	var url = location.pathname + (q ? '?' + q : '');
	if (url === location.pathname + location.search)
		return;
	if (push)
		history.pushState(null, '', url);
	else
		history.replaceState(null, '', url);
}

/* Is the range relative ("-1d" to now)? */
export function relative() {
	return /^-/.test(S.state.start) && S.state.end === 'now';
}

/* Should the range end at the latest data rather than now? */
export function anchoredLatest() {
	if (!relative())
		return false;
	if (S.state.anchor)
		return S.state.anchor === 'latest';
	return dataStale();
}

export function dataStale() {
	return !S.config.data_end ||
	    now() - S.config.data_end > S.config.stale_after;
}

/* The range to show, in unix seconds. */
export function currentRange() {
	var ref = anchoredLatest() && S.config.data_end ?
	    S.config.data_end : now();
	var e = resolveTime(S.state.end, ref);
	var s = resolveTime(S.state.start, ref);
	return [s, e];
}

/* The preset span the state matches, or "custom". */
export function spanKey() {
	if (!relative())
		return 'custom';
	for (var k in SPANS)
		if ('-' + k === S.state.start)
			return k;
	return 'custom';
}

/* --- controls ---------------------------------------------------- */

/* Build the category boxes and resolution choices from the config. */
export function buildControls() {
	var cats = $('categories');
	S.config.categories.forEach(function (c, i) {
		var label = el('label', 'cat');
		var box = el('input');
		box.type = 'checkbox';
		box.value = c.name;
		box.name = 'category';
		label.appendChild(box);
		var sw = el('span', 'swatch');
		sw.style.background = c.colour;
		label.appendChild(sw);
		label.appendChild(document.createTextNode(c.name));
		cats.appendChild(label);
		box.addEventListener('change', function () {
			var on = S.config.categories.filter(function (x) {
				return cats.querySelector('input[value="' +
				    x.name + '"]').checked;
			}).map(function (x) {
				return x.name;
			});
			if (!on.length) {
				box.checked = true;
				return;
			}
			S.state.categories = on;
			writeState(false);
			refresh();
		});
		void i;
	});
	var step = $('step');
	S.config.archives.forEach(function (a) {
		var o = el('option', null, fmtStep(a.resolution));
		o.value = String(a.resolution);
		step.appendChild(o);
	});
	if (S.config.events.write === 'loopback') {
		$('event-token-label').hidden = true;
		$('event-help').textContent = 'No admin token is ' +
		    'configured: only a browser on the collector\u2019s ' +
		    'own machine may add or delete events.';
	} else {
		$('event-help').textContent = 'Adding and deleting ' +
		    'events needs the admin token; it stays in this tab.';
		$('event-token').value =
		    sessionStorage.getItem('spamtrend-token') || '';
	}
	if (S.source !== TOTAL)
		$('event-source-label').hidden = false;
}

/* Bring the controls in line with the state. */
export function renderControls() {
	var key = spanKey();
	Array.prototype.forEach.call(
	    document.querySelectorAll('#ranges button'), function (b) {
		b.setAttribute('aria-pressed',
		    String(b.getAttribute('data-span') === key));
	});
	Array.prototype.forEach.call(
	    document.querySelectorAll('#tz button'), function (b) {
		b.setAttribute('aria-pressed',
		    String(b.getAttribute('data-tz') === S.state.tz));
	});
	$('tz-local').textContent = 'Local';
	$('tz-local').title = 'Browser time: ' + (function () {
		try {
			return Intl.DateTimeFormat().resolvedOptions().timeZone;
		} catch (e) {
			return 'local';
		}
	}());
	$('anchor').value = anchoredLatest() ? 'latest' : 'now';
	$('anchor').disabled = !relative();
	$('step').value = S.state.step;
	$('compare').value = S.state.compare;
	$('view').value = S.state.view;
	$('logscale').checked = S.state.y === 'log';
	Array.prototype.forEach.call(
	    document.querySelectorAll('#categories input'), function (i) {
		i.checked = S.state.categories.indexOf(i.value) >= 0;
	});
	var title = S.source === TOTAL ? 'overview' : S.source;
	document.title = 'spamtrend \u2014 ' + title;
}

/* Set the range and update URL and views. */
export function setRange(start, end, push) {
	S.state.start = start;
	S.state.end = end;
	S.state.page = 0;
	$('custom').hidden = true;
	writeState(push);
	refresh();
}

/* Show a window of [s, e] as a fixed range (clamped to now). */
export function showWindow(s, e, push) {
	var t = now();
	s = Math.floor(s);
	e = Math.ceil(e);
	if (e > t)
		e = t;
	if (e - s < 120)
		s = e - 120;
	setRange(String(s), String(e), push);
}

export function zoomOut() {
	var r = S.view ? S.view.range : currentRange();
	var span = r[1] - r[0];
	showWindow(r[0] - span / 2, r[1] + span / 2, true);
}

export function pan(dir) {
	var r = S.view ? S.view.range : currentRange();
	var d = (r[1] - r[0]) / 2 * dir;
	showWindow(r[0] + d, r[1] + d, true);
}

/* Show the custom range form filled with the current range. */
export function openCustom() {
	var r = S.view ? S.view.range : currentRange();
	$('custom-start').value = fmtTime(r[0], 'T');
	$('custom-end').value = fmtTime(r[1], 'T');
	$('custom').hidden = false;
	$('custom-start').focus();
}

/* Wire the controls. */
export function bindControls() {
	$('ranges').addEventListener('click', function (ev) {
		var b = ev.target.closest('button');
		if (!b)
			return;
		var k = b.getAttribute('data-span');
		if (k === 'custom') {
			if ($('custom').hidden)
				openCustom();
			else
				$('custom').hidden = true;
			return;
		}
		setRange('-' + k, 'now', true);
	});
	$('tz').addEventListener('click', function (ev) {
		var b = ev.target.closest('button');
		if (!b)
			return;
		S.state.tz = b.getAttribute('data-tz');
		writeState(false);
		/* Every time on the page moves at once, before new data comes. */
		if (S.view) {
			drawGraph();
			renderEvents();
			renderDrops();
		}
		refresh();
	});
	$('anchor').addEventListener('change', function () {
		S.state.anchor = this.value;
		writeState(true);
		refresh();
	});
	$('zoom-out').addEventListener('click', zoomOut);
	$('pan-back').addEventListener('click', function () {
		pan(-1);
	});
	$('pan-fwd').addEventListener('click', function () {
		pan(1);
	});
	$('custom').addEventListener('submit', function (ev) {
		ev.preventDefault();
		var s = parseLocalInput($('custom-start').value);
		var e = parseLocalInput($('custom-end').value);
		if (!isFinite(s) || !isFinite(e) || e <= s) {
			setStatus('The range must end after it starts.');
			return;
		}
		setStatus('');
		setRange(String(s), String(e), true);
	});
	[['step', 'step'], ['compare', 'compare'], ['view', 'view']]
	    .forEach(function (x) {
		$(x[0]).addEventListener('change', function () {
			S.state[x[1]] = this.value;
			writeState(false);
			refresh();
		});
	});
	$('logscale').addEventListener('change', function () {
		S.state.y = this.checked ? 'log' : 'linear';
		writeState(false);
		drawGraph();
	});
	var filterTimer = null;
	$('filter').addEventListener('input', function () {
		clearTimeout(filterTimer);
		filterTimer = setTimeout(function () {
			S.state.q = $('filter').value.trim().toLowerCase();
			S.state.page = 0;
			writeState(false);
			loadSources(S.seq);
		}, 250);
	});
	$('page-prev').addEventListener('click', function () {
		S.state.page = Math.max(0, S.state.page - 1);
		writeState(false);
		loadSources(S.seq);
	});
	$('page-next').addEventListener('click', function () {
		S.state.page++;
		writeState(false);
		loadSources(S.seq);
	});
	$('page-size').addEventListener('change', function () {
		S.state.per = Number(this.value);
		S.state.page = 0;
		writeState(false);
		loadSources(S.seq);
	});
	$('event-toggle').addEventListener('click', function () {
		var f = $('event-form');
		f.hidden = !f.hidden;
		this.setAttribute('aria-expanded', String(!f.hidden));
		if (!f.hidden) {
			$('event-time').value = fmtTime(S.view ?
			    Math.min(S.view.range[1], now()) : now(), 'T');
			$('event-text').focus();
		}
	});
	$('event-form').addEventListener('submit', addEvent);
	window.addEventListener('popstate', function () {
		S.state = readState();
		showInvalid();
		refresh();
	});
	var resizeTimer = null;
	window.addEventListener('resize', function () {
		clearTimeout(resizeTimer);
		resizeTimer = setTimeout(function () {
			if (S.graph)
				S.graph.resize();
			placeMarks();
		}, 150);
	});
}

/* --- loading a view ---------------------------------------------- */

/*
 * The comparison shift for the totals: the one chosen, or whole weeks; 0
 * (no comparison) past the two years the collector compares with.
 */
var COMPARE_MAX = 2 * 366 * 86400;

export function totalsShift(span) {
	if (S.state.compare)
		return COMPARES[S.state.compare];
	var shift = Math.max(1, Math.ceil(span / 604800)) * 604800;
	return shift > COMPARE_MAX ? 0 : shift;
}

/* The categories the graph asks for. */
export function askedCategories() {
	if (S.state.view === 'ratio')
		return ['spam', 'ham'];
	if (S.state.view === 'sources')
		return [S.state.categories[0]];
	return S.state.categories;
}

/* Load everything the view needs, in one generation. */
export function refresh() {
	var n = ++S.seq;
	var r = currentRange();
	renderControls();
	showFreshness();
	$('custom').hidden = true;
	var span = r[1] - r[0];
	var shift = totalsShift(span);
	var p = {
		source: S.source,
		categories: askedCategories().join(','),
		start: r[0],
		end: r[1],
		step: S.state.step === 'auto' ? '' : S.state.step,
		compare: shift ? shift + 's' : 'none'
	};
	$('graph').classList.add('loading');
	getJSON('/api/v1/series', p).then(function (res) {
		if (n !== S.seq)
			return;
		if (!res.ok || !res.body) {
			$('graph').classList.remove('loading');
			setStatus(errorText('The graph', res));
			return;
		}
		setStatus('');
		S.view = { range: r, series: res.body, shift: shift,
		    stack: null, events: [], drops: [] };
		setCsvLink();
		renderTotals();
		drawGraph();
		var more = [loadEvents(n), (S.source === TOTAL ?
		    loadSources(n) : loadSourceInfo(n)).then(function () {
			return loadDrops(n);
		})];
		if (S.state.view === 'sources')
			more.push(loadStack(n));
		Promise.all(more).then(function () {
			if (n === S.seq)
				drawGraph();
		});
	}).catch(function () {
		$('graph').classList.remove('loading');
	});
}

/* The CSV link: exactly the rows on screen. */
export function setCsvLink() {
	var b = S.view.series;
	$('csv').href = '/export.csv?' + query({
		source: S.source,
		categories: b.categories.join(','),
		start: S.view.range[0],
		end: S.view.range[1],
		step: b.step
	});
	$('csv').setAttribute('download', 'spamtrend-' +
	    (S.source === TOTAL ? 'total' : S.source) + '-' + S.view.range[0] +
	    '-' + S.view.range[1] + '.csv');
}

/* The events of the range (of this source and of all sources). */
export function loadEvents(n) {
	var p = { start: S.view.range[0], end: S.view.range[1] };
	if (S.source !== TOTAL)
		p.source = S.source;
	return getJSON('/api/v1/events', p).then(function (r) {
		if (n !== S.seq)
			return;
		S.view.events = r.ok && Array.isArray(r.body) ? r.body : [];
		renderEvents();
	}, function () {});
}

/*
 * The drops of the range: of this source, or on the overview of the
 * total and of each source in the table's page (the largest first),
 * one request at a time.
 */
export function loadDrops(n) {
	var list = [S.source];
	var found = [];
	var p0 = { start: S.view.range[0], end: S.view.range[1],
	    categories: S.state.categories.join(',') };
	function next(i) {
		if (i >= list.length || n !== S.seq)
			return Promise.resolve();
		var p = Object.assign({ source: list[i] }, p0);
		return getJSON('/api/v1/drops', p).then(function (r) {
			if (n !== S.seq)
				return;
			if (r.ok && Array.isArray(r.body))
				found = found.concat(r.body);
			S.view.drops = found;
			renderDrops();
			return next(i + 1);
		}, function () {});
	}
	if (S.source === TOTAL && S.sourcesPage)
		S.sourcesPage.sources.forEach(function (s) {
			list.push(s.name);
		});
	return next(0);
}

/* The top sources of the first category, for the "by source" view. */
export function loadStack(n) {
	var cat = S.state.categories[0];
	return getJSON('/api/v1/sources', {
		start: S.view.range[0], end: S.view.range[1],
		step: S.view.series.step, categories: cat,
		sort: '-' + cat, limit: STACK_TOP
	}).then(function (r) {
		if (n !== S.seq || !r.ok || !r.body)
			return;
		var names = r.body.sources.map(function (s) {
			return s.name;
		});
		return Promise.all(names.map(function (name) {
			return getJSON('/api/v1/series', {
				source: name, categories: cat,
				start: S.view.range[0], end: S.view.range[1],
				step: S.view.series.step
			}).then(function (x) {
				return x.ok ? x.body : null;
			});
		})).then(function (all) {
			if (n !== S.seq)
				return;
			S.view.stack = all.filter(function (x) {
				return x;
			});
		});
	}, function () {});
}

/* --- start-up ----------------------------------------------------- */

/* The source name from the path, or _total on the overview. */
export function readSource() {
	var m = /^\/source\/([^/]+)\/?$/.exec(location.pathname);
	if (!m)
		return TOTAL;
	try {
		return decodeURIComponent(m[1]);
	} catch (e) {
		return m[1];
	}
}

/* Keep a live view current, and the config's data_end fresh. */
export function bindRefresh() {
	setInterval(function () {
		if (document.hidden || S.unreachable)
			return;
		getJSON('/api/v1/config').then(function (r) {
			if (r.ok && r.body) {
				S.config = r.body;
				S.skew = S.config.now - Math.floor(Date.now() / 1000);
			}
			if (relative())
				refresh();
			else
				showFreshness();
		}, function () {});
	}, REFRESH_MS);
}

/* Fetch the configuration, then build and load the page. */
export function start() {
	getJSON('/api/v1/config').then(function (r) {
		if (!r.ok || !r.body) {
			setStatus(errorText('Loading the configuration', r));
			return;
		}
		S.config = r.body;
		S.skew = S.config.now - Math.floor(Date.now() / 1000);
		S.state = readState();
		buildControls();
		bindControls();
		bindRefresh();
		showInvalid();
		refresh();
	}, function () {});
}

export function init() {
	S.source = readSource();
	if (S.source !== TOTAL) {
		$('crumb').textContent = S.source;
		$('back').hidden = false;
		$('sources-section').hidden = true;
	}
	readoutDefault();
	start();
}

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', init);
else
	init();
