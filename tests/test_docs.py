"""The README against the code it describes: every limit it states is the value in settings.py,
every command it shows is one the command line's parser (or the Makefile, or the benchmark's
parser) takes, with options that exist, and every file it names is in the repository. A setting,
a command or an option changed without the README fails here."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pop_analytics import access, cli, settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Sentences wrap anywhere in the README: phrases are looked for with every run of white space as one space.
FLAT = re.sub(r"\s+", " ", README)
BENCHMARKS = importlib.import_module("benchmarks.__main__")

MB = 1024 * 1024  # the README's MB are the settings' 1024 * 1024 bytes
MINUTE = 60.0

# (setting, a README phrase whose group is the value it states, the unit of that value, what the README adds
# to it): value * unit + offset must equal the setting. Every phrase must be found, and every match must agree.
LIMITS = [
    ("MAX_UPLOAD_BYTES", r"\| `MAX_UPLOAD_BYTES` \| (\d+) MB \|", MB, 0),
    ("MAX_UPLOAD_BYTES", r"more than the (\d+) MB this tool accepts", MB, 0),
    ("MAX_FILE_BYTES", r"\| `MAX_FILE_BYTES` \| (\d+) MB \|", MB, 0),
    ("MAX_UNCOMPRESSED_BYTES", r"\| `MAX_UNCOMPRESSED_BYTES` \| (\d+) MB \|", MB, 0),
    ("MAX_UNCOMPRESSED_BYTES", r"unpacks to more than (\d+) MB", MB, 0),
    ("MAX_COMPRESSION_RATIO", r"\| `MAX_COMPRESSION_RATIO` \| ([\d,]+) \|", 1, 0),
    ("MAX_ARCHIVE_MEMBERS", r"\| `MAX_ARCHIVE_MEMBERS` \| ([\d,]+) \|", 1, 0),
    ("MAX_SHEET_CELLS", r"\| `MAX_SHEET_CELLS` \| ([\d,]+) \|", 1, 0),
    ("MAX_SHEET_CELLS", r"more than (\d+) cells from A1", 1, 0),
    ("MAX_COLUMNS", r"\| `MAX_COLUMNS` \| ([\d,]+) \|", 1, 0),
    ("MAX_COLUMNS", r"a monitoring sheet has at most (\d+)", 1, 0),
    ("MAX_FIELD_CHARS", r"\| `MAX_FIELD_CHARS` \| ([\d,]+) \|", 1, 0),
    ("MAX_FIELD_CHARS", r"A cell holds more than (\d+) characters", 1, 0),
    ("READ_MEMORY_BYTES", r"\| `READ_MEMORY_BYTES` \| (\d+) MB \|", MB, 0),
    ("READ_MEMORY_BYTES", r"needed more than (\d+) MB of memory", MB, 0),
    ("READ_SECONDS", r"\| `READ_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("READ_SECONDS", r"took more than (\d+) seconds, so it was stopped", 1, 0),
    ("MAX_PROBLEMS_PER_KIND", r"\| `MAX_PROBLEMS_PER_KIND` \| ([\d,]+) \|", 1, 0),
    ("MAX_PROBLEMS_PER_KIND", r"At most (\d+) problems of one kind are listed", 1, 0),
    ("MAX_WRONG_VALUES", r"\| `MAX_WRONG_VALUES` \| ([\d,]+) \|", 1, 0),
    ("MAX_WRONG_VALUES", r"already holds ([\d,]+) different values that could not be read", 1, 0),
    ("READ_WAIT_SECONDS", r"\| `READ_WAIT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("READ_WAIT_SECONDS", r"a page or read command waits up to (\d+) s for a write in progress", 1, 0),
    ("WRITE_WAIT_SECONDS", r"\| `WRITE_WAIT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("WRITE_WAIT_SECONDS", r"a writer up to (\d+) s;", 1, 0),
    ("WRITE_WAIT_SECONDS", r"\(at most (\d+) s, then \"busy, try again\"\)", 1, 0),
    ("RESTORE_WAIT_SECONDS", r"\| `RESTORE_WAIT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("LOCK_POLL_SECONDS", r"\| `LOCK_POLL_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("PG_CONNECT_SECONDS", r"\| `PG_CONNECT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("REPORTING_MONTHS_SHOWN", r"\| `REPORTING_MONTHS_SHOWN` \| (\d+) \|", 1, 0),
    ("MAX_DEADLINE_DAYS", r"\| `MAX_DEADLINE_DAYS` \| (\d+) \|", 1, 0),
    ("DEADLINE_NOTICE_DAYS", r"\| `DEADLINE_NOTICE_DAYS` \| (\d+) \|", 1, 0),
    ("NOTICE_DAYS", r"\| `NOTICE_DAYS` \| (\d+) \|", 1, 0),
    ("SENDING_LEASE_MINUTES", r"\| `SENDING_LEASE_MINUTES` \| (\d+) \|", 1, 0),
    ("SMTP_TIMEOUT_SECONDS", r"\| `SMTP_TIMEOUT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("PG_POLL_SECONDS", r"\| `PG_POLL_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("PG_RETRY_SECONDS", r"\| `PG_RETRY_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("MAX_SESSIONS_PER_PROCESS", r"\| `MAX_SESSIONS_PER_PROCESS` \| (\d+) \|", 1, 0),
    ("MAX_SESSIONS_PER_PROCESS", r"the (\d+)st tab is refused", 1, -1),
    ("MAX_CONCURRENT_SIGNINS", r"\| `MAX_CONCURRENT_SIGNINS` \| (\d+) \|", 1, 0),
    # argon2 holds 64 MiB per check: a burst holds the checks' count times that
    ("MAX_CONCURRENT_SIGNINS", r"a burst holds at most (\d+) MiB more", 1 / 64, 0),
    ("SIGNIN_QUEUE_SECONDS", r"\| `SIGNIN_QUEUE_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("SIGNIN_FREE_TRIES", r"`SIGNIN_MAX_WAIT_SECONDS` \| (\d+), [\d.]+ s, [\d.]+ s \|", 1, 0),
    ("SIGNIN_FIRST_WAIT_SECONDS", r"`SIGNIN_MAX_WAIT_SECONDS` \| \d+, ([\d.]+) s, [\d.]+ s \|", 1, 0),
    ("SIGNIN_MAX_WAIT_SECONDS", r"`SIGNIN_MAX_WAIT_SECONDS` \| \d+, [\d.]+ s, ([\d.]+) s \|", 1, 0),
    ("SIGNIN_FREE_TRIES", r"After (\d+) failed sign-ins within", 1, 0),
    ("SIGNIN_WINDOW_MINUTES", r"failed sign-ins within (\d+) minutes for one name", 1, 0),
    ("SIGNIN_WINDOW_MINUTES", r"failures per name or address in (\d+) minutes", 1, 0),
    ("SIGNIN_FIRST_WAIT_SECONDS", r"doubling from (\d+) s up to", 1, 0),
    ("SIGNIN_MAX_WAIT_SECONDS", r"doubling from \d+ s up to (\d+) minutes", MINUTE, 0),
    ("SIGNIN_REFUSALS_AUDIT_SECONDS", r"\| `SIGNIN_REFUSALS_AUDIT_SECONDS` \| ([\d.]+) s \|", 1, 0),
    ("MIN_PASSWORD_CHARS", r"3 passes\); at least (\d+) characters", 1, 0),
    ("IDLE_MINUTES", r"A session ends after (\d+) minutes without use", 1, 0),
    ("SESSION_MAX_HOURS", r"after (\d+) hours whatever the use", 1, 0),
    ("SESSION_MAX_HOURS", r"(?:past|passed) (\d+) hours", 1, 0),
    ("HEADER_SEARCH_ROWS", r"the header is the row, among the first (\d+),", 1, 0),
    ("EARLIEST_DATE_YEAR", r"(?:not|or) before (\d{4})", 1, 0),
    ("MAX_COUNT", r"a count above (\d+) million \(`MAX_COUNT`", 1_000_000, 0),
    ("REVIEW_PAGE_ROWS", r"(\d+) to a page \(`REVIEW_PAGE_ROWS`\)", 1, 0),
    ("UPLOAD_PREVIEW_ROWS", r"`UPLOAD_PREVIEW_ROWS` \((\d+)\)", 1, 0),
    ("TABLE_ROW_LIMIT", r"`TABLE_ROW_LIMIT` \(([\d,]+)\)", 1, 0),
    ("MAX_RULE_SEARCHES", r"`MAX_RULE_SEARCHES` \(([\d,]+)\)", 1, 0),
    ("EXCEL_MAX_ROWS", r"within its ([\d,]+)-row limit", 1, 0),
]

# Settings whose default an environment variable may override in the process running the tests.
FROM_ENVIRONMENT = {"IDLE_MINUTES": "POP_IDLE_MINUTES"}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize(("name", "phrase", "unit", "offset"), LIMITS,
                         ids=[f"{name}-{i}" for i, (name, *_) in enumerate(LIMITS)])
def test_every_limit_the_readme_states_is_the_one_settings_holds(name: str, phrase: str, unit: float,
                                                                  offset: float) -> None:
    if os.environ.get(FROM_ENVIRONMENT.get(name, "")):
        pytest.skip(f"{FROM_ENVIRONMENT[name]} overrides the default the README states")
    found = re.findall(phrase, FLAT)
    assert found, f"the README no longer says {phrase!r}: say {name} again, or change this table"
    for value in found:
        assert _number(value) * unit + offset == getattr(settings, name), (name, value)


def _limit_table_rows() -> Iterator[str]:
    """The rows of the README's tables whose first heading is a limit or a setting."""
    in_table = False
    for line in README.splitlines():
        if re.match(r"\| (limit|setting)\b", line):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and not line.startswith("|---"):
            yield line


