/*
 * panels.js -- what sits around the graph: the totals and their change,
 * the drop list, the events (listed, added, deleted with the admin token),
 * a source page's status line and the overview's source table (a page at a
 * time, sorted and filtered by the server, with shares and small graphs).
 */
import { $, S, TOTAL, colourOf, el, fmtAgo, fmtCount, fmtDuration, fmtPct,
    fmtTime, parseLocalInput, pctFormat, query, shiftName,
    zoneName } from './util.js';
import { errorText, getJSON, lostContact, setStatus } from './status.js';
import { placeMarks } from './graph.js';
import { dataStale, refresh, showWindow, writeState } from './app.js';

/* --- totals, drops, events ---------------------------------------- */

/* The totals of the range and the change against the earlier one. */
export function renderTotals() {
	var b = S.view.series;
	var list = $('totals');
	list.textContent = '';
	var prev = b.previous || {};
	var label = shiftName(prev.shift || S.view.shift);
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
		var x = (b.change_pct || {})[c];
		var pk = (prev.known_rows || {})[c];
		if (typeof x === 'number') {
			var v = el('span', 'total-change', (x > 0 ? '\u25b2 ' :
			    x < 0 ? '\u25bc ' : '') + fmtPct(x));
			v.classList.add(x > 0 ? 'up' : x < 0 ? 'down' : 'flat');
			li.appendChild(v);
		}
		if (prev.totals)
			li.appendChild(el('span', 'total-prev', pk === 0 ?
			    label + ': no data' : label + ': ' +
			    fmtCount(prev.totals[c])));
		list.appendChild(li);
	});
	var note = 'Messages in the range, exactly as in the CSV.';
	if (b.complete_through && S.view.range[1] > b.complete_through &&
	    !dataStale())
		note += ' Rows after ' + fmtTime(b.complete_through) +
		    ' are still filling (shaded).';
	$('totals-note').textContent = note;
}

/* One line of the drop list. */
/* What a finding is, in words: a fall or a rise of the mail, or not. */
var KINDS = { fall: 'fall', rise: 'rise', outage: 'reporting outage',
    coverage: 'more sources reporting',
    learning: 'learning (new, not judged yet)' };

/* A fall or a rise of the mail itself (drawn on the graph). */
export function judged(d) {
	return !d.kind || d.kind === 'fall' || d.kind === 'rise';
}

export function dropText(d) {
	var text = d.category + ' ' + (KINDS[d.kind] || d.kind || 'fall') +
	    (typeof d.change_pct === 'number' ? ' ' + fmtPct(d.change_pct) :
	    '') + ' from ' + fmtTime(d.start) + ' ' + zoneName();
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

export function renderDrops() {
	var list = $('drops');
	list.textContent = '';
	var drops = S.view.drops.filter(function (d) {
		return S.state.categories.indexOf(d.category) >= 0;
	});
	$('drops-section').hidden = drops.length === 0;
	drops.forEach(function (d) {
		var li = el('li', 'drop');
		var sw = el('span', 'swatch');
		sw.style.background = colourOf(d.category);
		li.appendChild(sw);
		if (S.source === TOTAL) {
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
	if (S.graph)
		S.graph.updateOptions({});
}

export function renderEvents() {
	var list = $('events');
	list.textContent = '';
	$('events-empty').hidden = S.view.events.length > 0;
	S.view.events.forEach(function (ev, i) {
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
	if (S.graph)
		S.graph.updateOptions({});
}

/* POST or DELETE an event with the token, then reload. */
export function changeEvent(method, path, body) {
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

export function addEvent(ev) {
	ev.preventDefault();
	var t = parseLocalInput($('event-time').value);
	var text = $('event-text').value.trim();
	if (!isFinite(t) || !text) {
		setStatus('An event needs a time and a text.');
		return;
	}
	var body = { time: t, text: text };
	if (S.source !== TOTAL && $('event-source').checked)
		body.source = S.source;
	changeEvent('POST', '/api/v1/events', body);
}

/* --- sources ------------------------------------------------------ */

/* The line under the header on a source page. */
export function loadSourceInfo(n) {
	return getJSON('/api/v1/sources', { source: S.source, limit: 1,
	    start: S.view.range[0], end: S.view.range[1],
	    step: S.view.series.step }).then(function (r) {
		if (n !== S.seq)
			return;
		var info = $('source-info');
		info.textContent = '';
		info.hidden = false;
		var s = null;
		((r.body && r.body.sources) || []).forEach(function (x) {
			if (x.name === S.source)
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

export function statusBadge(s) {
	var b = s.stale ? el('span', 'badge stale', 'stale') :
	    el('span', 'badge live', 'live');
	b.title = (s.stale ? 'silent for more than ' :
	    'reported within the last ') + fmtDuration(S.config.stale_after);
	return b;
}

/* The table: one page, sorted and filtered by the server. */
export function loadSources(n) {
	if (!S.view)
		return Promise.resolve();
	var sort = S.state.sort || '-' + S.state.categories[0];
	return getJSON('/api/v1/sources', {
		start: S.view.range[0], end: S.view.range[1],
		step: S.view.series.step,
		categories: S.state.categories.join(','),
		sort: sort, q: S.state.q,
		offset: S.state.page * S.state.per, limit: S.state.per
	}).then(function (r) {
		if (n !== S.seq)
			return;
		if (!r.ok || !r.body || !Array.isArray(r.body.sources)) {
			setStatus(errorText('The source list', r));
			return;
		}
		S.sourcesPage = r.body;
		renderSources(sort);
	}, function () {});
}

/* The sortable header. */
export function renderSourcesHead(sort) {
	var tr = $('sources-head');
	tr.textContent = '';
	var first = S.state.categories[0];
	var cols = [['name', 'Source'], ['', 'Graph'],
	    ['last_seen', 'Last seen']];
	S.state.categories.forEach(function (c) {
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
				S.state.sort = sort[0] === '-' ? col[0] : '-' + col[0];
			else
				S.state.sort = col[0] === 'name' ? 'name' : '-' + col[0];
			S.state.page = 0;
			writeState(false);
			loadSources(S.seq);
		});
		th.appendChild(b);
		tr.appendChild(th);
	});
}

export function renderSources(sort) {
	var page = S.sourcesPage;
	renderSourcesHead(sort);
	var body = $('sources-body');
	body.textContent = '';
	$('sources-empty').hidden = page.sources.length > 0;
	$('sources-empty').textContent = S.state.q ?
	    'No source matches the filter.' : 'No source has reported yet.';
	$('filter').value = S.state.q;
	var first = S.state.categories[0];
	var all = (page.all || {})[first] || 0;
	var spark = query({
		categories: S.state.categories.join(','),
		start: S.view.range[0], end: S.view.range[1],
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
		if (S.view.range[0] > S.config.graph_min_time) {
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
		S.state.categories.forEach(function (c) {
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
	$('page-size').value = String(S.state.per);
	$('pager').hidden = page.total <= 10 && !S.state.q;
}
