/*
 * scenario.c -- the synthetic cases of the drop benchmark and their
 * judging.
 *
 * Every case is hourly counts over a few months: a daily cycle, a weekly
 * one (weekends quieter), hourly noise that drifts (autocorrelated
 * log-normal, so an hour resembles the one before), counting noise
 * (Poisson) and, on report feeds, short campaign bursts.  The events
 * follow what was published at the time; the hour of a change is this
 * benchmark's choice where the sources give only a day:
 *
 *  McColo, 2008-11-11 21:00 UTC: IronPort saw spam fall by about two
 *    thirds, SpamCop by about three quarters; back for 5 hours on 15/16
 *    November through a new uplink, then a slow recovery to about half of
 *    the old volume by the end of the year.
 *  Rustock's Christmas pause, 2010-12-25: the largest botnet (about half
 *    of all spam) fell from 44 to 0.5 bn messages a day; back early on
 *    2011-01-10, "marginally lower than before Christmas" (Symantec).
 *  The Rustock takedown, 2011-03-16 ~14:45 UTC: MessageLabs measured
 *    52 -> 33 bn a day (-36.5 %), and it stayed down.
 *  3FN/Pricewert, 2009-06-05: IronPort (Cisco) -30 % until the weekend,
 *    back on Sunday and Monday; Marshal8e6 -15 %.
 *  Grum, 2012-07-18: -15 to -20 % (-18 % here).
 *
 * The controls are the everyday things that must not look like these:
 * holidays, reporters silent or sending zeros for a few hours (on the
 * reporter's own series and on the sum of three), a gradual -20 % month,
 * a daylight-saving change on a mail server living in local time, a new
 * source ramping up (alone and in a sum), campaign bursts, small sources
 * and months of plain noise.
 */
#include "scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUBSTEPS 12 /* 5-minute steps per hour */
#define MAXKNOTS 8
#define MAXBURST 256

/* How a sensor's counts look when nothing happens. */
struct sensor {
	const char *name;
	double	    volume;   /* msgs/hour on weekdays, daily mean */
	double	    day_amp;  /* daily cycle: amplitude of the sine */
	double	    day_peak; /* hour of the peak */
	double	    weekend;  /* weekend volume / weekday volume */
	double	    sigma;    /* sd of the hourly log-noise */
	double	    rho;      /* its lag-1 autocorrelation */
	double	    bursts;   /* campaign bursts per week */
	int	    local;    /* cycles follow central European time */
};

static const struct sensor IRONPORT = {
    "IronPort-like", 4.0e6, 0.12, 15, 0.88, 0.07, 0.6, 0, 0};
static const struct sensor SPAMCOP = {
    "SpamCop-like", 1.2e5, 0.20, 14, 0.85, 0.10, 0.5, 2, 0};
static const struct sensor REPORTER = {
    "reporter", 4.0e4, 0.25, 13, 0.80, 0.08, 0.5, 1, 0};
static const struct sensor MXSPAM = {
    "mail server", 2500, 0.25, 12, 0.80, 0.10, 0.4, 1, 1};
static const struct sensor MXHAM = {
    "mail server", 3000, 0.60, 11, 0.45, 0.08, 0.4, 0, 1};
static const struct sensor BURSTY = {
    "SpamCop-like", 1.2e5, 0.20, 14, 0.85, 0.10, 0.5, 6, 0};
static const struct sensor SMALLDAY = {
    "small source", 12.5, 0.40, 14, 0.80, 0.05, 0.3, 0, 0};
static const struct sensor SMALLHOUR = {
    "small source", 300, 0.30, 14, 0.80, 0.06, 0.3, 0, 0};

/* From time t on the volume is share of normal (ramp: reached linearly). */
struct knot {
	int64_t t;
	double	share;
	int	ramp;
};

enum { HOL_NONE, HOL_SPAM, HOL_HAM };

/* Added to every seed by sc_make: which draw of the noise. */
static uint64_t sc_variant;

