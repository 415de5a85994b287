"""spamtrend_rules -- what counts as what for the spamtrend reporters: the
rules that make one mail log line spam, ham, virus, rejected or nothing,
per log format, the time stamp of a line, and the table of rspamd actions
that spamtrend-logreport (from rspamd's log) and spamtrend-rspamd (from
rspamd's counters) share.

Pure: no files, no network, no clock but the "now" passed in.  It does not
follow logs, spool or send (spamtrend-logreport does).  The installed
reporters import it from a private directory (see spamtrend-logreport);
FORMATS_HELP, ACTIONS_HELP and TIMES_HELP are the rules in words, for
their --help.
"""
import datetime
import re
import time

CATEGORIES = ("spam", "ham", "virus", "rejected")
EXIM_FLAGS_MAX = 10000  # message ids remembered between a flag and "<="

FORMATS_HELP = """Log formats (one line, one event; a line of another shape counts nothing):

  syslog lines ("Nov 11 20:01:02 host prog[pid]: ...", or an RFC 3339 time
  stamp), with the rules below applied to the program named in the line:

  amavis    "(id) Passed CLEAN" -> ham; "Passed|Blocked SPAM|SPAMMY" ->
            spam; "Passed|Blocked INFECTED" -> virus (BANNED, BAD-HEADER,
            UNCHECKED: not counted)
  spamd     "spamd: result: Y" -> spam; "spamd: result: ." -> ham
  rspamd    its verdict line (rspamd_task_write_log), in syslog or in
            rspamd's own log file ("2008-11-11 20:01:02 #900(normal) ..."):
            the action decides, by the table below
  postfix   smtpd, postscreen and cleanup "NOQUEUE: reject:" and
            "<queue id>: reject:" -> rejected, once per line (temporary
            4xx refusals too: a sender that retries is counted again);
            "reject_warning:" and "milter-reject:" are not counted (the
            filter's own verdict line counts that message)

  Exim's main log ("2008-11-11 20:01:02 [+0100] ..."; or via syslog as
  program exim/exim4):

  exim      "H=... [F=<sender>] rejected RCPT ..." -> rejected (malware is
            only scanned after DATA); "... rejected after DATA: REASON" ->
            virus when REASON mentions a virus or malware, else rejected;
            "<=" arrivals -> ham, or spam or virus when an earlier ACL
            warning of the same message ("<id> H=... Warning: TEXT") has
            "spam=yes", "X-Spam-Flag: YES" or "X-Spam-Status: Yes" (spam)
            or "virus=" or "malware=" (virus) in TEXT.  Only the fields
            Exim writes itself are read: the sender, recipients, HELO and
            message-id are never searched.  "**", "=>" and "==" lines are
            not counted."""

TIMES_HELP = """Time stamps: syslog ("Nov 11 20:01:02", local time, the current year; a
December line read in January belongs to last year), RFC 3339
("2008-11-11T20:01:02.123+01:00") and "2008-11-11 20:01:02 [+0100]"
(Exim, rspamd; local time without a zone)."""

# What each rspamd action counts as; None: not counted.  The one table for
# both reporters (spamtrend-rspamd reads the same actions from rspamd's
# counters); --action NAME=CATEGORY changes a row or adds one.
RSPAMD_ACTIONS = {
    "no action": "ham",
    "greylist": None,          # temporary: the retry gets a final action
    "add header": "spam",
    "rewrite subject": "spam",
    "soft reject": None,       # temporary: the retry gets a final action
    "reject": "spam",
    "discard": "spam",
    "quarantine": "spam",
}
RSPAMD_CUSTOM = "spam"         # an action not in the table (a custom action)

ACTIONS_HELP = """rspamd actions (one table for spamtrend-logreport and spamtrend-rspamd):

  action            category      note
  no action         ham
  greylist          not counted   temporary; the retry gets a final action
  add header        spam
  rewrite subject   spam
  soft reject       not counted   temporary; the retry gets a final action
  reject            spam
  discard           spam          (a forced action)
  quarantine        spam          (a forced action)
  any other         spam          custom actions
  --action NAME=CATEGORY (or NAME=none) changes a row.

  The verdict letter does not matter: T and F (spam or not by score) and S
  (forced: GTUBE, prefilters, antivirus, force_actions) count by their
  action alike.  In the log, a symbol named *_VIRUS in the verdict's symbol
  list (the antivirus module, e.g. CLAM_VIRUS) makes a counted message
  virus.  rspamd's counters (spamtrend-rspamd) know no viruses and do not
  count custom actions."""

