"""Every path and limit the package uses, declared once with the reason it exists."""
from __future__ import annotations

import os
import re
from pathlib import Path

# The repository root: data files ship beside the package, not inside it.
ROOT = Path(__file__).resolve().parent.parent

# Reference data (municipalities, themes, statuses, types, column names) is data, edited without code.
REFERENCE_DIR = ROOT / "data" / "reference"

# The demo data set loaded by `demo` and by `make run` on a machine with no database yet.
DEMO_DIR = ROOT / "data" / "demo"

# The browser tab's icon, served by the app itself (a Material icon would be fetched from Google).
FAVICON = ROOT / "data" / "favicon.png"

# The report's PDF layout (Typst): every word in it comes from a JSON file written beside it.
REPORT_LAYOUT = ROOT / "data" / "report" / "report.typ"

# Text shown to people, one catalogue per language.
CATALOGUE_DIR = ROOT / "data" / "i18n"

# The system of record when neither --db nor POP_DB says otherwise.
DEFAULT_DB = ROOT / "data" / "pop.duckdb"

# Environment variable naming the database, so the app, CLI and tests agree without flags.
DB_ENV_VAR = "POP_DB"

# Title rows above the header are common; a header further down than this is not a header.
HEADER_SEARCH_ROWS = 30

# An upload on the dashboard: partners' sheets are a few thousand rows (well under 1 MB); 20 MB
# leaves room for a year of a large municipality and refuses a runaway file before it is read.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# A file imported from the command line (the machine owner's tool): a whole network's year as one
# CSV of a million rows is about 130 MB.
MAX_FILE_BYTES = 200 * 1024 * 1024

# A workbook's parts once inflated: a 100,000-row sheet is about 55 MB of XML; past this a file is
# a bomb or far beyond what a partner sends. Counted by inflating, since declared sizes can lie.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

# Spreadsheet XML deflates 5-20 times; a part that claims more than this per byte is a zip bomb.
MAX_COMPRESSION_RATIO = 100

# A workbook holds a few dozen parts; thousands are a crafted archive.
MAX_ARCHIVE_MEMBERS = 1000

# A sheet is read from A1 to its last cell: a value in the far corner (XFD1048576) would make that
# seventeen billion cells. A million rows of twenty columns is more than any monitoring sheet.
MAX_SHEET_CELLS = 20_000_000

# Our widest sheet has 16 columns; a few dozen extra are notes. Thousands are not a monitoring sheet.
MAX_COLUMNS = 200

# Excel's own limit for the text of one cell.
MAX_FIELD_CHARS = 32_767

# The child process that parses a workbook may use this much memory above what it starts with,
# and this much time: past either the file is refused, and the server is unharmed.
READ_MEMORY_BYTES = 768 * 1024 * 1024
READ_SECONDS = 15.0

# A count of events or people in one row: Albania has 2.8 million people, so more than this is a
# typing slip (and the database's whole numbers end at 2.1 billion).
MAX_COUNT = 10_000_000

# Monitoring started with the 2013 local-government cycle; earlier dates are typing mistakes.
EARLIEST_DATE_YEAR = 2013

# A partner's sheet holds a few dozen spellings per vocabulary: past this many values in one import
# that need the matching rule's search, the file is not such a sheet, and the rest are refused
# without one (each search costs up to 0.1 ms; a hostile file may hold a million distinct values).
MAX_RULE_SEARCHES = 5_000

# A saved mapping maps a cell's spelling: longer than a header or a label would be, it is not one.
MAX_ALIAS_CHARS = 200

# One import report lists at most this many problems of one kind before summarising the rest.
MAX_PROBLEMS_PER_KIND = 200

# A partner's sheet holds a few dozen different wrong values per column: past this many, the
# column is not such a sheet and its other values are left unread (and counted), since reading
# each one costs up to 40 µs and a hostile file holds millions.
MAX_WRONG_VALUES = 1000

# The Upload page shows a file's first rows as read (upload_view.read_preview); a session keeps only
# these of a checked file, so a large or hostile upload does not stay in the server's memory.
UPLOAD_PREVIEW_ROWS = 50

# A browser table longer than this is unreadable and slow to send; the rest of the rows download.
TABLE_ROW_LIMIT = 1000

# An import's rows per page in a coordinator's review: a screen's worth, read before approving.
REVIEW_PAGE_ROWS = 25

# A KPI tile narrower than this cuts its figure: on a 390 px phone two tiles still fit side by side.
TILE_MIN_WIDTH = 150

# A table's columns on a 390 px phone (about 350 px of grid): a long text a reader needs (a priority's
# title, a reviewer's comment) beside a status, which is as wide as its longest label; it wraps.
PHONE_TEXT_COLUMN_PX = 150
# ... a label beside three figures (a target's indicator, a compared KPI), wrapping, and each figure
# with its heading of about ten letters (a target, what was achieved, the share reached, a difference).
PHONE_LABEL_COLUMN_PX = 110
PHONE_NUMBER_COLUMN_PX = 80
# Streamlit wraps a table's text only in rows taller than 4rem (64 px): this holds three lines.
WRAPPED_ROW_PX = 68