/* One reporter's part in a case. */
struct spec {
	const struct sensor *s;
	double		     scale;
	struct knot	     k[MAXKNOTS];
	unsigned	     nk;
	int		     holidays;
	int64_t		     born;     /* first second reported; 0 always */
	int64_t		     ramp;     /* seconds a new source ramps over */
	int64_t		     gap_from; /* silent (or zeros) in [from, to) */
	int64_t		     gap_to;
	int		     gap_zeros;
	uint64_t	     seed;
};

/* A small deterministic generator, so every run sees the same data. */
static double
sc_unit(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return ((double)(*st >> 11) + 0.5) / (double)(1ULL << 53);
}

/* A standard normal deviate (Box-Muller). */
static double
sc_normal(uint64_t *st)
{
	double a = sc_unit(st), b = sc_unit(st);

	return sqrt(-2.0 * log(a)) * cos(2.0 * M_PI * b);
}

/* A Poisson deviate of mean lam. */
static double
sc_poisson(uint64_t *st, double lam)
{
	double l, p = 1.0;
	int    k = 0;

	if (lam <= 0)
		return 0;
	if (lam > 60)
		return fmax(0.0, round(lam + sqrt(lam) * sc_normal(st)));
	l = exp(-lam);
	do {
		k++;
		p *= sc_unit(st);
	} while (p > l);
	return k - 1;
}

/* Unix seconds of a UTC date and time. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

/* The last Sunday of a month, 01:00 UTC: when central Europe changes time. */
static int64_t
sc_last_sunday(int y, int mo)
{
	struct tm tm;
	time_t	  t = (time_t)utc(y, mo + 1, 1, 1, 0) - 86400;

	gmtime_r(&t, &tm);
	return (int64_t)t - (int64_t)tm.tm_wday * 86400;
}

/* Seconds to add to t for the sensor's clock. */
static int64_t
sc_offset(const struct sensor *s, int64_t t)
{
	struct tm tm;
	time_t	  x = (time_t)t;

	if (!s->local)
		return 0;
	gmtime_r(&x, &tm);
	if (t >= sc_last_sunday(tm.tm_year + 1900, 3) &&
	    t < sc_last_sunday(tm.tm_year + 1900, 10))
		return 7200;
	return 3600;
}

/*
 * The holiday factor at t: Christmas and New Year are like a Sunday for
 * people (ham), a little quieter for spam; the days between are quieter.
 */
static double
sc_holiday(const struct spec *sp, int64_t local)
{
	struct tm tm;
	time_t	  x = (time_t)local;

	if (sp->holidays == HOL_NONE)
		return 1.0;
	gmtime_r(&x, &tm);
	if ((tm.tm_mon == 11 &&
		(tm.tm_mday == 24 || tm.tm_mday == 25 || tm.tm_mday == 26 ||
		    tm.tm_mday == 31)) ||
	    (tm.tm_mon == 0 && tm.tm_mday == 1)) {
		if (sp->holidays == HOL_SPAM)
			return 0.92;
		return tm.tm_wday == 0 || tm.tm_wday == 6 ? 1.0
							  : sp->s->weekend;
	}
	if (tm.tm_mon == 11 && tm.tm_mday >= 27 && tm.tm_mday <= 30)
		return sp->holidays == HOL_HAM ? 0.85 : 0.97;
	return 1.0;
}

/* The event share at t. */
static double
sc_share(const struct spec *sp, int64_t t)
{
	unsigned i;
	double	 prev = 1.0, f;

	for (i = 0; i < sp->nk; i++) {
		if (t < sp->k[i].t) {
			if (!sp->k[i].ramp || i == 0)
				return prev;
			f = (double)(t - sp->k[i - 1].t) /
			    (double)(sp->k[i].t - sp->k[i - 1].t);
			return prev + f * (sp->k[i].share - prev);
		}
		prev = sp->k[i].share;
	}
	return prev;
}

