/*
 * graph.js -- the main graph, drawn by dygraphs: the data by view (lines,
 * stacked, spam share, by source; values per hour), the bands under it
 * (unknown rows, rows still filling, drops, event rules), the interaction
 * (zoom, pan, zoom out), the readout of a hovered row's exact counts, and
 * the strip of event and drop flags above the plot.
 */
import { $, OTHERS_COLOUR, S, SOURCE_COLOURS, TOTAL, colourOf, el, fmtAxis,
    fmtCount, fmtStep, fmtTime, pctFormat, shiftName, tint, utc,
    zoneName } from './util.js';
import { dropText, judged } from './panels.js';
import { dataStale, showWindow, zoomOut } from './app.js';

/* --- the graph --------------------------------------------------- */



/* Rows of counts as values per hour (null stays null). */
export function perHour(v, step) {
	return v === null || v === undefined ? null : v * 3600 / step;
}

/*
 * The data, labels and colours for dygraphs, by view.  Rows after
 * complete_through are left out of the lines (shaded instead).
 */
export function graphData() {
	var b = S.view.series;
	var step = b.step;
	var ct = b.complete_through || 0;
	var labels = ['time'], colours = [], data = [], dashed = [];
	var prev = b.previous && b.previous.rows && S.state.compare ?
	    b.previous.rows : null;
	var i, j, row;
	var cov = b.coverage || [];
	var pcov = (b.previous && b.previous.coverage) || [];
	/*
	 * The earlier period may only be kept in longer rows (older than the
	 * finest archive): each row of the range meets the earlier row that
	 * covers its time, drawn at that row's own rate.
	 */
	var pstep = (b.previous && b.previous.step) || step;
	var pindex = {};
	if (prev)
		prev.forEach(function (r, k) { pindex[r[0]] = k; });
	function prevAt(t) {
		var k = pindex[Math.ceil(t / pstep) * pstep];
		return k === undefined ? -1 : k;
	}
	/* A row still filling, or one nobody reported for, is not drawn. */
	function filling(t) {
		return (ct && t > ct) || cov[i] === 0;
	}
	function pgap(k, v) {
		return pcov[k] === 0 ? null : v;
	}
	if (S.state.view === 'ratio') {
		labels.push('spam share');
		colours.push(colourOf('spam'));
		if (prev) {
			labels.push('spam share, ' + shiftName(S.view.shift));
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
				var pr = prev[prevAt(row[0])] || [];
				out.push(pr[1] === null || pr[2] === null ||
				    pr[1] + pr[2] === 0 || pr[1] === undefined ?
				    null : 100 * pr[1] / (pr[1] + pr[2]));
			}
			data.push(out);
		}
		return { labels: labels, colours: colours, data: data,
		    dashed: dashed, ylabel: 'spam share (%)' };
	}
	if (S.state.view === 'sources' && S.view.stack) {
		var cat = b.categories[0];
		S.view.stack.forEach(function (x, k) {
			labels.push(x.source);
			colours.push(SOURCE_COLOURS[k % SOURCE_COLOURS.length]);
		});
		labels.push('other sources');
		colours.push(OTHERS_COLOUR);
		for (i = 0; i < b.rows.length; i++) {
			row = b.rows[i];
			var out2 = [new Date(row[0] * 1000)];
			var rest = row[1];
			for (j = 0; j < S.view.stack.length; j++) {
				var sr = S.view.stack[j].rows[i];
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
			var l = c + ', ' + shiftName(S.view.shift);
			labels.push(l);
			colours.push(colourOf(c));
			dashed.push(l);
		});
	for (i = 0; i < b.rows.length; i++) {
		row = b.rows[i];
		var o = [new Date(row[0] * 1000)];
		for (j = 1; j < row.length; j++)
			o.push(filling(row[0]) ? null : perHour(row[j], step));
		if (prev) {
			var k = prevAt(row[0]);
			for (j = 1; j < row.length; j++)
				o.push(pgap(k, perHour((prev[k] || [])[j], pstep)));
		}
		data.push(o);
	}
	return { labels: labels, colours: colours, data: data,
	    dashed: dashed, ylabel: 'messages per hour',
	    stacked: S.state.view === 'stacked' };
}


