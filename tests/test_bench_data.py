"""The fast paths `make bench` measures read, validate and count exactly as the plain ones do.

The benchmark itself (python -m benchmarks) times them at a million rows; these tests only check
sameness, on small files: the pyarrow CSV reader against the csv module, per-distinct-value
parsing against the normalisers, the KPI's generated filter SQL against the shared filter SQL,
and the benchmark's generated files against the importer.
"""
from __future__ import annotations

import codecs
import datetime as dt
import math

import pytest

from benchmarks import data as bench_data
from pop_analytics import importing, reading, store

TODAY = dt.date(2026, 11, 21)
HEADER = "Data,Bashkia,Lloji i aktivitetit,Pjesëmarrës gjithsej,Gra,Burra,Tema"


def _sheet_state(sheet: reading.Sheet) -> tuple:
    return (sheet.name, sheet.kind, sheet.header_row, sheet.headers, [list(sheet.cells[f]) for f in sheet.cells],
            list(sheet.excel_rows), sheet.totals, sheet.ignored_headers)


def _by_csv_module(data: bytes, name: str) -> reading.Sheet | None:
    """The sheet as the csv module reads the file, row by row."""
    utf8, _repairs = reading._clean_text(data, name)
    text = utf8.decode("utf-8")
    [(table, rows)] = reading._read_csv(utf8, reading.sniff_delimiter(text), name)
    return reading.tabulate(table, rows)


CSV_FILES = {
    "plain": f"{HEADER}\n01.02.2024,Tiranë,Fokus grup,20,10,10,Uji\n",
    "quotes and newlines": f'{HEADER}\r\n"01.02.2024","Tirana","Fokus grup","20","10","10","Uji; Rrugët"\r\n'
                           f'02.02.2024,Durrës,"Forum\npublik",30,,,"Uji, ""Rrugët"""\r\n',
    "title, blank and total rows": f"Raporti 2024,,,,,,\n,,,,,,\n{HEADER}\n01.02.2024,Fier,Trajnim,5,2,3,\n"
                                   f",,,,,,\n03.02.2024,Fier,Trajnim,6,3,3,\nGjithsej,,,11,5,6,\n",
    "semicolons": HEADER.replace(",", ";") + "\n01.02.2024;Korçë;Trajnim;5;2;3;Uji, Rrugët\n",
    "tabs": HEADER.replace(",", "\t") + "\n01.02.2024\tKorçë\tTrajnim\t5\t2\t3\t\n",
    "spaces kept": f"{HEADER}\n 01.02.2024 , Tirana ,Fokus grup, 20,10,10, Uji \n",
    "no final newline": f"{HEADER}\n01.02.2024,Tiranë,Fokus grup,20,10,10,Uji",
    "empty line": f"{HEADER}\n\n01.02.2024,Tiranë,Fokus grup,20,10,10,Uji\n",
    "uneven rows": f"{HEADER}\n01.02.2024,Tiranë,Fokus grup\nGjithsej,,,20\n",
    "open quote": f'{HEADER}\n01.02.2024,"Tiranë,Fokus grup,20,10,10,Uji\n',
}


@pytest.mark.parametrize("name", list(CSV_FILES))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250"])
def test_a_csv_reads_as_the_csv_module_reads_it(name, encoding):
    data = CSV_FILES[name].encode(encoding)
    [sheet] = reading.read(data, "aktivitetet.csv").sheets
    assert _sheet_state(sheet) == _sheet_state(_by_csv_module(data, "aktivitetet.csv"))


def test_a_large_csv_takes_the_columnar_path_and_reads_the_same(tmp_path):
    path = tmp_path / "a.csv"
    bench_data.write_csv(path, bench_data.activities(3000, seed=5))
    data = path.read_bytes()
    assert reading._csv_columns(data, ",", path.name) is not None
    [sheet] = reading.read(data, path.name).sheets
    assert isinstance(sheet.cells["municipality"], reading.Cells)
    assert _sheet_state(sheet) == _sheet_state(_by_csv_module(data, path.name))


def test_windows_1250_beyond_the_first_megabyte_is_still_read_as_windows_1250():
    rows = "".join(f"0{1 + i % 9}.02.2024,Tirana,Trajnim,5,2,3,Uji\n" for i in range(40_000))
    data = (HEADER + "\n" + rows + "01.03.2024,Korçë,Trajnim,5,2,3,Uji\n").encode("cp1250")
    assert len(data) > 1 << 20
    [sheet] = reading.read(data, "a.csv").sheets
    assert sheet.cells["municipality"][-1] == "Korçë"
    assert _sheet_state(sheet) == _sheet_state(_by_csv_module(data, "a.csv"))


def test_first_lines_are_those_of_the_whole_text():
    text = "a\r\nb\rc\u2028d\n" * 30_000
    assert reading._first_lines(text, 50) == text.splitlines()[:50]
    assert reading._first_lines("x\ny", 50) == ["x", "y"]


def test_cells_keep_values_of_different_types_apart():
    nan = math.nan
    values = [1, 1.0, True, None, "1", "", 1, nan, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1)]
    cells = reading.Cells.from_values(values)
    back = cells.tolist()
    assert [type(v) for v in back] == [type(v) for v in values]
    assert back[:7] == values[:7] and math.isnan(back[7]) and back[8:] == values[8:]
    assert len(cells.uniques) == 9  # the second 1 repeats the first; 1.0 and True stay apart
    assert cells == values[:7] + [back[7]] + values[8:]
    assert cells[2] is True and cells[-2:] == values[-2:]


def test_taking_rows_keeps_only_the_values_they_hold():
    cells = reading.Cells.from_values(["Data", "Tiranë", "Fier", "Tiranë", "Gjithsej"])
    taken = cells.take(reading.np.array([1, 2, 3]))
    assert taken == ["Tiranë", "Fier", "Tiranë"] and sorted(taken.uniques) == ["Fier", "Tiranë"]
    gapped = cells.take(reading.np.array([1, 3]))
    assert gapped == ["Tiranë", "Tiranë"] and gapped.uniques == ["Tiranë"]


def test_the_generated_benchmark_files_import_cleanly(tmp_path):
    """Small versions of the benchmark's files: every row valid, the workbook's total row agrees."""
    files = {"aktivitetet.csv": lambda p: bench_data.write_csv(p, bench_data.activities(2000, seed=1)),
             "aktivitetet.xlsx": lambda p: bench_data.write_xlsx(p, bench_data.activities(500, seed=2)),
             "prioritetet.csv": lambda p: bench_data.write_csv(p, bench_data.priorities(1220, seed=3))}
    con = store.connect(tmp_path / "bench.duckdb")
    try:
        for name, write in files.items():
            write(tmp_path / name)
            report = importing.import_path(con, tmp_path / name, today=TODAY)
            assert (report.status, report.errors) == ("imported", []), name
            assert not [w for w in report.warnings if w.code == "total_mismatch"], name
        assert con.execute("SELECT count(*) FROM activities").fetchone()[0] == 2500
        assert con.execute("SELECT count(*) FROM priority_status").fetchone()[0] == 1220
        assert con.execute("SELECT count(DISTINCT year) FROM priority_status").fetchone()[0] == len(bench_data.YEARS)
    finally:
        con.close()


def test_generation_is_deterministic(tmp_path):
    for run in ("a", "b"):
        bench_data.write_csv(tmp_path / f"{run}.csv", bench_data.activities(300, seed=9))
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_decoder_prefix_cut_inside_a_character_is_not_an_error():
    data = "ë".encode() * 10
    assert codecs.getincrementaldecoder("utf-8-sig")().decode(data[:5], final=False) == "ëë"