# Excel's own sheet limit (1,048,576 rows less the header): longer tables download as CSV only.
EXCEL_MAX_ROWS = 1_048_575

# A page or a read command waits this long for an import in progress (a 1M-row CSV stores in
# about 4 s) before saying the data is busy; longer would look like a hung page.
READ_WAIT_SECONDS = 15.0

# A writer waits this long for readers and another writer to finish before saying "busy, try
# again": long enough to queue behind one large import, short enough for a person to wait.
WRITE_WAIT_SECONDS = 30.0

# Restore replaces the whole file, so it does not queue: it is refused unless the database falls
# idle within this time.
RESTORE_WAIT_SECONDS = 5.0

# ── PostgreSQL mode (POP_DB=postgresql://…) ──
# A server that does not answer within this is reported as unreachable: a page then serves the data
# it holds at once instead of hanging on a connection.
PG_CONNECT_SECONDS = 3

# A replica that missed a notification still catches up within this (the version row is the truth).
PG_POLL_SECONDS = 2.0

# While the server cannot be reached, a page run tries again at most this often (each try can cost
# PG_CONNECT_SECONDS); the process's listener keeps trying in the background meanwhile.
PG_RETRY_SECONDS = 5.0

# A replica is loaded from PostgreSQL in batches of about this much CSV: memory while loading 10M
# rows stays near the replica's own size instead of the whole table as text.
PG_COPY_BATCH_BYTES = 32 * 1024 * 1024

# How often a waiting reader or writer tries the lock again: short against a page's 100 ms budget.
LOCK_POLL_SECONDS = 0.02

# This app never reaches the network: DuckDB must not fetch or load extensions on its own.
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False, "autoload_known_extensions": False}

# ── sign-in ──
# A session left alone this long ends (a shared office computer is the usual risk); POP_IDLE_MINUTES overrides it.
IDLE_MINUTES = float(os.environ.get("POP_IDLE_MINUTES", "30"))

# However active, a session ends after a working day, so a stolen cookie does not live for weeks.
SESSION_MAX_HOURS = 12.0

# Failed sign-ins for one name or from one address within this window count towards slowing down.
SIGNIN_WINDOW_MINUTES = 15.0

# A person mistyping gets this many tries at full speed; after them each try waits, doubling.
SIGNIN_FREE_TRIES = 5
SIGNIN_FIRST_WAIT_SECONDS = 2.0

# The longest wait between tries: long enough to make guessing useless, short enough not to lock a person out.
SIGNIN_MAX_WAIT_SECONDS = 300.0

# argon2 checks running at once in one process: each holds 64 MiB, so a burst of guesses holds at
# most this many times that, and a person's own sign-in still finishes in well under a second.
MAX_CONCURRENT_SIGNINS = 2

# A sign-in waits this long for a check to be free before being told to try again: a burst of
# guesses delays people, never piles up in memory.
SIGNIN_QUEUE_SECONDS = 10.0

# Sign-ins refused while slowed are written to the audit log at most this often per address,
# with their count: each is recorded, and a flood of them is not a flood of writes.
SIGNIN_REFUSALS_AUDIT_SECONDS = 60.0

# Shorter passwords are guessed offline from a stolen backup in hours even with argon2.
MIN_PASSWORD_CHARS = 10

# Names are typed at sign-in and shown in the history: short, printable, no spaces at the ends.
MAX_USER_NAME_CHARS = 64

# The cookie that carries a signed-in browser's session (HttpOnly: page scripts cannot read it).
SESSION_COOKIE = "pop_session"

# Donors may read approved aggregates without signing in when this is set (POP_PUBLIC_VIEW=1);
# off by default, since it publishes the network's figures to anyone who can reach the server.
PUBLIC_DONOR_VIEW = os.environ.get("POP_PUBLIC_VIEW", "") in ("1", "true", "yes", "on")

# The address people open the app at when it is not this machine (behind a proxy:
# https://pop.example.org). The app's WebSocket and its forms accept pages from this origin and
# from the address a request on this machine names; a page on any other origin, another port of
# localhost included, is refused.
BASE_URL = os.environ.get("POP_BASE_URL", "").strip().rstrip("/")

# Host names that are this machine: a page served under any other name (DNS rebinding) is not the app's.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# WebSocket sessions one app process holds at once (measured: see README › Running it for a
# network); past this a new tab is told the server is full instead of slowing everyone down.
MAX_SESSIONS_PER_PROCESS = 100

