/*
 * status.js -- talking to the collector and saying how that goes: JSON
 * requests, error sentences that name the parameter, the banners for an
 * unreachable collector, stale data and invalid URL parameters, and the
 * health note in the header.
 */
import { $, RETRY_MS, S, el, fmtAgo, fmtTime, now, query,
    zoneName } from './util.js';
import { anchoredLatest, dataStale, refresh, relative, start,
    writeState } from './app.js';

/* --- talking to the collector ------------------------------------ */

/*
 * GET a JSON document; resolves to {ok, status, body}.  A network
 * failure marks the collector unreachable and rejects.
 */
export function getJSON(path, params, opts) {
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
export function errorText(what, r) {
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

export function setStatus(msg) {
	$('status').textContent = msg || '';
	$('status').hidden = !msg;
}

/* --- banners ---------------------------------------------------- */

/* Show (or with text null, remove) the banner called id. */
export function banner(id, kind, text, action) {
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
export function lostContact() {
	if (!S.unreachable)
		S.unreachable = now();
	document.body.classList.add('offline');
	$('health').textContent = 'offline';
	$('health').className = 'health bad';
	banner('offline', 'error', 'The collector at ' + location.host +
	    ' cannot be reached (since ' + fmtTime(S.unreachable) + ' ' +
	    zoneName() + '). ' + (S.lastGood ? 'What you see is from ' +
	    fmtTime(S.lastGood) + '. ' : '') + 'Retrying every ' +
	    RETRY_MS / 1000 + ' s.');
	if (!S.retryTimer)
		S.retryTimer = setInterval(probe, RETRY_MS);
}

/* An answer came: clear the offline state. */
export function reachable() {
	S.lastGood = now();
	if (!S.unreachable)
		return;
	S.unreachable = 0;
	document.body.classList.remove('offline');
	banner('offline');
	clearInterval(S.retryTimer);
	S.retryTimer = null;
	if (S.config)
		refresh();
	else
		start();
}

/* While offline: is the collector back? */
export function probe() {
	fetch('/healthz', { cache: 'no-store' }).then(function (r) {
		if (r.ok || r.status === 503)
			reachable();
	}, function () {});
}

/* The header's health note and the stale-data banner. */
export function showFreshness() {
	var h = $('health');
	if (S.unreachable)
		return;
	if (!S.config.data_end) {
		h.textContent = 'no data yet';
		h.className = 'health';
		banner('stale');
		return;
	}
	if (dataStale()) {
		h.textContent = 'no new data';
		h.className = 'health warn';
		banner('stale', 'warn', 'No new data since ' +
		    fmtTime(S.config.data_end) + ' ' + zoneName() + ' (' +
		    fmtAgo(S.config.data_end) + ').' +
		    (anchoredLatest() ? ' The range ends at the latest data.' :
		    ''), anchoredLatest() ? { label: 'Show up to now',
		    run: function () {
			S.state.anchor = 'now';
			writeState(true);
			refresh();
		} } : relative() ? { label: 'Show the latest data',
		    run: function () {
			S.state.anchor = 'latest';
			writeState(true);
			refresh();
		} } : null);
	} else {
		h.textContent = 'updated ' + fmtAgo(S.config.data_end);
		h.className = 'health ok';
		banner('stale');
	}
}

/* Name the URL parameters that were not valid (and drop them). */
export function showInvalid() {
	if (!S.state.invalid.length) {
		banner('invalid');
		return;
	}
	banner('invalid', 'warn', 'Ignored invalid URL parameters: ' +
	    S.state.invalid.join('; ') + '.');
	S.state.invalid = [];
	writeState(false);
}