/* The normal rate (msgs/hour) of sensor s at t, cycles included. */
static double
sc_rate(const struct spec *sp, int64_t t)
{
	const struct sensor *s = sp->s;
	int64_t		     local = t + sc_offset(s, t);
	double		     hour = (double)(local % 86400) / 3600.0;
	int		     wd = (int)((local / 86400 + 4) % 7);
	double		     r;

	r = s->volume * sp->scale *
	    (1.0 +
		s->day_amp * sin(2.0 * M_PI * (hour - s->day_peak + 6) / 24.0));
	if (wd == 0 || wd == 6)
		r *= s->weekend;
	return r * sc_holiday(sp, local) * sc_share(sp, t);
}

/*
 * Add reporter sp's hours to c->v and c->cov (coverage: the share of the
 * hour reported).  own: the case is this reporter's own series, so hours
 * before it was born are unknown and, without coverage, an hour more than
 * half silent is unknown (librrd's xff) and one less so is scaled up.
 */
static void
sc_add(struct sc_case *c, const struct spec *sp, int own)
{
	uint64_t st = sp->seed * 0x9E3779B97F4A7C15ULL + 1;
	int64_t	 bs[MAXBURST], be[MAXBURST], t, ts;
	double	 bf[MAXBURST], eps = 0, mean, rep, x, lam;
	size_t	 i, nb = 0, b;
	int	 j;
	double	 weeks = (double)c->n / 168.0;

	/*
	 * Campaign bursts: 1-4 hours, +40 to +150 %, at random times but
	 * at least half a day apart (so each is a short burst, not a run).
	 */
	for (x = sp->s->bursts * weeks; nb < MAXBURST && x >= 1; x--) {
		bs[nb] = c->t0 + (int64_t)(sc_unit(&st) * (double)c->n) * 3600 +
		    (int64_t)(sc_unit(&st) * 3600);
		be[nb] = bs[nb] + 3600 + (int64_t)(sc_unit(&st) * 3 * 3600);
		bf[nb] = 1.4 + 1.1 * sc_unit(&st);
		for (b = 0; b < nb; b++)
			if (bs[nb] < be[b] + 12 * 3600 &&
			    be[nb] + 12 * 3600 > bs[b])
				break;
		nb += b == nb;
	}
	for (i = 0; i < c->n; i++) {
		t = c->t0 + (int64_t)i * 3600;
		eps = sp->s->rho * eps +
		    sqrt(1.0 - sp->s->rho * sp->s->rho) * sp->s->sigma *
			sc_normal(&st);
		mean = rep = 0;
		for (j = 0; j < SUBSTEPS; j++) {
			ts = t + j * (3600 / SUBSTEPS) + 3600 / SUBSTEPS / 2;
			if (sp->born != 0 && ts < sp->born)
				continue;
			if (ts >= sp->gap_from && ts < sp->gap_to) {
				rep += sp->gap_zeros ? 1.0 / SUBSTEPS : 0;
				continue;
			}
			rep += 1.0 / SUBSTEPS;
			x = sc_rate(sp, ts) / SUBSTEPS;
			if (sp->ramp > 0 && ts < sp->born + sp->ramp)
				x *= 0.1 +
				    0.9 * (double)(ts - sp->born) /
					(double)sp->ramp;
			for (b = 0; b < nb; b++)
				if (ts >= bs[b] && ts < be[b])
					x *= bf[b];
			mean += x;
		}
		lam = mean * exp(eps - sp->s->sigma * sp->s->sigma / 2.0);
		x = sc_poisson(&st, lam);
		if (!own) {
			c->v[i] += x;
			if (c->cov != NULL)
				c->cov[i] += rep;
			continue;
		}
		if (sp->born != 0 && t + 3600 <= sp->born)
			x = NAN;
		else if (c->cov == NULL && rep < 0.5)
			x = NAN;
		else if (c->cov == NULL && rep < 1.0 && !sp->gap_zeros)
			x = round(x / rep);
		c->v[i] = x;
		if (c->cov != NULL)
			c->cov[i] = rep;
	}
}