MONTHS = {m: i + 1 for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))}

TS_SYSLOG = r"[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d"
TS_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
RE_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) ")
RE_RFC3339 = re.compile(r"^(" + TS_ISO + r") ")
# host, program and message of a syslog line
RE_SYSLOG_LINE = re.compile(r"^(?:" + TS_SYSLOG + "|" + TS_ISO + r") (\S+) "
                            r"([A-Za-z][\w./-]*)(?:\[\d+\])?: (.*)$")
# Exim's main log: time, optional zone and [pid], the rest
RE_EXIM_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:[+-]\d{4} )?"
                          r"(?:\[\d+\] )?(?!#\d+\()(.*)$")
# rspamd's own log file: time, #pid(process), the rest
RE_RSPAMD_FILE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? #\d+\(\w+\) (.*)$")

RE_AMAVIS = re.compile(r"^\([\w-]+\) (?:Passed|Blocked) (CLEAN|SPAMMY|SPAM|INFECTED)\b")
RE_SPAMD = re.compile(r"^spamd: result: ([Y.]) ")
RE_POSTFIX_PROG = re.compile(r"^postfix[\w-]*(?:/[\w.-]+)*/(?:smtpd|cleanup|postscreen)$")
RE_POSTFIX_REJECT = re.compile(r"^(?:NOQUEUE|[0-9A-Za-z]+): reject: ")

# rspamd's verdict, where the log format puts it: after ", " and followed
# by the fixed fields rspamd writes itself.
RE_RSPAMD_VERDICT = re.compile(
    r"\(default: ([TFS]) \(([^()]+)\): \[(?:-?[\d.]+|nan|-?inf)/(?:-?[\d.]+|nan|-?inf)\] "
    r"\[(.*?)\]\), len: \d+, time: [\d.]+m?s, dns req: \d+, digest: <[0-9a-f]+>")
# A symbol of the verdict's list: first, or after the previous one's options.
RE_RSPAMD_VIRUS = re.compile(r"(?:^|\},)[A-Z0-9_]+_VIRUS\(")

# Exim: the fields Exim writes before the event text.  Values that a
# sender controls (the HELO name, the sender address) are matched by
# their exact shape, so text inside them cannot end the match.
EXIM_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}"
EXIM_HOST = r"H=(?:[^\s()\[\]]+ )?(?:\([^\s()]*\) )?\[[0-9A-Fa-f:.]+\](?::\d+)?"
EXIM_ADDR = r"<(?:\"(?:[^\"\\]|\\.)*\"|[^\s\"<>])*>"
EXIM_FIELD = r" (?:F=" + EXIM_ADDR + r"|(?!F=)[A-Z]{1,5}=(?:\"(?:[^\"\\]|\\.)*\"|[^\s\"<]\S*))"
RE_EXIM_EVENT = re.compile(r"^(?:(" + EXIM_ID + r") )?" + EXIM_HOST + "(?:" + EXIM_FIELD + r")*"
                           r" (?:(?:temporarily )?rejected (RCPT|after DATA)\b|(Warning): )(.*)$")
RE_EXIM_ARRIVAL = re.compile(r"^(" + EXIM_ID + r") <= ")
RE_EXIM_SPAM = re.compile(r"\bspam=yes\b|X-Spam-Flag: YES\b|X-Spam-Status: Yes\b", re.I)
RE_EXIM_VIRUS = re.compile(r"\b(?:virus|malware)=", re.I)
RE_EXIM_VIRUS_REASON = re.compile(r"\b(?:virus|malware)\b", re.I)