def test_every_setting_a_limit_table_names_exists_and_its_value_is_checked() -> None:
    checked = {name for name, *_ in LIMITS}
    named = {name for row in _limit_table_rows() for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    assert len(named) >= 20
    settings_source = Path(settings.__file__).read_text(encoding="utf-8")
    environment = {name for name in named if f'"{name}"' in settings_source}  # POP_BASE_URL: read by settings
    assert named - environment <= set(vars(settings)), "the README names a setting settings.py does not have"
    assert named - environment <= checked, "a limit table's row whose value no LIMITS phrase checks"


def test_every_environment_variable_the_readme_names_is_read_by_settings() -> None:
    settings_source = Path(settings.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r"\b(POP_[A-Z_]+)\b", README))
    assert named >= {"POP_DB", "POP_IDLE_MINUTES", "POP_PUBLIC_VIEW", "POP_BASE_URL"}
    assert {name for name in named if f'"{name}"' not in settings_source} == set()


def test_the_streamlit_uploader_stops_files_at_the_limit_the_readme_gives() -> None:
    """The README says Streamlit's own uploader stops larger files at MAX_UPLOAD_BYTES."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert "Streamlit's own uploader stops larger files at the same limit" in FLAT
    assert config["server"]["maxUploadSize"] * MB == settings.MAX_UPLOAD_BYTES


def test_the_readme_names_the_default_database_and_the_session_cookie_settings_use() -> None:
    assert "`--db PATH`, else `$POP_DB`, else `data/pop.duckdb`" in FLAT
    assert settings.DB_ENV_VAR == "POP_DB"
    assert settings.DEFAULT_DB == ROOT / "data" / "pop.duckdb"
    assert f"Signing in sets `{settings.SESSION_COOKIE}`" in FLAT


# ── commands ─────────────────────────────────────────────────────────────────────────────────

def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (argparse has no public way to list them)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return dict(parser._option_string_actions)


def _listed_options(parser: argparse.ArgumentParser) -> set[str]:
    """The options a reader is told of (not --help, not hidden ones kept only to be refused)."""
    return {option for action in parser._actions if action.option_strings and action.help != argparse.SUPPRESS
            and not isinstance(action, argparse._HelpAction) for option in action.option_strings}


class Synopsis:
    """A command as the README writes it (`users add NAME --role a|b [--municipality M]…`), read
    against a parser: the subcommands it names, the options it gives and their choices, and the
    placeholders left for positional arguments."""

    def __init__(self, parser: argparse.ArgumentParser, text: str) -> None:
        self.parser = parser
        self.path: list[str] = []
        self.options: set[str] = set()
        self.positionals = 0
        self.problems: list[str] = []
        self._read(text.replace("\\|", "|").split())

    def _read(self, tokens: list[str]) -> None:
        tokens = [token.strip("[]…") for token in tokens]
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if not token:
                continue
            if token.startswith("-"):
                i = self._option(token.split("=")[0], tokens, i)
            elif token in _subcommands(self.parser) and not self.positionals:
                self.path.append(token)
                self.parser = _subcommands(self.parser)[token]
            else:
                self.positionals += 1

    def _option(self, name: str, tokens: list[str], i: int) -> int:
        action = _options(self.parser).get(name)
        if action is None:
            self.problems.append(f"{' '.join(self.path) or 'the command line'} has no option {name}")
            return i
        self.options.add(name)
        if action.nargs == 0:
            return i
        value = tokens[i] if i < len(tokens) else ""
        if "|" in value and action.choices is not None and set(value.split("|")) != set(action.choices):
            self.problems.append(f"{name} takes {sorted(action.choices)}, the README says {value}")
        return i + 1


CODE_LINES = [line for block in re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S) for line in block.splitlines()]
INLINE_CODE = [re.sub(r"\s+", " ", span)
               for span in re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", README, flags=re.S))]


def _runs(prefix: str, texts: list[str]) -> list[str]:
    """What follows prefix in each text that holds it (a shell comment left out, a `$(…)` file name
    reduced to a word)."""
    return [re.sub(r"\$\([^)]*\)", "X", re.sub(r"\s+#.*", "", text.split(prefix, 1)[1])).strip()
            for text in texts if prefix in text]


# In code blocks the commands as a reader pastes them (and the synopsis); inline, also a command's
# name in a sentence (`python -m pop_analytics import`) or with placeholders (`show ID`).
CLI_PASTED = _runs("-m pop_analytics", CODE_LINES)
CLI_RUNS = CLI_PASTED + _runs("-m pop_analytics", INLINE_CODE)
# The command table's first cells, each command of a cell on its own (`users list [--json]` / `users passwd NAME`).
TABLE_COMMANDS = [command for cells in re.findall(r"^\| ((?:`[^`]+`(?: / )?)+) \|", README, flags=re.M)
                  for command in re.findall(r"`([^`]+)`", cells)
                  if command.split()[0] in _subcommands(cli.parser())]
REPORT_SYNOPSIS = re.search(r"`(report \[--year Y\][^`]*)`", FLAT)


def test_the_readme_shows_commands_of_every_kind() -> None:
    assert len(CLI_RUNS) >= 15
    assert len(TABLE_COMMANDS) >= 20
    assert REPORT_SYNOPSIS is not None


@pytest.mark.parametrize("run", CLI_RUNS)
def test_every_command_line_the_readme_shows_names_a_real_command_and_real_options(run: str) -> None:
    synopsis = Synopsis(cli.parser(), run)
    assert synopsis.problems == []
    assert synopsis.path or run.startswith(("[--db", "…")), f"no command in {run!r}"


@pytest.mark.parametrize("run", [run for run in CLI_PASTED if not re.search(r"[\[…]", run)])
def test_every_whole_command_the_readme_shows_parses(run: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A command written out in full, as a reader would paste it, is accepted by the parser."""
    try:
        cli.parser().parse_args(shlex.split(run))
    except SystemExit:
        pytest.fail(f"{run!r}: {capsys.readouterr().err}")