/* Start a case of days days from from; -1 when out of memory. */
static int
sc_begin(struct sc_case *c, const char *event, const char *sensor,
    const char *series, int64_t from, int days, int with_cov)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->event, sizeof(c->event), "%s", event);
	snprintf(c->sensor, sizeof(c->sensor), "%s", sensor);
	snprintf(c->series, sizeof(c->series), "%s", series);
	c->t0 = from;
	c->n = (size_t)days * 24;
	if ((c->v = calloc(c->n, sizeof(double))) == NULL)
		return -1;
	if (with_cov && (c->cov = calloc(c->n, sizeof(double))) == NULL)
		return -1;
	return 0;
}

/* Note what happened. */
static void
sc_truth(struct sc_case *c, int64_t t, double pct, int64_t back)
{
	struct sc_truth *x = &c->truth[c->ntruth++];

	x->time = t;
	x->size_pct = pct;
	x->required = pct <= -30.0;
	x->back = back;
}

/* A spec of sensor s with the given seed and no events. */
static struct spec
sc_spec(const struct sensor *s, uint64_t seed)
{
	struct spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.s = s;
	sp.scale = 1.0;
	sp.seed = seed + sc_variant;
	return sp;
}

/* Add a knot. */
static void
sc_knot(struct spec *sp, int64_t t, double share, int ramp)
{
	sp->k[sp->nk].t = t;
	sp->k[sp->nk].share = share;
	sp->k[sp->nk].ramp = ramp;
	sp->nk++;
}

/* McColo on sensor s: left is the share left, born when the source began. */
static int
sc_mccolo(struct sc_case *c, const struct sensor *s, double left, int64_t born,
    uint64_t seed)
{
	int64_t	    fall = utc(2008, 11, 11, 21, 0);
	int64_t	    blip = utc(2008, 11, 15, 22, 0);
	struct spec sp = sc_spec(s, seed);

	if (sc_begin(c, born ? "McColo, 10-day-old source" : "McColo", s->name,
		"spam", utc(2008, 9, 1, 0, 0), 122, 0) == -1)
		return -1;
	sp.born = born;
	sc_knot(&sp, fall, left, 0);
	sc_knot(&sp, blip, left + 0.3 * (1.0 - left), 0);
	sc_knot(&sp, blip + 5 * 3600, left, 0);
	sc_knot(&sp, utc(2008, 11, 16, 6, 0), left, 0);
	sc_knot(&sp, utc(2009, 1, 1, 0, 0), 0.55, 1);
	sc_add(c, &sp, 1);
	sc_truth(c, fall, (left - 1.0) * 100.0, 0);
	/* The few hours back online: a rise that may or may not be seen. */
	sc_truth(c, blip, 30.0 * (1.0 - left) / left, blip + 5 * 3600);
	return 0;
}

/* A sum of three reporters (50, 30 and 20 %) whose first has a gap. */
static int
sc_reporters(struct sc_case *c, const char *event, int with_cov,
    int64_t gap_from, int64_t gap_to, int zeros, uint64_t seed)
{
	static const double shares[] = {0.5, 0.3, 0.2};
	struct spec	    sp;
	unsigned	    i;

	if (sc_begin(c, event, "3 reporters", "_total", utc(2011, 2, 1, 0, 0),
		89, with_cov) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		sp = sc_spec(&REPORTER, seed + i);
		sp.scale = shares[i] / 0.5;
		if (i == 0) {
			sp.gap_from = gap_from;
			sp.gap_to = gap_to;
			sp.gap_zeros = zeros;
		}
		sc_add(c, &sp, 0);
	}
	return 0;
}