def parse_time(line, now):
    """Unix time of a log line's time stamp, or None."""
    m = RE_RFC3339.match(line)
    if m:
        text = m.group(1).replace(" ", "T")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.datetime.fromisoformat(text)
        except ValueError:
            dt = None
        if dt is not None:
            rest = line[m.end():]
            tz = re.match(r"([+-])(\d\d)(\d\d) ", rest)  # Exim's log_timezone
            if dt.tzinfo is None and tz:
                off = (int(tz.group(2)) * 60 + int(tz.group(3))) * (1 if tz.group(1) == "+" else -1)
                dt = dt.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=off)))
            if dt.tzinfo is None:
                return time.mktime(dt.timetuple())
            return dt.timestamp()
    m = RE_SYSLOG.match(line)
    if m and m.group(1) in MONTHS:
        year = time.localtime(now).tm_year
        for y in (year, year - 1):
            try:
                t = time.mktime((y, MONTHS[m.group(1)], int(m.group(2)), int(m.group(3)),
                                 int(m.group(4)), int(m.group(5)), 0, 0, -1))
            except (OverflowError, ValueError):
                return None
            # A line more than a day ahead is from last year (read in January).
            if t <= now + 86400:
                return t
        return None
    return None


def action_table(overrides):
    """RSPAMD_ACTIONS with --action NAME=CATEGORY|none rows applied."""
    table = dict(RSPAMD_ACTIONS)
    for o in overrides or ():
        name, _, cat = o.partition("=")
        name, cat = name.strip().lower(), cat.strip().lower()
        if not name or cat not in CATEGORIES + ("none",):
            raise ValueError("--action %r: want NAME=%s or NAME=none" % (o, "|".join(CATEGORIES)))
        table[name] = None if cat == "none" else cat
    return table


def action_category(table, action):
    """The category an rspamd action counts as, or None."""
    return table.get(action, RSPAMD_CUSTOM)


def rspamd_verdict(text):
    """(action, symbols) of rspamd's verdict in a log message, or None.
    The first match that follows ", " is rspamd's own: the message id and
    sender come before it but inside <>, and what follows it is fixed."""
    pos = text.find(", (default: ")
    while pos != -1:
        m = RE_RSPAMD_VERDICT.match(text, pos + 2)
        if m:
            return m.group(2), m.group(3)
        pos = text.find(", (default: ", pos + 1)
    return None


class Classifier:
    """The category of one log line, by the rules of FORMATS_HELP."""

    def __init__(self, exim_flags=None, actions=None):
        self.exim_flags = dict(exim_flags or {})
        self.actions = actions or dict(RSPAMD_ACTIONS)

    def classify(self, line):
        m = RE_RSPAMD_FILE.match(line)
        if m:
            return self.classify_rspamd(m.group(1))
        m = RE_SYSLOG_LINE.match(line)
        if m:
            prog, msg = m.group(2).lower(), m.group(3)
            base = prog.rsplit("/", 1)[-1]
            if base.startswith("amavis"):
                a = RE_AMAVIS.match(msg)
                if a:
                    v = a.group(1)
                    return "ham" if v == "CLEAN" else "virus" if v == "INFECTED" else "spam"
                return None
            if base == "spamd":
                s = RE_SPAMD.match(msg)
                return None if not s else "spam" if s.group(1) == "Y" else "ham"
            if base == "rspamd":
                return self.classify_rspamd(msg)
            if RE_POSTFIX_PROG.match(prog):
                return "rejected" if RE_POSTFIX_REJECT.match(msg) else None
            if base in ("exim", "exim4"):
                return self.classify_exim(msg)
            return None
        m = RE_EXIM_LINE.match(line)
        if m:
            return self.classify_exim(m.group(1))
        return None

    def classify_rspamd(self, msg):
        if "rspamd_task_write_log: " not in msg:
            return None
        v = rspamd_verdict(msg)
        if v is None:
            return None
        cat = action_category(self.actions, v[0])
        if cat is not None and RE_RSPAMD_VIRUS.search(v[1]):
            return "virus"
        return cat

    def classify_exim(self, rest):
        m = RE_EXIM_EVENT.match(rest)
        if m:
            mid, what, warn, text = m.groups()
            if what == "RCPT":
                return "rejected"
            if what == "after DATA":
                return "virus" if RE_EXIM_VIRUS_REASON.search(text) else "rejected"
            if warn and mid:
                flag = "virus" if RE_EXIM_VIRUS.search(text) else \
                    "spam" if RE_EXIM_SPAM.search(text) else None
                if flag:
                    if len(self.exim_flags) >= EXIM_FLAGS_MAX:
                        self.exim_flags.pop(next(iter(self.exim_flags)))
                    if self.exim_flags.get(mid) != "virus":
                        self.exim_flags[mid] = flag
            return None
        m = RE_EXIM_ARRIVAL.match(rest)
        if m:
            return self.exim_flags.pop(m.group(1), None) or "ham"
        return None