TABLE_AND_SYNOPSIS = TABLE_COMMANDS + [REPORT_SYNOPSIS.group(1) if REPORT_SYNOPSIS else ""]


@pytest.mark.parametrize("command", TABLE_AND_SYNOPSIS,
                         ids=[f"{' '.join(c.split()[:2])}-{i}" for i, c in enumerate(TABLE_AND_SYNOPSIS)])
def test_each_command_the_table_lists_has_exactly_the_options_and_arguments_the_parser_has(command: str) -> None:
    synopsis = Synopsis(cli.parser(), command)
    assert synopsis.problems == []
    common = {"--db", "--lang"}
    assert synopsis.options == _listed_options(synopsis.parser) - common, command
    positionals = [a for a in synopsis.parser._actions if not a.option_strings and a.nargs != argparse.PARSER]
    assert synopsis.positionals == len(positionals), command


def test_the_command_table_lists_every_command_and_action_of_the_parser() -> None:
    listed = {tuple(Synopsis(cli.parser(), command).path) for command in TABLE_COMMANDS}
    parser_has = set()
    for name, command in _subcommands(cli.parser()).items():
        actions = _subcommands(command)
        parser_has |= {(name, action) for action in actions} if actions else {(name,)}
    assert listed == parser_has


def test_the_roles_the_readme_offers_users_add_are_the_roles_access_knows() -> None:
    assert "`users add NAME --role coordinator\\|partner\\|donor" in README
    assert access.ROLES == ("coordinator", "partner", "donor")


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))