/* Build case i of variant (a different draw of the same noise). */
int
sc_make(unsigned i, unsigned variant, struct sc_case *c)
{
	struct spec sp;
	int64_t	    t;
	int	    r = 0;

	memset(c, 0, sizeof(*c));
	sc_variant = (uint64_t)variant * 1000003ULL;
	switch (i) {
	case 0:
		return sc_mccolo(c, &IRONPORT, 0.34, 0, 101);
	case 1:
		return sc_mccolo(c, &SPAMCOP, 0.25, 0, 102);
	case 2:
		return sc_mccolo(
		    c, &IRONPORT, 0.34, utc(2008, 11, 1, 0, 0), 103);
	case 3:
		if (sc_begin(c, "Rustock Christmas pause", IRONPORT.name,
			"spam", utc(2010, 10, 20, 0, 0), 123, 0) == -1)
			return -1;
		sp = sc_spec(&IRONPORT, 104);
		sp.holidays = HOL_SPAM;
		sc_knot(&sp, t = utc(2010, 12, 25, 6, 0), 0.50, 0);
		sc_knot(&sp, utc(2011, 1, 10, 0, 0), 0.96, 0);
		sc_add(c, &sp, 1);
		sc_truth(c, t, -50.0, utc(2011, 1, 10, 0, 0));
		return 0;
	case 4:
	case 5:
		if (sc_begin(c, "Rustock takedown",
			i == 4 ? IRONPORT.name : SPAMCOP.name, "spam",
			utc(2011, 1, 15, 0, 0), 105, 0) == -1)
			return -1;
		sp = sc_spec(i == 4 ? &IRONPORT : &SPAMCOP, 100 + i);
		sc_knot(&sp, t = utc(2011, 3, 16, 14, 45), 33.0 / 52.0, 0);
		sc_add(c, &sp, 1);
		sc_truth(c, t, (33.0 / 52.0 - 1.0) * 100.0, 0);
		return 0;
	case 6:
	case 7:
		if (sc_begin(c, "3FN/Pricewert",
			i == 6 ? IRONPORT.name : SPAMCOP.name, "spam",
			utc(2009, 4, 10, 0, 0), 100, 0) == -1)
			return -1;
		sp = sc_spec(i == 6 ? &IRONPORT : &SPAMCOP, 100 + i);
		sc_knot(
		    &sp, t = utc(2009, 6, 5, 1, 0), i == 6 ? 0.70 : 0.85, 0);
		sc_knot(&sp, utc(2009, 6, 7, 6, 0), i == 6 ? 0.70 : 0.85, 0);
		sc_knot(&sp, utc(2009, 6, 8, 18, 0), 1.0, 1);
		sc_add(c, &sp, 1);
		sc_truth(c, t, i == 6 ? -30.0 : -15.0, utc(2009, 6, 8, 6, 0));
		return 0;
	case 8:
		if (sc_begin(c, "Grum", IRONPORT.name, "spam",
			utc(2012, 5, 15, 0, 0), 108, 0) == -1)
			return -1;
		sp = sc_spec(&IRONPORT, 108);
		sc_knot(&sp, t = utc(2012, 7, 18, 10, 0), 0.82, 0);
		sc_add(c, &sp, 1);
		sc_truth(c, t, -18.0, 0);
		return 0;
	case 9:
	case 10:
	case 11:
		if (sc_begin(c, "control: holidays",
			i == 9 ? IRONPORT.name : MXHAM.name,
			i == 10 ? "ham" : "spam", utc(2009, 10, 20, 0, 0), 103,
			0) == -1)
			return -1;
		sp = sc_spec(i == 9 ? &IRONPORT
			: i == 10   ? &MXHAM
				    : &MXSPAM,
		    100 + i);
		sp.holidays = i == 10 ? HOL_HAM : HOL_SPAM;
		sc_add(c, &sp, 1);
		return 0;
	case 12:
	case 13:
	case 14:
		t = i == 12 ? utc(2011, 4, 12, 10, 30)
			    : utc(2011, 4, 21, 13, 10);
		return sc_reporters(c,
		    i == 12	  ? "control: reporter silent 2 h"
			: i == 13 ? "control: reporter silent 4 h"
				  : "control: reporter silent 4 h, no cov",
		    i != 14, t, t + (i == 12 ? 2 : 4) * 3600, 0, 100 + i);
	case 15:
		return sc_reporters(c, "control: reporter sends zeros 2 h", 1,
		    utc(2011, 4, 13, 9, 30), utc(2011, 4, 13, 11, 30), 1, 115);
	case 16:
	case 17:
		if (sc_begin(c,
			i == 16 ? "control: sends zeros 2 h"
				: "control: sends zeros 2 h, no cov",
			REPORTER.name, "spam", utc(2011, 2, 1, 0, 0), 89,
			i == 16) == -1)
			return -1;
		sp = sc_spec(&REPORTER, 100 + i);
		sp.gap_from = utc(2011, 4, 13, 9, 30);
		sp.gap_to = sp.gap_from + 2 * 3600;
		sp.gap_zeros = 1;
		sc_add(c, &sp, 1);
		return 0;
	case 18:
		if (sc_begin(c, "control: gradual -20 % month", IRONPORT.name,
			"spam", utc(2011, 1, 1, 0, 0), 120, 0) == -1)
			return -1;
		sp = sc_spec(&IRONPORT, 118);
		sc_knot(&sp, utc(2011, 3, 1, 0, 0), 1.0, 0);
		sc_knot(&sp, utc(2011, 3, 31, 0, 0), 0.8, 1);
		sc_add(c, &sp, 1);
		return 0;
	case 19:
	case 20:
	case 21:
	case 22:
		/* Summer time ends 2010-10-31, begins 2011-03-27. */
		if (sc_begin(c, "control: daylight saving", MXHAM.name,
			i % 2 ? "spam" : "ham",
			i < 21 ? utc(2010, 9, 1, 0, 0) : utc(2011, 1, 20, 0, 0),
			90, 0) == -1)
			return -1;
		sp = sc_spec(i % 2 ? &MXSPAM : &MXHAM, 100 + i);
		sc_add(c, &sp, 1);
		return 0;
	case 23:
		if (sc_begin(c, "control: new source ramping up", REPORTER.name,
			"spam", utc(2011, 3, 1, 0, 0), 90, 1) == -1)
			return -1;
		sp = sc_spec(&REPORTER, 123);
		sp.born = utc(2011, 4, 5, 10, 0);
		sp.ramp = 72 * 3600;
		sc_add(c, &sp, 1);
		return 0;
	case 24:
		if (sc_reporters(c, "control: new source ramping up", 1, 0, 0,
			0, 124) == -1)
			return -1;
		sp = sc_spec(&REPORTER, 130);
		sp.born = utc(2011, 4, 5, 10, 0);
		sp.ramp = 72 * 3600;
		sp.scale = 2.0 / 3.0;
		sc_add(c, &sp, 0);
		return 0;
	case 25:
		if (sc_begin(c, "control: campaign bursts", BURSTY.name, "spam",
			utc(2011, 1, 1, 0, 0), 120, 0) == -1)
			return -1;
		sp = sc_spec(&BURSTY, 125);
		sc_add(c, &sp, 1);
		return 0;
	case 26:
	case 27:
		if (sc_begin(c,
			i == 26 ? "control: 300 msgs a day"
				: "control: 300 msgs an hour",
			SMALLDAY.name, "spam", utc(2011, 1, 1, 0, 0), 120,
			0) == -1)
			return -1;
		sp = sc_spec(i == 26 ? &SMALLDAY : &SMALLHOUR, 100 + i);
		sc_add(c, &sp, 1);
		return 0;
	case 28:
	case 29:
		if (sc_begin(c, "control: half a year of noise",
			i == 28 ? IRONPORT.name : SPAMCOP.name, "spam",
			utc(2011, 1, 1, 0, 0), 182, 0) == -1)
			return -1;
		sp = sc_spec(i == 28 ? &IRONPORT : &SPAMCOP, 100 + i);
		sc_add(c, &sp, 1);
		return 0;
	default:
		r = -1;
	}
	return r;
}

