/*
 * util.js -- what every part of the page shares: the constants, the one
 * state object (S), DOM helpers, and the formatting of times (in the one
 * time zone the user chose) and numbers (whole counts with separators).
 * Text from the server is only ever inserted with textContent.
 */
export var TOTAL = '_total';

/* The page's state, shared by the modules. */
export var S = {
	/* /api/v1/config */
	config: null,
	/* server clock minus ours, seconds */
	skew: 0,
	source: '_total',
	state: null,
	/* what is on screen: range, step, rows */
	view: null,
	/* the Dygraph */
	graph: null,
	/* generation of the view being loaded */
	seq: 0,
	/* time the collector stopped answering */
	unreachable: 0,
	/* time of the last answer */
	lastGood: 0,
	retryTimer: null,
	/* the last /api/v1/sources answer */
	sourcesPage: null
};

export var SPANS = { '1h': 3600, '6h': 21600, '1d': 86400, '1w': 604800,
    '30d': 2592000, '1y': 31536000 };
export var UNIT = { s: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800,
    mon: 2592000, y: 31536000 };
export var COMPARES = { '': 0, '1d': 86400, '1w': 604800, '4w': 2419200,
    '1y': 31449600 };
export var VIEWS = ['lines', 'stacked', 'ratio', 'sources'];
export var SOURCE_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7',
    '#E69F00', '#56B4E9', '#B59B00', '#000000'];
export var OTHERS_COLOUR = '#9AA3AD';
export var REFRESH_MS = 60000;
export var RETRY_MS = 10000;
export var STACK_TOP = 8;

export var nf = new Intl.NumberFormat('en-US');
export var compactFormat = new Intl.NumberFormat('en-US',
    { notation: 'compact', maximumFractionDigits: 1 });
export var pctFormat = new Intl.NumberFormat('en-US',
    { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function $(id) {
	return document.getElementById(id);
}

/* Create an element with optional class and text (never markup). */
export function el(tag, cls, text) {
	var e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined && text !== null)
		e.textContent = String(text);
	return e;
}

/* Build a query string; commas stay readable. */
export function query(params) {
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

export function now() {
	return Math.floor(Date.now() / 1000) + S.skew;
}

/* --- time and numbers ------------------------------------------- */

export function utc() {
	return S.state && S.state.tz === 'utc';
}

/* The zone's name as the axis shows it. */
export function zoneName() {
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
export function parts(t) {
	var d = new Date(t * 1000);
	if (utc())
		return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1,
		    d: d.getUTCDate(), h: d.getUTCHours(),
		    mi: d.getUTCMinutes(), wd: d.getUTCDay() };
	return { y: d.getFullYear(), mo: d.getMonth() + 1,
	    d: d.getDate(), h: d.getHours(), mi: d.getMinutes(),
	    wd: d.getDay() };
}

export function pad(n) {
	return (n < 10 ? '0' : '') + n;
}

/* "2008-11-11 21:00" in the chosen zone (sep "T" for inputs). */
export function fmtTime(t, sep) {
	var p = parts(t);
	return p.y + '-' + pad(p.mo) + '-' + pad(p.d) + (sep || ' ') +
	    pad(p.h) + ':' + pad(p.mi);
}

/* A datetime-local value in the chosen zone back to unix seconds. */
export function parseLocalInput(v) {
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
export function fmtDuration(s) {
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
export function fmtStep(s) {
	if (s % 86400 === 0)
		return s === 86400 ? '1 day' : s / 86400 + ' days';
	if (s % 3600 === 0)
		return s === 3600 ? '1 hour' : s / 3600 + ' hours';
	if (s % 60 === 0)
		return s === 60 ? '1 minute' : s / 60 + ' minutes';
	return s + ' seconds';
}

export function fmtAgo(t) {
	if (!t)
		return 'never';
	var d = now() - t;
	if (d < 30)
		return 'just now';
	return fmtDuration(d) + ' ago';
}

/* A signed percentage with a real minus sign. */
export function fmtPct(x) {
	var s = pctFormat.format(Math.abs(x)) + '%';
	return x > 0 ? '+' + s : x < 0 ? '\u2212' + s : s;
}

/* A count: a whole number with separators. */
export function fmtCount(n) {
	return nf.format(Math.round(n));
}

/* An axis value: compact for large numbers, no milli. */
export function fmtAxis(v) {
	if (Math.abs(v) >= 10000)
		return compactFormat.format(v);
	if (Math.abs(v) >= 10 || v === 0)
		return nf.format(Math.round(v));
	return String(Math.round(v * 100) / 100);
}

/* "a week earlier" for a comparison shift in seconds. */
export function shiftName(s) {
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

export function colourOf(name) {
	for (var i = 0; i < S.config.categories.length; i++)
		if (S.config.categories[i].name === name)
			return S.config.categories[i].colour;
	return '#555555';
}


/* "#D55E00" as rgba() with alpha a. */
export function tint(hex, a) {
	var n = parseInt(hex.slice(1), 16);
	return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' +
	    (n & 255) + ',' + a + ')';
}