@pytest.mark.parametrize("run", sorted({run for text in CODE_LINES + INLINE_CODE
                                        for run in re.findall(r"^make ([a-z]+(?: [A-Z_]+=\S+)*)", text)}))
def test_every_make_target_the_readme_names_is_in_the_makefile(run: str) -> None:
    target, *variables = run.split()
    assert target in _make_targets()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for variable in variables:
        assert variable.split("=")[0] in makefile, run


BENCH_RUNS = [run for run in _runs("python -m benchmarks", CODE_LINES + INLINE_CODE) if not run.startswith(".")]
BENCH_SPANS = re.findall(r"`(--(?:only|skip) [a-z][^`]*)`", FLAT)


@pytest.mark.parametrize("run", BENCH_RUNS + BENCH_SPANS)
def test_every_benchmark_command_the_readme_shows_parses(run: str, capsys: pytest.CaptureFixture[str]) -> None:
    if run == "--help":
        assert "--help" in _options(BENCHMARKS.parser())
        return
    try:
        BENCHMARKS.parser().parse_args(shlex.split(run))
    except SystemExit:
        pytest.fail(f"{run!r}: {capsys.readouterr().err}")


def test_the_readme_lists_every_figure_the_benchmark_measures() -> None:
    assert len(BENCH_RUNS + BENCH_SPANS) >= 8
    listed = re.search(r"\(`--only`/`--skip` ([a-z ]+), run counts\)", FLAT)
    assert listed is not None
    assert tuple(listed.group(1).split()) == BENCHMARKS.FIGURES
    assert importlib.util.find_spec("benchmarks.sessions") is not None  # `python -m benchmarks.sessions`