/* How many cases sc_make builds. */
unsigned
sc_count(void)
{
	return 30;
}

/* Free a case's arrays. */
void
sc_free(struct sc_case *c)
{
	free(c->v);
	free(c->cov);
	c->v = c->cov = NULL;
}

/* Judge the findings of a case. */
void
sc_judge(const struct sc_case *c, const struct detect_finding *f, long nf,
    struct sc_result *res)
{
	const struct sc_truth *x;
	long		       k;
	unsigned	       j, matched[SC_MAX_TRUTH] = {0}, extra = 0;
	int		       mine;

	memset(res, 0, sizeof(*res));
	res->ok = 1;
	for (k = 0; k < nf; k++) {
		if (f[k].kind == DETECT_OUTAGE || f[k].kind == DETECT_COVERAGE)
			res->others++;
		if (f[k].kind != DETECT_FALL && f[k].kind != DETECT_RISE)
			continue;
		res->findings++;
		mine = 0;
		for (j = 0; j < c->ntruth && !mine; j++) {
			x = &c->truth[j];
			if ((f[k].change_pct < 0) != (x->size_pct < 0) ||
			    llabs(f[k].start - x->time) > 12 * 3600)
				continue;
			mine = 1;
			if (matched[j]++ == 0 && j == 0) {
				res->found = 1;
				res->start = f[k].start;
				res->confirmed = f[k].confirmed;
				res->ret = f[k].ret;
				res->change_pct = f[k].change_pct;
			}
		}
		extra += !mine;
	}
	snprintf(res->verdict, sizeof(res->verdict), "ok");
	for (j = 0; j < c->ntruth; j++) {
		x = &c->truth[j];
		if (matched[j] > 1) {
			res->ok = 0;
			snprintf(res->verdict, sizeof(res->verdict),
			    "FOUND %u TIMES", matched[j]);
		} else if (x->required && matched[j] == 0) {
			res->ok = 0;
			snprintf(res->verdict, sizeof(res->verdict), "MISSED");
		} else if (!x->required && matched[j] == 0 && j == 0)
			snprintf(res->verdict, sizeof(res->verdict),
			    "ok (under 30 %%)");
		else if (j == 0 && x->required &&
		    llabs(res->start - x->time) > 3 * 3600) {
			res->ok = 0;
			snprintf(res->verdict, sizeof(res->verdict), "LATE");
		} else if (j == 0 && x->required &&
		    fabs(res->change_pct - x->size_pct) > 10.0) {
			res->ok = 0;
			snprintf(res->verdict, sizeof(res->verdict), "SIZE");
		}
	}
	if (extra > 0) {
		res->ok = 0;
		snprintf(res->verdict, sizeof(res->verdict), "%u FALSE", extra);
	}
}