/* Shade unknown rows, the filling edge and drops; rule events. */
export function underlay(ctx, area, g) {
	var b = S.view.series;
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
		/* Gaps: unknown rows, or rows nobody reported for. */
		unknown = (b.coverage && b.coverage[i] === 0) ||
		    row.slice(1).every(function (v) {
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
	S.view.drops.forEach(function (d) {
		if (d.source !== S.source && S.source !== TOTAL)
			return;
		if (S.source === TOTAL && d.source !== TOTAL)
			return;
		if (!judged(d))
			return;
		var end = d.end || S.view.range[1];
		band(d.start, end, tint(colourOf(d.category), 0.09));
		ctx.fillStyle = '#000';
		ctx.fillRect(Math.round(x(d.start)) - 1, area.y, 2, area.h);
	});
	ctx.save();
	ctx.strokeStyle = '#555';
	ctx.setLineDash([4, 3]);
	ctx.lineWidth = 1;
	S.view.events.forEach(function (ev) {
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
export function drawGraph() {
	if (!S.view || typeof Dygraph === 'undefined')
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
		dateWindow: [S.view.range[0] * 1000, S.view.range[1] * 1000],
		valueRange: null,
		logscale: S.state.y === 'log',
		stackedGraph: !!d.stacked,
		fillGraph: !!d.stacked,
		fillAlpha: 0.55,
		includeZero: S.state.y !== 'log',
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
	if (!S.graph) {
		/*
		 * The page has its own readout; dygraphs' legend would
		 * also set a style attribute, which the CSP forbids.
		 */
		Dygraph.PLUGINS = Dygraph.PLUGINS.filter(function (p) {
			return p !== Dygraph.Plugins.Legend;
		});
		opts.file = undefined;
		S.graph = new Dygraph($('graph'), d.data, opts);
	} else
		S.graph.updateOptions(opts);
	$('graph').classList.remove('loading');
	$('graph').setAttribute('data-range', S.view.range.join(','));
	$('graph').setAttribute('data-step', String(S.view.series.step));
	$('range-line').textContent = fmtTime(S.view.range[0]) + ' \u2013 ' +
	    fmtTime(S.view.range[1]) + ' ' + zoneName() + ' \u00b7 one row = ' +
	    fmtStep(S.view.series.step) + ' \u00b7 ' +
	    (S.state.view === 'ratio' ? 'percent of spam + ham' :
	    'messages per hour');
	readoutDefault();
	placeMarks();
}

/*
 * dygraphs' own model, plus: a double click zooms out, and the end of
 * a pan (shift-drag, or a finger) loads the range panned to.
 */
export function interaction() {
	var base = Dygraph.defaultInteractionModel;
	function settle(g) {
		var w = g.xAxisRange();
		if (Math.abs(w[0] / 1000 - S.view.range[0]) > 1)
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
export function readoutRow(i) {
	var b = S.view.series;
	var row = b.rows[i];
	if (!row)
		return null;
	var t = row[0];
	var out = [fmtTime(t - b.step) + '\u2013' + fmtTime(t).slice(11) +
	    ' ' + zoneName()];
	var filling = b.complete_through && t > b.complete_through;
	if (S.state.view === 'sources' && S.view.stack) {
		S.view.stack.forEach(function (x) {
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
		if (S.state.view === 'ratio' && row[1] !== null &&
		    row[2] !== null && row[1] + row[2] > 0)
			out.push('spam share ' +
			    pctFormat.format(100 * row[1] / (row[1] + row[2])) +
			    '%');
	}
	if (filling)
		out.push('still filling');
	else if (b.coverage && typeof b.coverage[i] === 'number' &&
	    b.coverage[i] < 1 && b.source !== '_total')
		out.push(b.coverage[i] === 0 ? 'nothing reported' :
		    Math.round(100 * b.coverage[i]) + '% of the row reported');
	return out;
}

/* Show the hovered row's exact counts. */
export function readout(event, x, points, row) {
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
	r.setAttribute('data-time', String(S.view.series.rows[row][0]));
}

export function readoutDefault() {
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
export function placeMarks() {
	var strip = $('marks');
	strip.textContent = '';
	if (!S.graph || !S.view)
		return;
	var area = S.graph.getArea();
	var items = [];
	S.view.events.forEach(function (ev, i) {
		items.push({ t: ev.time, label: String(i + 1),
		    cls: 'flag event', text: fmtTime(ev.time) + ' ' +
		    zoneName() + ': ' + ev.text + (ev.source ? ' (' +
		    ev.source + ')' : '') });
	});
	S.view.drops.forEach(function (d) {
		if (S.source === TOTAL && d.source !== TOTAL)
			return;
		if (!judged(d) || typeof d.change_pct !== 'number')
			return;
		items.push({ t: d.start, label: (d.change_pct < 0 ? '\u25bc' :
		    '\u25b2') + Math.abs(Math.round(d.change_pct)) + '%',
		    cls: 'flag drop', text: dropText(d) });
	});
	items.sort(function (a, b) {
		return a.t - b.t;
	});
	var lastX = [-1e9, -1e9];
	items.forEach(function (it) {
		var x = S.graph.toDomXCoord(it.t * 1000);
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
export function showTip(f, text) {
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
