/*
 * app.js -- the spamtrend web UI: one page for the overview (/) and for a
 * single source (/source/<name>).
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
(function () {
	'use strict';

	var TOTAL = '_total';
	var SPANS = { '1h': 3600, '6h': 21600, '1d': 86400, '1w': 604800,
	    '30d': 2592000, '1y': 31536000 };
	var UNIT = { s: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800,
	    mon: 2592000, y: 31536000 };
	var COMPARES = { '': 0, '1d': 86400, '1w': 604800, '4w': 2419200,
	    '1y': 31449600 };
	var VIEWS = ['lines', 'stacked', 'ratio', 'sources'];
	var SOURCE_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7',
	    '#E69F00', '#56B4E9', '#B59B00', '#000000'];
	var OTHERS_COLOUR = '#9AA3AD';
	var REFRESH_MS = 60000;
	var RETRY_MS = 10000;
	var STACK_TOP = 8;

	var config = null;	/* /api/v1/config */
	var skew = 0;		/* server clock minus ours, seconds */
	var source = TOTAL;
	var state = null;
	var view = null;	/* what is on screen: range, step, rows */
	var graph = null;	/* the Dygraph */
	var seq = 0;		/* generation of the view being loaded */
	var unreachable = 0;	/* time the collector stopped answering */
	var lastGood = 0;	/* time of the last answer */
	var retryTimer = null;
	var sourcesPage = null;	/* the last /api/v1/sources answer */
	var nf = new Intl.NumberFormat('en-US');
	var compactFormat = new Intl.NumberFormat('en-US',
	    { notation: 'compact', maximumFractionDigits: 1 });
	var pctFormat = new Intl.NumberFormat('en-US',
	    { minimumFractionDigits: 1, maximumFractionDigits: 1 });

	function $(id) {
		return document.getElementById(id);
	}

	/* Create an element with optional class and text (never markup). */
	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	/* Build a query string; commas stay readable. */
	function query(params) {
		var parts = [];
		Object.keys(params).forEach(function (k) {
			var v = params[k];
			if (v === undefined || v === null || v === '')
				return;
			parts.push(encodeURIComponent(k) + '=' +
			    encodeURIComponent(String(v)).replace(/%2C/gi, ','));
		});
		return parts.join('&');
	}

	function now() {
		return Math.floor(Date.now() / 1000) + skew;
	}

	/* --- time and numbers ------------------------------------------- */

	function utc() {
		return state && state.tz === 'utc';
	}

	/* The zone's name as the axis shows it. */
	function zoneName() {
		if (utc())
			return 'UTC';
		try {
			return Intl.DateTimeFormat().resolvedOptions().timeZone ||
			    'local time';
		} catch (e) {
			return 'local time';
		}
	}

	/* Date and time parts of t (unix seconds) in the chosen zone. */
	function parts(t) {
		var d = new Date(t * 1000);
		if (utc())
			return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1,
			    d: d.getUTCDate(), h: d.getUTCHours(),
			    mi: d.getUTCMinutes(), wd: d.getUTCDay() };
		return { y: d.getFullYear(), mo: d.getMonth() + 1,
		    d: d.getDate(), h: d.getHours(), mi: d.getMinutes(),
		    wd: d.getDay() };
	}

	function pad(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* "2008-11-11 21:00" in the chosen zone (sep "T" for inputs). */
	function fmtTime(t, sep) {
		var p = parts(t);
		return p.y + '-' + pad(p.mo) + '-' + pad(p.d) + (sep || ' ') +
		    pad(p.h) + ':' + pad(p.mi);
	}

	/* A datetime-local value in the chosen zone back to unix seconds. */
	function parseLocalInput(v) {
		var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(v || '');
		if (!m)
			return NaN;
		var a = [Number(m[1]), Number(m[2]) - 1, Number(m[3]),
		    Number(m[4]), Number(m[5])];
		if (utc())
			return Date.UTC(a[0], a[1], a[2], a[3], a[4]) / 1000;
		return new Date(a[0], a[1], a[2], a[3], a[4]).getTime() / 1000;
	}

	/* A short duration: "45 s", "12 min", "3 h", "5 d", "2 y". */
	function fmtDuration(s) {
		s = Math.max(0, Math.round(s));
		if (s < 90)
			return s + ' s';
		if (s < 5400)
			return Math.round(s / 60) + ' min';
		if (s < 172800)
			return Math.round(s / 3600) + ' h';
		if (s < 2 * 31536000)
			return Math.round(s / 86400) + ' d';
		return Math.round(s / 31536000) + ' years';
	}

	/* The size of a row in words: "1 minute", "5 minutes", "1 hour". */
	function fmtStep(s) {
		if (s % 86400 === 0)
			return s === 86400 ? '1 day' : s / 86400 + ' days';
		if (s % 3600 === 0)
			return s === 3600 ? '1 hour' : s / 3600 + ' hours';
		if (s % 60 === 0)
			return s === 60 ? '1 minute' : s / 60 + ' minutes';
		return s + ' seconds';
	}

	function fmtAgo(t) {
		if (!t)
			return 'never';
		var d = now() - t;
		if (d < 30)
			return 'just now';
		return fmtDuration(d) + ' ago';
	}

	/* A signed percentage with a real minus sign. */
	function fmtPct(x) {
		var s = pctFormat.format(Math.abs(x)) + '%';
		return x > 0 ? '+' + s : x < 0 ? '\u2212' + s : s;
	}

	/* A count: a whole number with separators. */
	function fmtCount(n) {
		return nf.format(Math.round(n));
	}

	/* An axis value: compact for large numbers, no milli. */
	function fmtAxis(v) {
		if (Math.abs(v) >= 10000)
			return compactFormat.format(v);
		if (Math.abs(v) >= 10 || v === 0)
			return nf.format(Math.round(v));
		return String(Math.round(v * 100) / 100);
	}

	/* "a week earlier" for a comparison shift in seconds. */
	function shiftName(s) {
		if (s === 31449600)
			return 'a year earlier';
		if (s === 604800)
			return 'a week earlier';
		if (s === 86400)
			return 'a day earlier';
		if (s % 604800 === 0)
			return s / 604800 + ' weeks earlier';
		return fmtDuration(s) + ' earlier';
	}

	/* --- the URL ----------------------------------------------------- */

	/* Valid time: unix seconds, "now", -N<unit> or a UTC date. */
	function validTime(v) {
		return typeof v === 'string' && (/^(now|\d{1,12})$/.test(v) ||
		    /^-\d{1,6}(s|m|min|h|d|w|mon|y)$/.test(v) ||
		    /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?Z?)?$/.test(v));
	}

	/* Resolve a time parameter to unix seconds against ref. */
	function resolveTime(v, ref) {
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
	function readState() {
		var p = new URLSearchParams(location.search);
		var names = config.categories.map(function (c) {
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
		if (s.step !== 'auto' && !config.archives.some(function (a) {
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
	function writeState(push) {
		var all = config.categories.length === state.categories.length;
		var q = query({
			start: state.start === '-1d' ? '' : state.start,
			end: state.end === 'now' ? '' : state.end,
			anchor: state.anchor,
			tz: state.tz === 'local' ? '' : state.tz,
			step: state.step === 'auto' ? '' : state.step,
			categories: all ? '' : state.categories.join(','),
			compare: state.compare,
			view: state.view === 'lines' ? '' : state.view,
			y: state.y === 'linear' ? '' : state.y,
			sort: state.sort,
			q: state.q,
			page: state.page ? state.page : '',
			per: state.per === 25 ? '' : state.per
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
	function relative() {
		return /^-/.test(state.start) && state.end === 'now';
	}

	/* Should the range end at the latest data rather than now? */
	function anchoredLatest() {
		if (!relative())
			return false;
		if (state.anchor)
			return state.anchor === 'latest';
		return dataStale();
	}

	function dataStale() {
		return !config.data_end ||
		    now() - config.data_end > config.stale_after;
	}

	/* The range to show, in unix seconds. */
	function currentRange() {
		var ref = anchoredLatest() && config.data_end ?
		    config.data_end : now();
		var e = resolveTime(state.end, ref);
		var s = resolveTime(state.start, ref);
		return [s, e];
	}

	/* The preset span the state matches, or "custom". */
	function spanKey() {
		if (!relative())
			return 'custom';
		for (var k in SPANS)
			if ('-' + k === state.start)
				return k;
		return 'custom';
	}

	/* --- talking to the collector ------------------------------------ */

	/*
	 * GET a JSON document; resolves to {ok, status, body}.  A network
	 * failure marks the collector unreachable and rejects.
	 */
	function getJSON(path, params, opts) {
		var q = query(params || {});
		return fetch(q ? path + '?' + q : path, Object.assign({
			headers: { Accept: 'application/json' }
		}, opts || {})).then(function (r) {
			reachable();
			return r.json().catch(function () {
				return null;
			}).then(function (body) {
				return { ok: r.ok, status: r.status, body: body };
			});
		}, function (e) {
			if (e && e.name === 'AbortError')
				throw e;
			lostContact();
			throw e;
		});
	}

	/* Turn an error answer into a sentence naming the parameter. */
	function errorText(what, r) {
		var b = r.body;
		var msg = what + ' failed (HTTP ' + r.status + ')';
		if (b && b.error) {
			msg += ': ' + b.error;
			if (b.field)
				msg += ' in parameter \u201c' + b.field + '\u201d';
			if (b.detail)
				msg += ' \u2014 ' + b.detail;
		}
		return msg;
	}

	function setStatus(msg) {
		$('status').textContent = msg || '';
		$('status').hidden = !msg;
	}

	/* --- banners ---------------------------------------------------- */

	/* Show (or with text null, remove) the banner called id. */
	function banner(id, kind, text, action) {
		var old = $('banner-' + id);
		if (!text) {
			if (old)
				old.remove();
			return;
		}
		var b = el('div', 'banner ' + kind);
		b.id = 'banner-' + id;
		b.setAttribute('role', kind === 'error' ? 'alert' : 'status');
		b.appendChild(el('span', null, text));
		if (action) {
			var a = el('button', 'link', action.label);
			a.type = 'button';
			a.addEventListener('click', action.run);
			b.appendChild(a);
		}
		if (old)
			old.replaceWith(b);
		else
			$('banners').appendChild(b);
	}

	/* The collector stopped answering: say so, keep retrying. */
	function lostContact() {
		if (!unreachable)
			unreachable = now();
		document.body.classList.add('offline');
		$('health').textContent = 'offline';
		$('health').className = 'health bad';
		banner('offline', 'error', 'The collector at ' + location.host +
		    ' cannot be reached (since ' + fmtTime(unreachable) + ' ' +
		    zoneName() + '). ' + (lastGood ? 'What you see is from ' +
		    fmtTime(lastGood) + '. ' : '') + 'Retrying every ' +
		    RETRY_MS / 1000 + ' s.');
		if (!retryTimer)
			retryTimer = setInterval(probe, RETRY_MS);
	}

	/* An answer came: clear the offline state. */
	function reachable() {
		lastGood = now();
		if (!unreachable)
			return;
		unreachable = 0;
		document.body.classList.remove('offline');
		banner('offline');
		clearInterval(retryTimer);
		retryTimer = null;
		if (config)
			refresh();
		else
			start();
	}

	/* While offline: is the collector back? */
	function probe() {
		fetch('/healthz', { cache: 'no-store' }).then(function (r) {
			if (r.ok || r.status === 503)
				reachable();
		}, function () {});
	}

	/* The header's health note and the stale-data banner. */
	function showFreshness() {
		var h = $('health');
		if (unreachable)
			return;
		if (!config.data_end) {
			h.textContent = 'no data yet';
			h.className = 'health';
			banner('stale');
			return;
		}
		if (dataStale()) {
			h.textContent = 'no new data';
			h.className = 'health warn';
			banner('stale', 'warn', 'No new data since ' +
			    fmtTime(config.data_end) + ' ' + zoneName() + ' (' +
			    fmtAgo(config.data_end) + ').' +
			    (anchoredLatest() ? ' The range ends at the latest data.' :
			    ''), anchoredLatest() ? { label: 'Show up to now',
			    run: function () {
				state.anchor = 'now';
				writeState(true);
				refresh();
			} } : relative() ? { label: 'Show the latest data',
			    run: function () {
				state.anchor = 'latest';
				writeState(true);
				refresh();
			} } : null);
		} else {
			h.textContent = 'updated ' + fmtAgo(config.data_end);
			h.className = 'health ok';
			banner('stale');
		}
	}

	/* Name the URL parameters that were not valid (and drop them). */
	function showInvalid() {
		if (!state.invalid.length) {
			banner('invalid');
			return;
		}
		banner('invalid', 'warn', 'Ignored invalid URL parameters: ' +
		    state.invalid.join('; ') + '.');
		state.invalid = [];
		writeState(false);
	}

	/* --- controls ---------------------------------------------------- */

	/* Build the category boxes and resolution choices from the config. */
	function buildControls() {
		var cats = $('categories');
		config.categories.forEach(function (c, i) {
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
				var on = config.categories.filter(function (x) {
					return cats.querySelector('input[value="' +
					    x.name + '"]').checked;
				}).map(function (x) {
					return x.name;
				});
				if (!on.length) {
					box.checked = true;
					return;
				}
				state.categories = on;
				writeState(false);
				refresh();
			});
			void i;
		});
		var step = $('step');
		config.archives.forEach(function (a) {
			var o = el('option', null, fmtStep(a.resolution));
			o.value = String(a.resolution);
			step.appendChild(o);
		});
		if (config.events.write === 'loopback') {
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
		if (source !== TOTAL)
			$('event-source-label').hidden = false;
	}

	/* Bring the controls in line with the state. */
	function renderControls() {
		var key = spanKey();
		Array.prototype.forEach.call(
		    document.querySelectorAll('#ranges button'), function (b) {
			b.setAttribute('aria-pressed',
			    String(b.getAttribute('data-span') === key));
		});
		Array.prototype.forEach.call(
		    document.querySelectorAll('#tz button'), function (b) {
			b.setAttribute('aria-pressed',
			    String(b.getAttribute('data-tz') === state.tz));
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
		$('step').value = state.step;
		$('compare').value = state.compare;
		$('view').value = state.view;
		$('logscale').checked = state.y === 'log';
		Array.prototype.forEach.call(
		    document.querySelectorAll('#categories input'), function (i) {
			i.checked = state.categories.indexOf(i.value) >= 0;
		});
		var title = source === TOTAL ? 'overview' : source;
		document.title = 'spamtrend \u2014 ' + title;
	}

	/* Set the range and update URL and views. */
	function setRange(start, end, push) {
		state.start = start;
		state.end = end;
		state.page = 0;
		$('custom').hidden = true;
		writeState(push);
		refresh();
	}

	/* Show a window of [s, e] as a fixed range (clamped to now). */
	function showWindow(s, e, push) {
		var t = now();
		s = Math.floor(s);
		e = Math.ceil(e);
		if (e > t)
			e = t;
		if (e - s < 120)
			s = e - 120;
		setRange(String(s), String(e), push);
	}

	function zoomOut() {
		var r = view ? view.range : currentRange();
		var span = r[1] - r[0];
		showWindow(r[0] - span / 2, r[1] + span / 2, true);
	}

	function pan(dir) {
		var r = view ? view.range : currentRange();
		var d = (r[1] - r[0]) / 2 * dir;
		showWindow(r[0] + d, r[1] + d, true);
	}

	/* Show the custom range form filled with the current range. */
	function openCustom() {
		var r = view ? view.range : currentRange();
		$('custom-start').value = fmtTime(r[0], 'T');
		$('custom-end').value = fmtTime(r[1], 'T');
		$('custom').hidden = false;
		$('custom-start').focus();
	}

	/* Wire the controls. */
	function bindControls() {
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
			state.tz = b.getAttribute('data-tz');
			writeState(false);
			refresh();
		});
		$('anchor').addEventListener('change', function () {
			state.anchor = this.value;
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
				state[x[1]] = this.value;
				writeState(false);
				refresh();
			});
		});
		$('logscale').addEventListener('change', function () {
			state.y = this.checked ? 'log' : 'linear';
			writeState(false);
			drawGraph();
		});
		var filterTimer = null;
		$('filter').addEventListener('input', function () {
			clearTimeout(filterTimer);
			filterTimer = setTimeout(function () {
				state.q = $('filter').value.trim().toLowerCase();
				state.page = 0;
				writeState(false);
				loadSources(seq);
			}, 250);
		});
		$('page-prev').addEventListener('click', function () {
			state.page = Math.max(0, state.page - 1);
			writeState(false);
			loadSources(seq);
		});
		$('page-next').addEventListener('click', function () {
			state.page++;
			writeState(false);
			loadSources(seq);
		});
		$('page-size').addEventListener('change', function () {
			state.per = Number(this.value);
			state.page = 0;
			writeState(false);
			loadSources(seq);
		});
		$('event-toggle').addEventListener('click', function () {
			var f = $('event-form');
			f.hidden = !f.hidden;
			this.setAttribute('aria-expanded', String(!f.hidden));
			if (!f.hidden) {
				$('event-time').value = fmtTime(view ?
				    Math.min(view.range[1], now()) : now(), 'T');
				$('event-text').focus();
			}
		});
		$('event-form').addEventListener('submit', addEvent);
		window.addEventListener('popstate', function () {
			state = readState();
			showInvalid();
			refresh();
		});
		var resizeTimer = null;
		window.addEventListener('resize', function () {
			clearTimeout(resizeTimer);
			resizeTimer = setTimeout(function () {
				if (graph)
					graph.resize();
				placeMarks();
			}, 150);
		});
	}

	/* --- loading a view ---------------------------------------------- */

	/* The comparison shift for the totals: the one chosen, or whole weeks. */
	function totalsShift(span) {
		if (state.compare)
			return COMPARES[state.compare];
		return Math.max(1, Math.ceil(span / 604800)) * 604800;
	}

	/* The categories the graph asks for. */
	function askedCategories() {
		if (state.view === 'ratio')
			return ['spam', 'ham'];
		if (state.view === 'sources')
			return [state.categories[0]];
		return state.categories;
	}

	/* Load everything the view needs, in one generation. */
	function refresh() {
		var n = ++seq;
		var r = currentRange();
		renderControls();
		showFreshness();
		$('custom').hidden = true;
		var span = r[1] - r[0];
		var shift = totalsShift(span);
		var p = {
			source: source,
			categories: askedCategories().join(','),
			start: r[0],
			end: r[1],
			step: state.step === 'auto' ? '' : state.step,
			compare: shift + 's'
		};
		$('graph').classList.add('loading');
		getJSON('/api/v1/series', p).then(function (res) {
			if (n !== seq)
				return;
			if (!res.ok || !res.body) {
				$('graph').classList.remove('loading');
				setStatus(errorText('The graph', res));
				return;
			}
			setStatus('');
			view = { range: r, series: res.body, shift: shift,
			    stack: null, events: [], drops: [] };
			setCsvLink();
			renderTotals();
			drawGraph();
			var more = [loadEvents(n), (source === TOTAL ?
			    loadSources(n) : loadSourceInfo(n)).then(function () {
				return loadDrops(n);
			})];
			if (state.view === 'sources')
				more.push(loadStack(n));
			Promise.all(more).then(function () {
				if (n === seq)
					drawGraph();
			});
		}).catch(function () {
			$('graph').classList.remove('loading');
		});
	}

	/* The CSV link: exactly the rows on screen. */
	function setCsvLink() {
		var b = view.series;
		$('csv').href = '/export.csv?' + query({
			source: source,
			categories: b.categories.join(','),
			start: view.range[0],
			end: view.range[1],
			step: b.step
		});
		$('csv').setAttribute('download', 'spamtrend-' +
		    (source === TOTAL ? 'total' : source) + '-' + view.range[0] +
		    '-' + view.range[1] + '.csv');
	}

	/* The events of the range (of this source and of all sources). */
	function loadEvents(n) {
		var p = { start: view.range[0], end: view.range[1] };
		if (source !== TOTAL)
			p.source = source;
		return getJSON('/api/v1/events', p).then(function (r) {
			if (n !== seq)
				return;
			view.events = r.ok && Array.isArray(r.body) ? r.body : [];
			renderEvents();
		}, function () {});
	}

	/*
	 * The drops of the range: of this source, or on the overview of the
	 * total and of each source in the table's page (the largest first),
	 * one request at a time.
	 */
	function loadDrops(n) {
		var list = [source];
		var found = [];
		var p0 = { start: view.range[0], end: view.range[1],
		    categories: state.categories.join(',') };
		function next(i) {
			if (i >= list.length || n !== seq)
				return Promise.resolve();
			var p = Object.assign({ source: list[i] }, p0);
			return getJSON('/api/v1/drops', p).then(function (r) {
				if (n !== seq)
					return;
				if (r.ok && Array.isArray(r.body))
					found = found.concat(r.body);
				view.drops = found;
				renderDrops();
				return next(i + 1);
			}, function () {});
		}
		if (source === TOTAL && sourcesPage)
			sourcesPage.sources.forEach(function (s) {
				list.push(s.name);
			});
		return next(0);
	}

	/* The top sources of the first category, for the "by source" view. */
	function loadStack(n) {
		var cat = state.categories[0];
		return getJSON('/api/v1/sources', {
			start: view.range[0], end: view.range[1],
			step: view.series.step, categories: cat,
			sort: '-' + cat, limit: STACK_TOP
		}).then(function (r) {
			if (n !== seq || !r.ok || !r.body)
				return;
			var names = r.body.sources.map(function (s) {
				return s.name;
			});
			return Promise.all(names.map(function (name) {
				return getJSON('/api/v1/series', {
					source: name, categories: cat,
					start: view.range[0], end: view.range[1],
					step: view.series.step
				}).then(function (x) {
					return x.ok ? x.body : null;
				});
			})).then(function (all) {
				if (n !== seq)
					return;
				view.stack = all.filter(function (x) {
					return x;
				});
			});
		}, function () {});
	}

	/* --- the graph --------------------------------------------------- */

	function colourOf(name) {
		for (var i = 0; i < config.categories.length; i++)
			if (config.categories[i].name === name)
				return config.categories[i].colour;
		return '#555555';
	}

	/* Rows of counts as values per hour (null stays null). */
	function perHour(v, step) {
		return v === null || v === undefined ? null : v * 3600 / step;
	}

	/*
	 * The data, labels and colours for dygraphs, by view.  Rows after
	 * complete_through are left out of the lines (shaded instead).
	 */
	function graphData() {
		var b = view.series;
		var step = b.step;
		var ct = b.complete_through || 0;
		var labels = ['time'], colours = [], data = [], dashed = [];
		var prev = b.previous && b.previous.rows && state.compare ?
		    b.previous.rows : null;
		var i, j, row;
		function filling(t) {
			return ct && t > ct;
		}
		if (state.view === 'ratio') {
			labels.push('spam share');
			colours.push(colourOf('spam'));
			if (prev) {
				labels.push('spam share, ' + shiftName(view.shift));
				colours.push(colourOf('spam'));
				dashed.push(labels[2]);
			}
			for (i = 0; i < b.rows.length; i++) {
				row = b.rows[i];
				var s = row[1], h = row[2];
				var v = s === null || h === null || s + h === 0 ||
				    filling(row[0]) ? null : 100 * s / (s + h);
				var out = [new Date(row[0] * 1000), v];
				if (prev) {
					var pr = prev[i] || [];
					out.push(pr[1] === null || pr[2] === null ||
					    pr[1] + pr[2] === 0 || pr[1] === undefined ?
					    null : 100 * pr[1] / (pr[1] + pr[2]));
				}
				data.push(out);
			}
			return { labels: labels, colours: colours, data: data,
			    dashed: dashed, ylabel: 'spam share (%)' };
		}
		if (state.view === 'sources' && view.stack) {
			var cat = b.categories[0];
			view.stack.forEach(function (x, k) {
				labels.push(x.source);
				colours.push(SOURCE_COLOURS[k % SOURCE_COLOURS.length]);
			});
			labels.push('other sources');
			colours.push(OTHERS_COLOUR);
			for (i = 0; i < b.rows.length; i++) {
				row = b.rows[i];
				var out2 = [new Date(row[0] * 1000)];
				var rest = row[1];
				for (j = 0; j < view.stack.length; j++) {
					var sr = view.stack[j].rows[i];
					var sv = sr && sr[0] === row[0] ? sr[1] : null;
					if (sv !== null && rest !== null)
						rest -= sv;
					out2.push(filling(row[0]) ? null :
					    perHour(sv, step));
				}
				out2.push(filling(row[0]) || rest === null ? null :
				    perHour(Math.max(0, rest), step));
				data.push(out2);
			}
			return { labels: labels, colours: colours, data: data,
			    dashed: [], ylabel: cat + ' messages per hour',
			    stacked: true };
		}
		b.categories.forEach(function (c) {
			labels.push(c);
			colours.push(colourOf(c));
		});
		if (prev)
			b.categories.forEach(function (c) {
				var l = c + ', ' + shiftName(view.shift);
				labels.push(l);
				colours.push(colourOf(c));
				dashed.push(l);
			});
		for (i = 0; i < b.rows.length; i++) {
			row = b.rows[i];
			var o = [new Date(row[0] * 1000)];
			for (j = 1; j < row.length; j++)
				o.push(filling(row[0]) ? null : perHour(row[j], step));
			if (prev)
				for (j = 1; j < row.length; j++)
					o.push(perHour((prev[i] || [])[j], step));
			data.push(o);
		}
		return { labels: labels, colours: colours, data: data,
		    dashed: dashed, ylabel: 'messages per hour',
		    stacked: state.view === 'stacked' };
	}

	/* "#D55E00" as rgba() with alpha a. */
	function tint(hex, a) {
		var n = parseInt(hex.slice(1), 16);
		return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' +
		    (n & 255) + ',' + a + ')';
	}

	/* Shade unknown rows, the filling edge and drops; rule events. */
	function underlay(ctx, area, g) {
		var b = view.series;
		var step = b.step;
		var ct = b.complete_through || 0;
		function x(t) {
			return g.toDomXCoord(t * 1000);
		}
		function band(t0, t1, fill) {
			var a = Math.max(area.x, x(t0));
			var z = Math.min(area.x + area.w, x(t1));
			if (z > a) {
				ctx.fillStyle = fill;
				ctx.fillRect(a, area.y, z - a, area.h);
			}
		}
		var i, row, unknown;
		var live = !dataStale();
		for (i = 0; i < b.rows.length; i++) {
			row = b.rows[i];
			unknown = row.slice(1).every(function (v) {
				return v === null;
			});
			if (ct && row[0] > ct) {
				if (live || !unknown) {
					band(row[0] - step, row[0], '#fdf3d8');
					continue;
				}
			}
			if (unknown)
				band(row[0] - step, row[0], '#ebebeb');
		}
		view.drops.forEach(function (d) {
			if (d.source !== source && source !== TOTAL)
				return;
			if (source === TOTAL && d.source !== TOTAL)
				return;
			var end = d.end || view.range[1];
			band(d.start, end, tint(colourOf(d.category), 0.09));
			ctx.fillStyle = '#000';
			ctx.fillRect(Math.round(x(d.start)) - 1, area.y, 2, area.h);
		});
		ctx.save();
		ctx.strokeStyle = '#555';
		ctx.setLineDash([4, 3]);
		ctx.lineWidth = 1;
		view.events.forEach(function (ev) {
			var px = Math.round(x(ev.time)) + 0.5;
			if (px < area.x || px > area.x + area.w)
				return;
			ctx.beginPath();
			ctx.moveTo(px, area.y);
			ctx.lineTo(px, area.y + area.h);
			ctx.stroke();
		});
		ctx.restore();
	}

	/* Draw (or redraw) the main graph from the view. */
	function drawGraph() {
		if (!view || typeof Dygraph === 'undefined')
			return;
		var d = graphData();
		var series = {};
		d.dashed.forEach(function (l) {
			series[l] = { strokePattern: [5, 3], strokeWidth: 1 };
		});
		var opts = {
			file: d.data,
			labels: d.labels,
			colors: d.colours,
			series: series,
			legend: 'never',
			labelsUTC: utc(),
			ylabel: d.ylabel,
			xlabel: 'time (' + zoneName() + ')',
			dateWindow: [view.range[0] * 1000, view.range[1] * 1000],
			valueRange: null,
			logscale: state.y === 'log',
			stackedGraph: !!d.stacked,
			fillGraph: !!d.stacked,
			fillAlpha: 0.55,
			includeZero: state.y !== 'log',
			connectSeparatedPoints: false,
			drawGapEdgePoints: true,
			strokeWidth: 1.6,
			gridLineColor: '#e6e6e6',
			axisLineColor: '#9aa3ad',
			axisLabelFontSize: 12,
			xLabelHeight: 16,
			yLabelWidth: 16,
			rightGap: 12,
			animatedZooms: false,
			axes: { y: { axisLabelFormatter: fmtAxis,
			    axisLabelWidth: 56 }, x: { pixelsPerLabel: 56 } },
			underlayCallback: underlay,
			highlightCallback: readout,
			unhighlightCallback: function () {
				readoutDefault();
			},
			zoomCallback: function (a, b) {
				showWindow(a / 1000, b / 1000, true);
			},
			drawCallback: function (g) {
				var a = g.getArea();
				/* For tests and tools: where the plot lies. */
				$('graph').setAttribute('data-plot',
				    [a.x, a.y, a.w, a.h].map(Math.round).join(','));
				placeMarks();
			},
			interactionModel: interaction()
		};
		if (!graph) {
			/*
			 * The page has its own readout; dygraphs' legend would
			 * also set a style attribute, which the CSP forbids.
			 */
			Dygraph.PLUGINS = Dygraph.PLUGINS.filter(function (p) {
				return p !== Dygraph.Plugins.Legend;
			});
			opts.file = undefined;
			graph = new Dygraph($('graph'), d.data, opts);
		} else
			graph.updateOptions(opts);
		$('graph').classList.remove('loading');
		$('graph').setAttribute('data-range', view.range.join(','));
		$('graph').setAttribute('data-step', String(view.series.step));
		$('range-line').textContent = fmtTime(view.range[0]) + ' \u2013 ' +
		    fmtTime(view.range[1]) + ' ' + zoneName() + ' \u00b7 one row = ' +
		    fmtStep(view.series.step) + ' \u00b7 ' +
		    (state.view === 'ratio' ? 'percent of spam + ham' :
		    'messages per hour');
		readoutDefault();
		placeMarks();
	}

	/*
	 * dygraphs' own model, plus: a double click zooms out, and the end of
	 * a pan (shift-drag, or a finger) loads the range panned to.
	 */
	function interaction() {
		var base = Dygraph.defaultInteractionModel;
		function settle(g) {
			var w = g.xAxisRange();
			if (Math.abs(w[0] / 1000 - view.range[0]) > 1)
				showWindow(w[0] / 1000, w[1] / 1000, true);
		}
		return {
			mousedown: function (event, g, context) {
				var panning = event.altKey || event.shiftKey;
				base.mousedown(event, g, context);
				if (panning)
					document.addEventListener('mouseup',
					    function () {
						setTimeout(function () {
							settle(g);
						}, 0);
					}, { once: true });
			},
			willDestroyContextMyself: true,
			touchstart: base.touchstart,
			touchmove: base.touchmove,
			touchend: function (event, g, context) {
				base.touchend(event, g, context);
				settle(g);
			},
			dblclick: function (event) {
				event.preventDefault();
				zoomOut();
			}
		};
	}

	/* The text of the readout for row i of the series. */
	function readoutRow(i) {
		var b = view.series;
		var row = b.rows[i];
		if (!row)
			return null;
		var t = row[0];
		var out = [fmtTime(t - b.step) + '\u2013' + fmtTime(t).slice(11) +
		    ' ' + zoneName()];
		var filling = b.complete_through && t > b.complete_through;
		if (state.view === 'sources' && view.stack) {
			view.stack.forEach(function (x) {
				var r = x.rows[i];
				out.push(x.source + ' ' + (r && r[1] !== null ?
				    fmtCount(r[1]) : 'no data'));
			});
			out.push('all sources ' + (row[1] === null ? 'no data' :
			    fmtCount(row[1])));
		} else {
			b.categories.forEach(function (c, k) {
				var v = row[k + 1];
				out.push({ cat: c, count: v, text: c + ' ' +
				    (v === null ? 'no data' : fmtCount(v) + ' (' +
				    fmtCount(v * 3600 / b.step) + '/h)') });
			});
			if (state.view === 'ratio' && row[1] !== null &&
			    row[2] !== null && row[1] + row[2] > 0)
				out.push('spam share ' +
				    pctFormat.format(100 * row[1] / (row[1] + row[2])) +
				    '%');
		}
		if (filling)
			out.push('still filling');
		return out;
	}

	/* Show the hovered row's exact counts. */
	function readout(event, x, points, row) {
		var o = readoutRow(row);
		var r = $('readout');
		r.textContent = '';
		if (!o)
			return;
		r.appendChild(el('strong', 'when', o[0]));
		o.slice(1).forEach(function (s) {
			var v = el('span', 'val', typeof s === 'string' ? s : s.text);
			if (typeof s !== 'string') {
				v.setAttribute('data-cat', s.cat);
				v.setAttribute('data-count',
				    s.count === null ? '' : String(s.count));
			}
			r.appendChild(v);
		});
		r.setAttribute('data-row', String(row));
		r.setAttribute('data-time', String(view.series.rows[row][0]));
	}

	function readoutDefault() {
		var r = $('readout');
		r.textContent = '';
		r.removeAttribute('data-row');
		r.removeAttribute('data-time');
		r.appendChild(el('span', 'muted',
		    'Hover over the graph for the exact counts of a row.'));
	}

	/*
	 * The marks above the plot: one numbered flag per event and one per
	 * drop, in a strip of fixed height, so any number of them leaves the
	 * plot its size.  The full text shows on hover and focus.
	 */
	function placeMarks() {
		var strip = $('marks');
		strip.textContent = '';
		if (!graph || !view)
			return;
		var area = graph.getArea();
		var items = [];
		view.events.forEach(function (ev, i) {
			items.push({ t: ev.time, label: String(i + 1),
			    cls: 'flag event', text: fmtTime(ev.time) + ' ' +
			    zoneName() + ': ' + ev.text + (ev.source ? ' (' +
			    ev.source + ')' : '') });
		});
		view.drops.forEach(function (d) {
			if (source === TOTAL && d.source !== TOTAL)
				return;
			items.push({ t: d.start, label: '\u25bc' +
			    Math.abs(Math.round(d.change_pct)) + '%',
			    cls: 'flag drop', text: dropText(d) });
		});
		items.sort(function (a, b) {
			return a.t - b.t;
		});
		var lastX = [-1e9, -1e9];
		items.forEach(function (it) {
			var x = graph.toDomXCoord(it.t * 1000);
			if (x < area.x - 1 || x > area.x + area.w + 1)
				return;
			var f = el('button', it.cls, it.label);
			f.type = 'button';
			f.title = it.text;
			f.setAttribute('aria-label', it.text);
			var lane = x - lastX[0] < 26 && x - lastX[1] >= 26 ? 1 :
			    x - lastX[0] < 26 ? (x - lastX[1] < x - lastX[0] ? 0 : 1) :
			    0;
			lastX[lane] = x;
			f.style.left = Math.round(x) + 'px';
			f.classList.add(lane ? 'lane1' : 'lane0');
			f.addEventListener('click', function () {
				var tip = $('mark-tip');
				if (tip && tip.getAttribute('data-for') === it.text) {
					tip.remove();
					return;
				}
				showTip(f, it.text);
			});
			f.addEventListener('mouseenter', function () {
				showTip(f, it.text);
			});
			f.addEventListener('mouseleave', function () {
				var tip = $('mark-tip');
				if (tip)
					tip.remove();
			});
			strip.appendChild(f);
		});
	}

	/* A tooltip with a mark's full text, kept inside the page. */
	function showTip(f, text) {
		var old = $('mark-tip');
		if (old)
			old.remove();
		var tip = el('div', 'mark-tip', text);
		tip.id = 'mark-tip';
		tip.setAttribute('data-for', text);
		$('marks').appendChild(tip);
		var strip = $('marks').getBoundingClientRect();
		var fb = f.getBoundingClientRect();
		var w = tip.offsetWidth;
		var left = fb.left - strip.left + fb.width / 2 - w / 2;
		left = Math.max(0, Math.min(left, strip.width - w));
		tip.style.left = left + 'px';
	}

	/* --- totals, drops, events ---------------------------------------- */

	/* The totals of the range and the change against the earlier one. */
	function renderTotals() {
		var b = view.series;
		var list = $('totals');
		list.textContent = '';
		var prev = b.previous || {};
		var label = shiftName(prev.shift || view.shift);
		$('totals-title').textContent = 'Totals';
		b.categories.forEach(function (c) {
			var li = el('li', 'total');
			var sw = el('span', 'swatch');
			sw.style.background = colourOf(c);
			li.appendChild(sw);
			li.appendChild(el('span', 'total-cat', c));
			var known = (b.known_rows || {})[c];
			li.appendChild(el('span', 'total-n', known === 0 ? 'no data' :
			    fmtCount(b.totals[c])));
			var x = b.change_pct[c];
			var pk = (prev.known_rows || {})[c];
			if (typeof x === 'number') {
				var v = el('span', 'total-change', (x > 0 ? '\u25b2 ' :
				    x < 0 ? '\u25bc ' : '') + fmtPct(x));
				v.classList.add(x > 0 ? 'up' : x < 0 ? 'down' : 'flat');
				li.appendChild(v);
			}
			li.appendChild(el('span', 'total-prev', pk === 0 ?
			    label + ': no data' : label + ': ' +
			    fmtCount(prev.totals[c])));
			list.appendChild(li);
		});
		var note = 'Messages in the range, exactly as in the CSV.';
		if (b.complete_through && view.range[1] > b.complete_through &&
		    !dataStale())
			note += ' Rows after ' + fmtTime(b.complete_through) +
			    ' are still filling (shaded).';
		$('totals-note').textContent = note;
	}

	/* One line of the drop list. */
	function dropText(d) {
		var text = d.category + ' ' + (typeof d.change_pct === 'number' ?
		    fmtPct(d.change_pct) : '') + ' from ' + fmtTime(d.start) +
		    ' ' + zoneName();
		if (d.end)
			text += ' to ' + fmtTime(d.end);
		if (typeof d.baseline === 'number' && typeof d.level === 'number')
			text += ' (' + fmtCount(d.baseline) + ' \u2192 ' +
			    fmtCount(d.level) + ' messages per hour)';
		if (typeof d.recovered_pct === 'number')
			text += ', ' + pctFormat.format(d.recovered_pct) +
			    '% recovered';
		return text;
	}

	function renderDrops() {
		var list = $('drops');
		list.textContent = '';
		var drops = view.drops.filter(function (d) {
			return state.categories.indexOf(d.category) >= 0;
		});
		$('drops-section').hidden = drops.length === 0;
		drops.forEach(function (d) {
			var li = el('li', 'drop');
			var sw = el('span', 'swatch');
			sw.style.background = colourOf(d.category);
			li.appendChild(sw);
			if (source === TOTAL) {
				if (d.source === TOTAL)
					li.appendChild(el('span', 'drop-source',
					    'all sources'));
				else {
					var a = el('a', 'drop-source', d.source);
					a.href = '/source/' +
					    encodeURIComponent(d.source) + location.search;
					li.appendChild(a);
				}
			}
			li.appendChild(el('span', 'drop-text', dropText(d)));
			var b = el('button', 'link', 'Zoom');
			b.type = 'button';
			b.addEventListener('click', function () {
				showWindow(d.start - 86400, (d.end || d.start) + 86400,
				    true);
			});
			li.appendChild(b);
			list.appendChild(li);
		});
		if (graph)
			graph.updateOptions({});
	}

	function renderEvents() {
		var list = $('events');
		list.textContent = '';
		$('events-empty').hidden = view.events.length > 0;
		view.events.forEach(function (ev, i) {
			var li = el('li', 'event');
			li.appendChild(el('span', 'flag-n', String(i + 1)));
			li.appendChild(el('span', 'event-time', fmtTime(ev.time)));
			li.appendChild(el('span', 'event-text', ev.text));
			li.appendChild(el('span', 'event-source muted',
			    ev.source ? ev.source : 'all sources'));
			var del = el('button', 'link danger', 'Delete');
			del.type = 'button';
			del.setAttribute('aria-label', 'Delete event ' + (i + 1));
			del.addEventListener('click', function () {
				changeEvent('DELETE', '/api/v1/events/' + ev.id, null);
			});
			li.appendChild(del);
			list.appendChild(li);
		});
		placeMarks();
		if (graph)
			graph.updateOptions({});
	}

	/* POST or DELETE an event with the token, then reload. */
	function changeEvent(method, path, body) {
		var h = { Accept: 'application/json' };
		var tok = $('event-token').value.trim();
		if (tok) {
			h.Authorization = 'Bearer ' + tok;
			sessionStorage.setItem('spamtrend-token', tok);
		}
		if (body)
			h['Content-Type'] = 'application/json';
		return fetch(path, { method: method, headers: h,
		    body: body ? JSON.stringify(body) : undefined })
		    .then(function (r) {
			if (r.ok) {
				setStatus('');
				$('event-form').hidden = true;
				$('event-toggle').setAttribute('aria-expanded', 'false');
				$('event-text').value = '';
				refresh();
				return;
			}
			return r.json().catch(function () {
				return null;
			}).then(function (b) {
				setStatus(errorText(method === 'DELETE' ?
				    'Deleting the event' : 'Adding the event',
				    { status: r.status, body: b }));
			});
		}, lostContact);
	}

	function addEvent(ev) {
		ev.preventDefault();
		var t = parseLocalInput($('event-time').value);
		var text = $('event-text').value.trim();
		if (!isFinite(t) || !text) {
			setStatus('An event needs a time and a text.');
			return;
		}
		var body = { time: t, text: text };
		if (source !== TOTAL && $('event-source').checked)
			body.source = source;
		changeEvent('POST', '/api/v1/events', body);
	}

	/* --- sources ------------------------------------------------------ */

	/* The line under the header on a source page. */
	function loadSourceInfo(n) {
		return getJSON('/api/v1/sources', { q: source, limit: 10,
		    start: view.range[0], end: view.range[1],
		    step: view.series.step }).then(function (r) {
			if (n !== seq)
				return;
			var info = $('source-info');
			info.textContent = '';
			info.hidden = false;
			var s = null;
			((r.body && r.body.sources) || []).forEach(function (x) {
				if (x.name === source)
					s = x;
			});
			if (!s) {
				info.appendChild(el('span', 'badge stale', 'unknown'));
				info.appendChild(document.createTextNode(
				    ' This source has not reported.'));
				return;
			}
			info.appendChild(statusBadge(s));
			info.appendChild(document.createTextNode(' Last seen ' +
			    fmtAgo(s.last_seen) + ' (' + fmtTime(s.last_seen) + ')' +
			    (s.first_seen ? ', first seen ' + fmtTime(s.first_seen) :
			    '') + ' ' + zoneName() + '.'));
		}, function () {});
	}

	function statusBadge(s) {
		var b = s.stale ? el('span', 'badge stale', 'stale') :
		    el('span', 'badge live', 'live');
		b.title = (s.stale ? 'silent for more than ' :
		    'reported within the last ') + fmtDuration(config.stale_after);
		return b;
	}

	/* The table: one page, sorted and filtered by the server. */
	function loadSources(n) {
		if (!view)
			return Promise.resolve();
		var sort = state.sort || '-' + state.categories[0];
		return getJSON('/api/v1/sources', {
			start: view.range[0], end: view.range[1],
			step: view.series.step,
			categories: state.categories.join(','),
			sort: sort, q: state.q,
			offset: state.page * state.per, limit: state.per
		}).then(function (r) {
			if (n !== seq)
				return;
			if (!r.ok || !r.body || !Array.isArray(r.body.sources)) {
				setStatus(errorText('The source list', r));
				return;
			}
			sourcesPage = r.body;
			renderSources(sort);
		}, function () {});
	}

	/* The sortable header. */
	function renderSourcesHead(sort) {
		var tr = $('sources-head');
		tr.textContent = '';
		var first = state.categories[0];
		var cols = [['name', 'Source'], ['', 'Graph'],
		    ['last_seen', 'Last seen']];
		state.categories.forEach(function (c) {
			cols.push([c, c]);
		});
		cols.push(['', 'Share of ' + first], ['stale', 'Status']);
		cols.forEach(function (col, i) {
			var th = el('th');
			th.scope = 'col';
			if (i === 0)
				th.className = 'name';
			else if (i > 1 && col[0] !== 'stale')
				th.className = 'num';
			if (!col[0]) {
				th.textContent = col[1];
				tr.appendChild(th);
				return;
			}
			var b = el('button', 'sort', col[1]);
			b.type = 'button';
			var cur = sort.replace(/^-/, '');
			if (cur === col[0]) {
				var desc = sort[0] === '-';
				th.setAttribute('aria-sort', desc ? 'descending' :
				    'ascending');
				b.appendChild(el('span', 'arrow', desc ? ' \u2193' :
				    ' \u2191'));
			}
			b.addEventListener('click', function () {
				if (cur === col[0])
					state.sort = sort[0] === '-' ? col[0] : '-' + col[0];
				else
					state.sort = col[0] === 'name' ? 'name' : '-' + col[0];
				state.page = 0;
				writeState(false);
				loadSources(seq);
			});
			th.appendChild(b);
			tr.appendChild(th);
		});
	}

	function renderSources(sort) {
		var page = sourcesPage;
		renderSourcesHead(sort);
		var body = $('sources-body');
		body.textContent = '';
		$('sources-empty').hidden = page.sources.length > 0;
		$('sources-empty').textContent = state.q ?
		    'No source matches the filter.' : 'No source has reported yet.';
		$('filter').value = state.q;
		var first = state.categories[0];
		var all = (page.all || {})[first] || 0;
		var spark = query({
			categories: state.categories.join(','),
			start: view.range[0], end: view.range[1],
			width: 200, height: 60, scale: 2, drops: 0
		});
		page.sources.forEach(function (s) {
			var tr = el('tr');
			if (s.stale)
				tr.className = 'is-stale';
			var td = el('th', 'name');
			td.scope = 'row';
			var a = el('a', null, s.name);
			a.href = '/source/' + encodeURIComponent(s.name) +
			    location.search;
			td.appendChild(a);
			tr.appendChild(td);
			td = el('td', 'spark');
			if (view.range[0] > config.graph_min_time) {
				var img = el('img');
				img.alt = 'Graph of ' + s.name;
				img.loading = 'lazy';
				img.width = 200;
				img.height = 60;
				img.src = '/graph.png?source=' +
				    encodeURIComponent(s.name) + '&' + spark;
				td.appendChild(img);
			}
			tr.appendChild(td);
			td = el('td', 'num', fmtAgo(s.last_seen));
			if (s.last_seen)
				td.title = fmtTime(s.last_seen) + ' ' + zoneName();
			tr.appendChild(td);
			state.categories.forEach(function (c) {
				tr.appendChild(el('td', 'num',
				    fmtCount((s.totals || {})[c] || 0)));
			});
			var share = all > 0 ? 100 * ((s.totals || {})[first] || 0) /
			    all : null;
			tr.appendChild(el('td', 'num', share === null ? '\u2013' :
			    pctFormat.format(share) + '%'));
			td = el('td');
			td.appendChild(statusBadge(s));
			tr.appendChild(td);
			body.appendChild(tr);
		});
		var from = page.total ? page.offset + 1 : 0;
		var to = page.offset + page.sources.length;
		$('page-info').textContent = from + '\u2013' + to + ' of ' +
		    fmtCount(page.total);
		$('page-prev').disabled = page.offset === 0;
		$('page-next').disabled = to >= page.total;
		$('page-size').value = String(state.per);
		$('pager').hidden = page.total <= 10 && !state.q;
	}

	/* --- start-up ----------------------------------------------------- */

	/* The source name from the path, or _total on the overview. */
	function readSource() {
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
	function bindRefresh() {
		setInterval(function () {
			if (document.hidden || unreachable)
				return;
			getJSON('/api/v1/config').then(function (r) {
				if (r.ok && r.body) {
					config = r.body;
					skew = config.now - Math.floor(Date.now() / 1000);
				}
				if (relative())
					refresh();
				else
					showFreshness();
			}, function () {});
		}, REFRESH_MS);
	}

	/* Fetch the configuration, then build and load the page. */
	function start() {
		getJSON('/api/v1/config').then(function (r) {
			if (!r.ok || !r.body) {
				setStatus(errorText('Loading the configuration', r));
				return;
			}
			config = r.body;
			skew = config.now - Math.floor(Date.now() / 1000);
			state = readState();
			buildControls();
			bindControls();
			bindRefresh();
			showInvalid();
			refresh();
		}, function () {});
	}

	function init() {
		source = readSource();
		if (source !== TOTAL) {
			$('crumb').textContent = source;
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
}());