# ── files ────────────────────────────────────────────────────────────────────────────────────

# Written by a command the README gives, not kept in the repository.
WRITTEN = {"data/POP_template.xlsx", "benchmarks/.cache/", "data/pop.duckdb"}
PATHS = sorted((set(re.findall(r"`((?:pop_analytics|tests|data|app_pages|benchmarks|scripts|docs|\.streamlit|\.ci)"
                               r"/[^`\s]*)`", README)) | set(re.findall(r"\]\((docs/[^)]+)\)", README))) - WRITTEN)


@pytest.mark.parametrize("path", PATHS)
def test_every_file_the_readme_names_is_in_the_repository(path: str) -> None:
    assert list(ROOT.glob(path.rstrip("/"))), path


def test_the_layout_names_every_module_of_the_package() -> None:
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`pop_analytics/([a-z0-9_]+)\.py`", layout))
    modules = {p.stem for p in (ROOT / "pop_analytics").glob("*.py")} - {"__init__", "__main__"}
    assert modules - named == set(), "a module without a row in README › Layout"
    assert named - modules == set(), "a row in README › Layout for a module that is gone"
    app = {p.name for p in (ROOT / "pop_analytics" / "app").glob("*.py")} - {"__init__.py"}
    app_row = next(line for line in layout.splitlines() if line.startswith("| `pop_analytics/app/`"))
    assert {name for name in app if f"`{name}`" not in app_row} == set()
