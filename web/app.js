/*
 * app.js -- the spamtrend web UI: one page for the overview (/) and for a
 * single source (/source/<name>).
 *
 * All view state (range, categories, compare, view) lives in the URL query so
 * that a view can be bookmarked and shared.  Text that comes from the server
 * is only ever inserted with textContent.
 */
(function () {
	'use strict';

	var CATEGORIES = ['spam', 'ham', 'virus', 'rejected'];
	var RANGES = {
		day: { start: '-1d', name: 'day' },
		week: { start: '-1w', name: 'week' },
		month: { start: '-30d', name: '30 days' },
		year: { start: '-1y', name: 'year' }
	};
	var COMPARES = ['', '1d', '1w', '4w', '1y'];
	var VIEWS = ['lines', 'stacked', 'ratio'];
	var UNIT = { s: 1, min: 60, h: 3600, d: 86400, w: 604800, mon: 2592000,
	    y: 31536000 };
	var TOTAL = '_total';
	var REFRESH_MS = 60000;

	var source = TOTAL;
	var state = null;
	var graphArea = null;	/* plot area in natural image pixels */
	var graphRange = null;	/* [start, end] unix seconds of the plot */
	var graphUrl = null;	/* blob: URL on screen */
	var graphAbort = null;
	var graphWidth = 0;
	var seq = { series: 0, drops: 0, sources: 0 };
	var dropsMissing = false;	/* the server has no drop detection */
	var sourceRows = null;	/* null until the list has loaded */
	var staleAfter = 0;	/* seconds of silence that make a source stale */
	var sortKey = 'name';
	var sortDir = 1;
	var numberFormat = new Intl.NumberFormat(undefined);
	var pctFormat = new Intl.NumberFormat(undefined,
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

	/* Valid time: unix seconds, "now", -N<unit> or a UTC date. */
	function validTime(v) {
		return typeof v === 'string' && (/^(now|\d{1,12})$/.test(v) ||
		    /^-\d{1,6}(s|min|h|d|w|mon|y)$/.test(v) ||
		    /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?Z?)?$/.test(v));
	}

	/* Read the view state from the URL query, falling back to defaults. */
	function readState() {
		var p = new URLSearchParams(location.search);
		var s = {
			start: p.get('start'),
			end: p.get('end'),
			categories: CATEGORIES.slice(),
			compare: p.get('compare') || '',
			view: p.get('view') || 'lines'
		};
		if (!validTime(s.start))
			s.start = RANGES.day.start;
		if (!validTime(s.end))
			s.end = 'now';
		if (p.has('categories')) {
			var c = p.get('categories').split(',').filter(function (x) {
				return CATEGORIES.indexOf(x) >= 0;
			});
			if (c.length)
				s.categories = CATEGORIES.filter(function (x) {
					return c.indexOf(x) >= 0;
				});
		}
		if (COMPARES.indexOf(s.compare) < 0)
			s.compare = '';
		if (VIEWS.indexOf(s.view) < 0)
			s.view = 'lines';
		return s;
	}

	/* The parameters shared by the graph, the CSV and the API calls. */
	function baseParams() {
		return {
			source: source,
			categories: state.categories.join(','),
			start: state.start,
			end: state.end
		};
	}

	/* Write the state into the URL (push adds a history entry). */
	function writeState(push) {
		var q = query({
			start: state.start,
			end: state.end,
			categories: state.categories.join(','),
			compare: state.compare,
			view: state.view
		});
		var url = location.pathname + (q ? '?' + q : '');
		if (url === location.pathname + location.search)
			return;
		if (push)
			history.pushState(null, '', url);
		else
			history.replaceState(null, '', url);
	}

	/* Resolve a time parameter to unix seconds relative to now. */
	function resolveTime(v, now) {
		if (v === 'now')
			return now;
		var m = /^-(\d+)([a-z]+)$/.exec(v);
		if (m)
			return now - Number(m[1]) * UNIT[m[2]];
		if (/^\d{4}-/.test(v))
			return Math.floor(Date.parse(/Z$/.test(v) ? v :
			    v.length === 10 ? v + 'T00:00:00Z' : v + 'Z') / 1000);
		return Number(v);
	}

	/* The on-screen range as unix seconds. */
	function currentRange() {
		var now = Math.floor(Date.now() / 1000);
		return [resolveTime(state.start, now), resolveTime(state.end, now)];
	}

	/* The preset range key the state matches, or "custom". */
	function rangeKey() {
		if (state.end !== 'now')
			return 'custom';
		for (var k in RANGES)
			if (RANGES[k].start === state.start)
				return k;
		return 'custom';
	}

	function pad(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* Local date and time as "YYYY-MM-DD HH:MM" (sep: " " or "T"). */
	function fmtTime(t, sep) {
		var d = new Date(t * 1000);
		return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' +
		    pad(d.getDate()) + (sep || ' ') + pad(d.getHours()) + ':' +
		    pad(d.getMinutes());
	}

	/* A short duration: "45 s", "12 min", "3 h", "5 d". */
	function fmtDuration(s) {
		s = Math.max(0, Math.round(s));
		if (s < 90)
			return s + ' s';
		if (s < 5400)
			return Math.round(s / 60) + ' min';
		if (s < 172800)
			return Math.round(s / 3600) + ' h';
		return Math.round(s / 86400) + ' d';
	}

	/* "3 min ago" for a unix time. */
	function fmtAgo(t, now) {
		if (!t)
			return 'never';
		if (now - t < 30)
			return 'just now';
		return fmtDuration(now - t) + ' ago';
	}

	/* A signed percentage with a real minus sign. */
	function fmtPct(x) {
		var s = pctFormat.format(Math.abs(x)) + '%';
		if (x > 0)
			return '+' + s;
		if (x < 0)
			return '\u2212' + s;
		return s;
	}

	/* What the change numbers are compared with, in words. */
	function previousLabel() {
		var k = rangeKey();
		if (k === 'custom')
			return 'previous period';
		return 'previous ' + RANGES[k].name;
	}

	/* Show or clear the status line. */
	function setStatus(msg) {
		var s = $('status');
		s.textContent = msg || '';
		s.hidden = !msg;
	}

	/* Turn an error response into a sentence. */
	function errorText(what, status, body) {
		var msg = what + ' failed (HTTP ' + status + ')';
		if (body && body.error) {
			msg += ': ' + body.error;
			if (body.field)
				msg += ' in ' + body.field;
			if (body.detail)
				msg += ' \u2014 ' + body.detail;
		}
		return msg;
	}

	/* GET a JSON document; resolves to {ok, status, body}. */
	function getJSON(path, params) {
		var q = query(params);
		return fetch(q ? path + '?' + q : path, {
			headers: { Accept: 'application/json' }
		}).then(function (r) {
			return r.json().catch(function () {
				return null;
			}).then(function (body) {
				return { ok: r.ok, status: r.status, body: body };
			});
		});
	}

	/* Parse "a,b,c,d" into numbers, or null. */
	function parseNums(h, n) {
		if (!h)
			return null;
		var v = h.split(',').map(Number);
		if (v.length !== n || v.some(function (x) { return !isFinite(x); }))
			return null;
		return v;
	}

	/* Fetch the main graph and show it through a blob: URL. */
	function loadGraph() {
		var wrap = $('graph-wrap');
		var img = $('graph');
		var width = Math.max(200, Math.floor(wrap.clientWidth));
		var height = width < 500 ? 380 : 340;
		var params = baseParams();
		params.width = width;
		params.height = height;
		params.compare = state.compare;
		params.view = state.view;
		var url = '/graph.png?' + query(params);
		graphWidth = width;
		img.setAttribute('data-src', url);
		if (graphAbort)
			graphAbort.abort();
		var ctl = new AbortController();
		graphAbort = ctl;
		wrap.classList.add('loading');
		fetch(url, { signal: ctl.signal }).then(function (r) {
			if (!r.ok)
				return r.json().catch(function () {
					return null;
				}).then(function (body) {
					throw new Error(errorText('Graph', r.status, body));
				});
			var area = parseNums(r.headers.get('X-Graph-Area'), 4);
			var range = parseNums(r.headers.get('X-Graph-Range'), 2);
			return r.blob().then(function (b) {
				return { blob: b, area: area, range: range };
			});
		}).then(function (g) {
			if (ctl !== graphAbort)
				return;
			var old = graphUrl;
			graphUrl = URL.createObjectURL(g.blob);
			graphArea = g.area;
			graphRange = g.range;
			img.onload = function () {
				if (old)
					URL.revokeObjectURL(old);
				wrap.classList.remove('loading');
			};
			img.src = graphUrl;
			setStatus('');
		}).catch(function (e) {
			if (e.name === 'AbortError')
				return;
			wrap.classList.remove('loading');
			setStatus(e.message);
		});
	}

	/* Fill the change list from /api/v1/series. */
	function loadSeries() {
		var n = ++seq.series;
		getJSON('/api/v1/series', baseParams()).then(function (r) {
			if (n !== seq.series)
				return;
			var list = $('changes');
			list.textContent = '';
			$('changes-title').textContent = 'Change vs ' + previousLabel();
			if (!r.ok || !r.body) {
				list.appendChild(el('li', 'muted',
				    'Totals are not available.'));
				return;
			}
			var b = r.body;
			var totals = b.totals || {};
			var change = b.change_pct || {};
			var prev = (b.previous && b.previous.totals) || {};
			state.categories.forEach(function (c) {
				var li = el('li', 'change cat-' + c);
				li.appendChild(el('span', 'swatch'));
				li.appendChild(el('span', 'change-cat', c));
				var x = change[c];
				var v = el('span', 'change-pct');
				if (typeof x === 'number' && isFinite(x)) {
					var arrow = x > 0 ? '\u25b2 ' :
					    x < 0 ? '\u25bc ' : '\u25b6 ';
					v.textContent = arrow + fmtPct(x);
					v.classList.add(x > 0 ? 'up' :
					    x < 0 ? 'down' : 'flat');
				} else {
					v.textContent = 'n/a';
					v.classList.add('flat');
				}
				li.appendChild(v);
				var detail = el('span', 'change-detail');
				detail.textContent = numberFormat.format(totals[c] || 0) +
				    ' vs ' + (prev[c] === undefined || prev[c] === null ?
				    'no data' : numberFormat.format(prev[c]));
				li.appendChild(detail);
				li.title = c + ' ' + v.textContent + ' vs ' +
				    previousLabel();
				list.appendChild(li);
			});
			if (typeof b.start === 'number' && typeof b.end === 'number')
				$('range-label').textContent = fmtTime(b.start) +
				    ' \u2013 ' + fmtTime(b.end);
		}).catch(function () {
			/* The network error already shows in the graph status. */
		});
	}

	/* Show the detected drops, if the server detects them. */
	function loadDrops() {
		if (dropsMissing)
			return;
		var n = ++seq.drops;
		var p = baseParams();
		delete p.categories;
		getJSON('/api/v1/drops', p).then(function (r) {
			if (r.status === 404 || r.status === 405)
				dropsMissing = true;
			if (n !== seq.drops)
				return;
			var list = $('drops');
			list.textContent = '';
			var drops = r.ok && Array.isArray(r.body) ? r.body : [];
			drops = drops.filter(function (d) {
				return state.categories.indexOf(d.category) >= 0;
			});
			$('drops-section').hidden = drops.length === 0;
			drops.forEach(function (d) {
				list.appendChild(dropItem(d));
			});
		}).catch(function () {
			$('drops-section').hidden = true;
		});
	}

	/* One line of the drop list, with a button that zooms to it. */
	function dropItem(d) {
		var li = el('li', 'drop cat-' + d.category);
		li.appendChild(el('span', 'swatch'));
		var text = d.category + ' ';
		if (typeof d.change_pct === 'number')
			text += fmtPct(d.change_pct) + ' ';
		text += 'from ' + fmtTime(d.start);
		if (typeof d.baseline === 'number' && typeof d.level === 'number')
			text += ' (' + numberFormat.format(Math.round(d.baseline)) +
			    ' \u2192 ' + numberFormat.format(Math.round(d.level)) +
			    ' messages per hour)';
		if (typeof d.recovered_pct === 'number')
			text += ', ' + pctFormat.format(d.recovered_pct) +
			    '% recovered';
		li.appendChild(el('span', 'drop-text', text));
		if (source === TOTAL && d.source && d.source !== TOTAL) {
			var a = el('a', 'drop-source', d.source);
			a.href = '/source/' + encodeURIComponent(d.source) +
			    location.search;
			li.appendChild(a);
		}
		var b = el('button', 'link', 'Zoom');
		b.type = 'button';
		b.addEventListener('click', function () {
			setRange(String(d.start - 86400),
			    String(Math.min(d.start + 86400,
			    Math.floor(Date.now() / 1000))), true);
		});
		li.appendChild(b);
		return li;
	}

	/* Fetch the source list (for the table and the source header). */
	function loadSources() {
		var n = ++seq.sources;
		getJSON('/api/v1/sources', {}).then(function (r) {
			if (n !== seq.sources)
				return;
			if (!r.ok || !r.body || !Array.isArray(r.body.sources)) {
				setStatus(errorText('Source list', r.status, r.body));
				return;
			}
			var now = r.body.now || Math.floor(Date.now() / 1000);
			sourceRows = r.body.sources;
			staleAfter = r.body.stale_after || 0;
			if (source === TOTAL)
				renderSources(now);
			else
				renderSourceInfo(now);
		}).catch(function () {
			/* Reported by the graph request. */
		});
	}

	/* The line under the header on a source page. */
	function renderSourceInfo(now) {
		var info = $('source-info');
		var s = null;
		(sourceRows || []).forEach(function (x) {
			if (x.name === source)
				s = x;
		});
		info.textContent = '';
		info.hidden = false;
		if (!s) {
			info.appendChild(el('span', 'badge stale', 'unknown'));
			info.appendChild(document.createTextNode(
			    ' This source has not reported.'));
			return;
		}
		info.appendChild(statusBadge(s));
		info.appendChild(document.createTextNode(' Last seen '));
		info.appendChild(el('span', 'nowrap', fmtAgo(s.last_seen, now)));
		if (s.first_seen) {
			info.appendChild(document.createTextNode(', first seen '));
			info.appendChild(el('span', 'nowrap', fmtTime(s.first_seen)));
		}
		info.appendChild(document.createTextNode('. Last 24 h: ' +
		    dayTotals(s.last_day) + '.'));
	}

	/* The live or stale badge of a source. */
	function statusBadge(s) {
		var b = s.stale ? el('span', 'badge stale', 'stale') :
		    el('span', 'badge live', 'live');
		if (staleAfter)
			b.title = (s.stale ? 'silent for more than ' :
			    'reported within the last ') + fmtDuration(staleAfter);
		return b;
	}

	/* "spam 120, ham 30" for a last_day object. */
	function dayTotals(d) {
		d = d || {};
		return CATEGORIES.map(function (c) {
			return c + ' ' + numberFormat.format(d[c] || 0);
		}).join(', ');
	}

	/* The table header, with sortable columns. */
	function renderSourcesHead() {
		var tr = $('sources-head');
		tr.textContent = '';
		var cols = [['name', 'Source'], ['', 'Graph'],
		    ['last_seen', 'Last seen']];
		CATEGORIES.forEach(function (c) {
			cols.push(['day:' + c, c + ' 24 h']);
		});
		cols.push(['stale', 'Status']);
		cols.forEach(function (col) {
			var th = el('th');
			th.scope = 'col';
			if (col[0].indexOf('day:') === 0 || col[0] === 'last_seen')
				th.className = 'num';
			if (!col[0]) {
				th.textContent = col[1];
				tr.appendChild(th);
				return;
			}
			var b = el('button', 'sort', col[1]);
			b.type = 'button';
			if (sortKey === col[0]) {
				th.setAttribute('aria-sort',
				    sortDir > 0 ? 'ascending' : 'descending');
				b.appendChild(el('span', 'arrow',
				    sortDir > 0 ? ' \u2191' : ' \u2193'));
			}
			b.addEventListener('click', function () {
				if (sortKey === col[0])
					sortDir = -sortDir;
				else {
					sortKey = col[0];
					sortDir = col[0] === 'name' ? 1 : -1;
				}
				renderSources();
			});
			th.appendChild(b);
			tr.appendChild(th);
		});
	}

	/* Sort value of a source row for the current sort key. */
	function sortValue(s) {
		if (sortKey.indexOf('day:') === 0)
			return (s.last_day || {})[sortKey.slice(4)] || 0;
		if (sortKey === 'stale')
			return s.stale ? 1 : 0;
		return s[sortKey] || 0;
	}

	/* Fill the sources table (overview only). */
	function renderSources(now) {
		now = now || Math.floor(Date.now() / 1000);
		renderSourcesHead();
		if (!sourceRows)
			return;
		var body = $('sources-body');
		var filter = $('filter').value.trim().toLowerCase();
		var rows = sourceRows.filter(function (s) {
			return s.name !== TOTAL &&
			    (!filter || s.name.indexOf(filter) >= 0);
		});
		rows.sort(function (a, b) {
			var x = sortValue(a), y = sortValue(b);
			if (x < y)
				return -sortDir;
			if (x > y)
				return sortDir;
			return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
		});
		body.textContent = '';
		$('sources-empty').hidden = rows.length > 0;
		$('sources-empty').textContent = sourceRows.length ?
		    'No source matches the filter.' : 'No source has reported yet.';
		var spark = query({
			categories: state.categories.join(','),
			start: state.start,
			end: state.end,
			width: 200,
			height: 60
		});
		rows.forEach(function (s) {
			var tr = el('tr');
			if (s.stale)
				tr.className = 'is-stale';
			var td = el('td', 'name');
			var a = el('a', null, s.name);
			a.href = '/source/' + encodeURIComponent(s.name) +
			    location.search;
			td.appendChild(a);
			tr.appendChild(td);

			td = el('td', 'spark');
			var img = el('img');
			img.alt = 'Graph of ' + s.name;
			img.loading = 'lazy';
			img.width = 200;
			img.height = 60;
			img.src = '/graph.png?source=' + encodeURIComponent(s.name) +
			    '&' + spark;
			td.appendChild(img);
			tr.appendChild(td);

			td = el('td', 'num', fmtAgo(s.last_seen, now));
			if (s.last_seen)
				td.title = fmtTime(s.last_seen);
			tr.appendChild(td);
			CATEGORIES.forEach(function (c) {
				tr.appendChild(el('td', 'num',
				    numberFormat.format((s.last_day || {})[c] || 0)));
			});
			td = el('td');
			td.appendChild(statusBadge(s));
			tr.appendChild(td);
			body.appendChild(tr);
		});
	}

	/* Bring the controls in line with the state. */
	function renderControls() {
		var key = rangeKey();
		Array.prototype.forEach.call(
		    document.querySelectorAll('#ranges button'), function (b) {
			b.setAttribute('aria-pressed',
			    String(b.getAttribute('data-range') === key));
		});
		$('compare').value = state.compare;
		$('view').value = state.view;
		Array.prototype.forEach.call(
		    document.querySelectorAll('#categories input'), function (i) {
			i.checked = state.categories.indexOf(i.value) >= 0;
		});
		var csv = baseParams();
		csv.compare = state.compare;
		$('csv').href = '/export.csv?' + query(csv);
		$('csv').setAttribute('download', 'spamtrend-' +
		    (source === TOTAL ? 'total' : source) + '.csv');
		var r = currentRange();
		$('range-label').textContent = key === 'custom' ?
		    fmtTime(r[0]) + ' \u2013 ' + fmtTime(r[1]) :
		    'last ' + RANGES[key].name;
		if (source !== TOTAL)
			$('back').querySelector('a').href = '/' + location.search;
		var title = source === TOTAL ? 'overview' : source;
		document.title = 'spamtrend \u2014 ' + title;
	}

	/* Re-render everything that depends on the state. */
	function refresh() {
		renderControls();
		loadGraph();
		loadSeries();
		loadDrops();
		if (source === TOTAL)
			renderSources();
	}

	/* Set the range and update URL and views. */
	function setRange(start, end, push) {
		state.start = start;
		state.end = end;
		$('custom').hidden = true;
		writeState(push);
		refresh();
	}

	/* Show the custom range form filled with the current range. */
	function openCustom() {
		var r = currentRange();
		$('custom-start').value = fmtTime(r[0], 'T');
		$('custom-end').value = fmtTime(r[1], 'T');
		$('custom').hidden = false;
		$('custom-start').focus();
	}

	/* Wire the range buttons, selects, toggles and custom form. */
	function bindControls() {
		var cats = $('categories');
		CATEGORIES.forEach(function (c) {
			var label = el('label', 'cat cat-' + c);
			var box = el('input');
			box.type = 'checkbox';
			box.value = c;
			box.name = 'category';
			label.appendChild(box);
			label.appendChild(el('span', 'swatch'));
			label.appendChild(document.createTextNode(c));
			cats.appendChild(label);
			box.addEventListener('change', function () {
				var on = CATEGORIES.filter(function (x) {
					return cats.querySelector(
					    'input[value="' + x + '"]').checked;
				});
				if (!on.length) {
					box.checked = true;
					return;
				}
				state.categories = on;
				writeState(false);
				refresh();
			});
		});
		$('ranges').addEventListener('click', function (ev) {
			var b = ev.target.closest('button');
			if (!b)
				return;
			var k = b.getAttribute('data-range');
			if (k === 'custom') {
				if ($('custom').hidden)
					openCustom();
				else
					$('custom').hidden = true;
				return;
			}
			setRange(RANGES[k].start, 'now', true);
		});
		$('custom').addEventListener('submit', function (ev) {
			ev.preventDefault();
			var s = new Date($('custom-start').value).getTime() / 1000;
			var e = new Date($('custom-end').value).getTime() / 1000;
			if (!isFinite(s) || !isFinite(e) || e <= s) {
				setStatus('The range must end after it starts.');
				return;
			}
			setStatus('');
			setRange(String(Math.floor(s)), String(Math.floor(e)), true);
		});
		$('compare').addEventListener('change', function () {
			state.compare = this.value;
			writeState(false);
			refresh();
		});
		$('view').addEventListener('change', function () {
			state.view = this.value;
			writeState(false);
			refresh();
		});
		$('filter').addEventListener('input', function () {
			renderSources();
		});
		window.addEventListener('popstate', function () {
			state = readState();
			$('custom').hidden = true;
			refresh();
		});
	}

	/* Map an x offset within the displayed image to a unix time. */
	function xToTime(x, img) {
		var scale = img.clientWidth / (img.naturalWidth || img.clientWidth);
		var a = plotArea(img);
		var left = a[0] * scale, w = a[2] * scale;
		var f = Math.min(1, Math.max(0, (x - left) / w));
		var r = graphRange || currentRange();
		return r[0] + f * (r[1] - r[0]);
	}

	/* The plot area in natural pixels: from the server, or a guess. */
	function plotArea(img) {
		if (graphArea)
			return graphArea;
		var nw = img.naturalWidth || img.clientWidth;
		var nh = img.naturalHeight || img.clientHeight;
		return [67, 0, Math.max(1, nw - 67 - 30), nh];
	}

	/* Drag across the graph to zoom into the selected range. */
	function bindZoom() {
		var wrap = $('graph-wrap');
		var img = $('graph');
		var sel = $('selection');
		var drag = null;

		function localX(ev) {
			var b = img.getBoundingClientRect();
			var scale = img.clientWidth / (img.naturalWidth || img.clientWidth);
			var a = plotArea(img);
			var x = ev.clientX - b.left;
			return Math.min((a[0] + a[2]) * scale,
			    Math.max(a[0] * scale, x));
		}
		function draw(x0, x1) {
			var scale = img.clientHeight / (img.naturalHeight || img.clientHeight);
			var a = plotArea(img);
			sel.style.left = Math.min(x0, x1) + 'px';
			sel.style.width = Math.abs(x1 - x0) + 'px';
			sel.style.top = (a[1] * scale) + 'px';
			sel.style.height = (a[3] * scale) + 'px';
			sel.hidden = false;
		}
		function cancel() {
			drag = null;
			sel.hidden = true;
		}
		wrap.addEventListener('pointerdown', function (ev) {
			if (ev.button !== 0 || !img.naturalWidth)
				return;
			drag = { x0: localX(ev), id: ev.pointerId };
			wrap.setPointerCapture(ev.pointerId);
			draw(drag.x0, drag.x0);
			ev.preventDefault();
		});
		wrap.addEventListener('pointermove', function (ev) {
			if (drag && ev.pointerId === drag.id)
				draw(drag.x0, localX(ev));
		});
		wrap.addEventListener('pointerup', function (ev) {
			if (!drag || ev.pointerId !== drag.id)
				return;
			var x0 = drag.x0, x1 = localX(ev);
			cancel();
			if (Math.abs(x1 - x0) < 4)
				return;
			var t0 = Math.floor(xToTime(Math.min(x0, x1), img));
			var t1 = Math.ceil(xToTime(Math.max(x0, x1), img));
			if (t1 - t0 < 60)
				t1 = t0 + 60;
			setRange(String(t0), String(t1), true);
		});
		wrap.addEventListener('pointercancel', cancel);
		document.addEventListener('keydown', function (ev) {
			if (ev.key === 'Escape')
				cancel();
		});
	}

	/* Re-request the graph when its box changes width (debounced). */
	function bindResize() {
		var timer = null;
		window.addEventListener('resize', function () {
			clearTimeout(timer);
			timer = setTimeout(function () {
				var w = Math.floor($('graph-wrap').clientWidth);
				if (Math.abs(w - graphWidth) >= 8)
					loadGraph();
			}, 250);
		});
	}

	/* Keep a live ("... to now") view current. */
	function bindRefresh() {
		setInterval(function () {
			if (document.hidden || state.end !== 'now')
				return;
			loadGraph();
			loadSeries();
			loadDrops();
			loadSources();
		}, REFRESH_MS);
	}

	/* Set up the page for the overview or one source. */
	function init() {
		source = readSource();
		state = readState();
		if (source !== TOTAL) {
			$('crumb').textContent = source;
			$('back').hidden = false;
			$('sources-section').hidden = true;
		}
		bindControls();
		bindZoom();
		bindResize();
		bindRefresh();
		refresh();
		loadSources();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
}());