/* Write t as "YYYY-MM-DD HH:MM", or "-" when 0. */
static void
sc_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t	  x = (time_t)t;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&x, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/* Print the header of the table sc_row prints. */
void
sc_header(FILE *fp, const char *prefix)
{
	fprintf(fp,
	    "%s%-38s %-13s %-6s %-16s %6s  %-16s %6s %5s %-16s %2s %2s  %s\n",
	    prefix, "event", "sensor", "series", "truth (UTC)", "size",
	    "found start", "size", "after", "return", "n", "o", "verdict");
}

/* Print one case and what was found in it, as a row of the table. */
void
sc_row(FILE *fp, const char *prefix, const struct sc_case *c,
    const struct sc_result *res)
{
	char tt[24], ft[24], rt[24], size[16], fsize[16], after[24];

	sc_time(c->ntruth ? c->truth[0].time : 0, tt, sizeof(tt));
	sc_time(res->found ? res->start : 0, ft, sizeof(ft));
	sc_time(res->found ? res->ret : 0, rt, sizeof(rt));
	snprintf(size, sizeof(size), c->ntruth ? "%+.1f" : "-",
	    c->ntruth ? c->truth[0].size_pct : 0.0);
	snprintf(fsize, sizeof(fsize), res->found ? "%+.1f" : "-",
	    res->found ? res->change_pct : 0.0);
	if (res->found)
		snprintf(after, sizeof(after), "%lldh",
		    (long long)((res->confirmed - c->truth[0].time) / 3600));
	else
		snprintf(after, sizeof(after), "-");
	fprintf(fp,
	    "%s%-38s %-13s %-6s %-16s %6s  %-16s %6s %5s %-16s %2u %2u  %s\n",
	    prefix, c->event, c->sensor, c->series, tt, size, ft, fsize, after,
	    rt, res->findings, res->others, res->verdict);
}