# Screen charts (Vega-Lite specs with their data) one app process keeps, keyed by what they show:
# readers opening the same views skip building and validating the chart (about half of Overview's
# server run). Every page's charts measured 8 KB each on average (demo), 16 KB at 1M rows, 77 KB at most:
# about 4 MB kept, 20 MB at the very most.
CHART_SPECS_KEPT = 256

# Folded sort keys (text.folded) one process keeps: the tracker sorts its priorities by municipality,
# cycle and code at every rerun, 10,000 codes at 1M rows (about 15 ms of folding each time). An entry
# is two short strings, under 200 bytes: at most about 13 MB.
FOLDS_KEPT = 65_536

# The licence the open data package (python -m pop_analytics publish) is published under, and who
# is credited: data meant to be reused needs both. POP_OPEN_DATA_ATTRIBUTION names the publisher.
OPEN_DATA_LICENCE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
OPEN_DATA_ATTRIBUTION = os.environ.get("POP_OPEN_DATA_ATTRIBUTION", "").strip() or "POP Network"

# ── the API ──
# A token's name says where it is used ("the network's website"): a line, not a text.
MAX_TOKEN_LABEL_CHARS = 80

# A token's uses are written this long after the first use since the last write, by a thread of
# their own: reading the API never waits for the write lock, and a process killed loses at most
# this many seconds of counts.
TOKEN_USES_FLUSH_SECONDS = 5.0

# Requests per minute for one token (or one address reading the public view): a website polling
# every few seconds fits; a script looping without pause is slowed with 429 and Retry-After.
API_REQUESTS_PER_MINUTE = 120

# Rows per page of a list: the default keeps a response small; the largest still one quick query.
API_PAGE_ROWS = 100
API_MAX_PAGE_ROWS = 1000

def _origins(variable: str) -> tuple[str, ...]:
    """Origins (https://host or http://host:port) listed comma-separated in an environment variable;
    anything else is left out, so that no value can add to the headers they are written into."""
    listed = (item.strip().rstrip("/").lower() for item in os.environ.get(variable, "").split(","))
    return tuple(item for item in listed if re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", item))


# Pages of other origins whose scripts may read the API (CORS), comma-separated; none by default.
API_CORS_ORIGINS = _origins("POP_API_CORS_ORIGINS")

# Sites that may show the app's pages in a frame (an embedded tile or chart), comma-separated:
# Content-Security-Policy frame-ancestors; none but the app itself by default (clickjacking).
EMBED_ORIGINS = _origins("POP_EMBED_ORIGINS")

# ── the calendar and the messages ──
# The Reporting page without a chosen year shows the last two years: enough to see a pattern of
# lateness, few enough columns to read on a phone.
REPORTING_MONTHS_SHOWN = 24

# A report due more than a year after its period ends is not a deadline any more.
MAX_DEADLINE_DAYS = 366

# A partner is reminded of a deadline this many days before it.
DEADLINE_NOTICE_DAYS = 5

# Notifications look back this far (a review, a deadline passed): a new user or a new installation
# is told what is current, not years of history.
NOTICE_DAYS = 45

# An e-mail whose sending started this long ago and was never marked sent (the notify process died
# mid-send) is tried again: long enough for any SMTP conversation to end.
SENDING_LEASE_MINUTES = 10

# Seconds to wait for the mail server: a notify run started by a timer must end, not hang.
SMTP_TIMEOUT_SECONDS = 20

# An address is one line of at most 254 characters (RFC 5321), with one @ and a domain with a dot.
MAX_EMAIL_CHARS = 254

# How often each kind of message may come: at once, in a daily or a weekly digest, or never.
CADENCES = ("immediately", "daily", "weekly", "never")


def mail_settings() -> dict[str, str]:
    """The mail server (POP_SMTP_URL: smtp://, smtp+starttls:// or smtps://host:port; credentials only
    in POP_SMTP_USER and POP_SMTP_PASSWORD), the sender (POP_MAIL_FROM) and the address links point
    to (POP_BASE_URL), read when a run starts so that a changed environment counts at once."""
    return {"smtp_url": os.environ.get("POP_SMTP_URL", "").strip(), "user": os.environ.get("POP_SMTP_USER", ""),
            "password": os.environ.get("POP_SMTP_PASSWORD", ""),
            "sender": os.environ.get("POP_MAIL_FROM", "").strip() or "POP Analytics <pop-analytics@localhost>",
            "base_url": os.environ.get("POP_BASE_URL", "").strip().rstrip("/")}


# Languages with a catalogue; the first is the default for partners.
LANGUAGES = ("sq", "en")


def database_spec(explicit: str | os.PathLike | None = None) -> str:
    """The database to use: an explicit path or postgresql:// URL, else $POP_DB, else the default file."""
    return str(explicit or os.environ.get(DB_ENV_VAR) or DEFAULT_DB)


def database_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database file to use (see database_spec)."""
    return Path(database_spec(explicit))
