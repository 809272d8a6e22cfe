"""Hostile and oversized files, written for the tests (run as a script to write them into a folder:
`python tests/hostile_files.py OUT_DIR`). Each is built from bytes the way an attacker or a broken
export would, so no parser of ours had a say in making it."""
from __future__ import annotations

import io
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import msoffcrypto
import openpyxl
import xlwt

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{main}"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
{extra}</Types>"""
MAIN_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Aktivitetet" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
{extra}</Relationships>"""
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"

HEADERS = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej"]


def _inline(ref: str, value: object, style: str = "") -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"{style}><is><t>{value}</t></is></c>'


def _row(number: int, values: list) -> str:
    cells = "".join(_inline(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values) if v is not None)
    return f'<row r="{number}">{cells}</row>'


def _package(path: Path, sheet: bytes | Callable[[zipfile.ZipFile], None], main: str = MAIN_XLSX,
             extra_parts: dict[str, bytes] | None = None, extra_types: str = "", extra_rels: str = "") -> Path:
    """A workbook zipped by hand; sheet is the worksheet XML, or a function that writes it streaming."""
    # the fastest deflate: the bombs are gigabytes of one repeated byte, which any level shrinks alike
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main, extra=extra_types))
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra=extra_rels))
        if callable(sheet):
            sheet(archive)
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return path


def _sheet(rows: str, doctype: str = "", dimension: str = "") -> bytes:
    return (SHEET_HEAD.format(doctype=doctype, dimension=dimension) + rows + SHEET_TAIL).encode()


def _streamed_sheet(rows: Callable[[], object], doctype: str = "") -> Callable[[zipfile.ZipFile], None]:
    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            handle.write(SHEET_HEAD.format(doctype=doctype, dimension="").encode())
            for chunk in rows():  # type: ignore[attr-defined]
                handle.write(chunk)
            handle.write(SHEET_TAIL.encode())
    return write


# ── the corpus ───────────────────────────────────────────────────────────────────────────────

def cell_bomb(folder: Path) -> Path:
    """One cell whose text inflates to 1.2 GB: a few MB on disk."""
    def rows():
        yield ('<row r="1">' + "".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS))
               + '</row><row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
        block = b"A" * (1 << 20)
        for _ in range(1200):
            yield block
        yield b"</t></is></c></row>"
    return _package(folder / "cell_bomb.xlsx", _streamed_sheet(rows))


def row_bomb(folder: Path) -> Path:
    """2.1 million valid-looking activity rows (past Excel's own 1,048,576) that deflate to a few MB."""
    # one row written once with a placeholder for its number: a row at a time costs seconds more
    template = _row(999_999_999, ["12.09.2023", "Tiranë", "Fokus grup", 1, 20]).replace("999999999", "%(n)d")

    def rows():
        yield _row(1, HEADERS).encode()
        for start in range(2, 2_100_002, 10_000):
            yield "".join(template % {"n": n} for n in range(start, min(start + 10_000, 2_100_002))).encode()
    return _package(folder / "row_bomb.xlsx", _streamed_sheet(rows))


def far_corner(folder: Path) -> Path:
    """A value in A1 and another in XFD1048576, the last cell Excel has."""
    return _package(folder / "far_corner.xlsx", _sheet(
        '<row r="1">' + _inline("A1", "Data") + '</row><row r="1048576">' + _inline("XFD1048576", "x") + "</row>"))


def far_corner_only(folder: Path) -> Path:
    """Only XFD1048576 is set."""
    return _package(folder / "far_corner_only.xlsx", _sheet('<row r="1048576">' + _inline("XFD1048576", 1) + "</row>"))


def far_corner_styled(folder: Path) -> Path:
    """A styled, empty far corner and a dimension that claims the whole grid."""
    return _package(folder / "far_corner_styled.xlsx", _sheet(
        '<row r="1">' + _inline("A1", "Data") + '</row><row r="1048576"><c r="XFD1048576" s="1"/></row>',
        dimension='<dimension ref="A1:XFD1048576"/>'))


def entity_bomb(folder: Path) -> Path:
    """'Billion laughs': nested entities that expand to gigabytes when a parser resolves them."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    return _package(folder / "entity_bomb.xlsx", _sheet(
        '<row r="1">' + _inline("A1", "&lol9;") + "</row>", doctype=f"<!DOCTYPE lolz [{entities}]>"))


def external_entity(folder: Path) -> Path:
    """XXE: an entity that asks the parser to read a file from the server."""
    return _package(folder / "external_entity.xlsx", _sheet(
        '<row r="1">' + _inline("A1", "&xxe;") + "</row>",
        doctype='<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'))


XXE = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def padded_doctype(folder: Path) -> Path:
    """XXE whose DOCTYPE stands after 80 KB of comment in the prolog, past a guard that reads only
    the first bytes of a part."""
    return _package(folder / "padded_doctype.xlsx", _sheet(
        '<row r="1">' + _inline("A1", "&xxe;") + "</row>", doctype=f"<!-- {'x' * 80_000} -->\n{XXE}"))


def utf16_doctype(folder: Path) -> Path:
    """XXE in a worksheet written in UTF-16 (with its byte-order mark): no ASCII '<!DOCTYPE' in its bytes."""
    text = (SHEET_HEAD.format(doctype=XXE, dimension="").replace('encoding="UTF-8"', 'encoding="UTF-16"')
            + '<row r="1">' + _inline("A1", "&xxe;") + "</row>" + SHEET_TAIL)
    return _package(folder / "utf16_doctype.xlsx", "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))


def utf7_doctype(folder: Path) -> Path:
    """XXE in a worksheet that declares UTF-7, where '+ADw-' is '<': ASCII bytes, none of them '<!DOCTYPE'."""
    text = SHEET_HEAD.format(doctype="+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY xxe SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-",
                             dimension="").replace('encoding="UTF-8"', 'encoding="UTF-7"')
    return _package(folder / "utf7_doctype.xlsx", (text + '<row r="1">' + _inline("A1", "&xxe;") + "</row>"
                                                   + SHEET_TAIL).encode("ascii"))


def valid_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Aktivitetet"
    sheet.append(HEADERS)
    sheet.append(["12.09.2023", "Tiranë", "Fokus grup", 2, 40])
    workbook.save(path)
    return path


def encrypted(folder: Path) -> Path:
    """A workbook saved with a password (Excel's agile encryption in an OLE container)."""
    plain = valid_workbook(folder / "plain_for_encryption.xlsx")
    out = io.BytesIO()
    with open(plain, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.encrypt("sekret", out)
    plain.unlink()
    path = folder / "encrypted.xlsx"
    path.write_bytes(out.getvalue())
    return path


def macro_enabled(folder: Path) -> Path:
    """A .xlsm: the workbook carries a VBA project."""
    return _package(folder / "macros.xlsm", _sheet(_row(1, HEADERS) + _row(2, ["12.09.2023", "Tiranë", "Fokus grup",
                                                                                  1, 20])),
                    main=MAIN_XLSM, extra_parts={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA" + bytes(512)},
                    extra_types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>\n',
                    extra_rels='<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/'
                               'relationships/vbaProject" Target="vbaProject.bin"/>\n')


def old_xls(folder: Path) -> Path:
    """Excel 97-2003 (.xls, BIFF8), as old installations still save."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Aktivitetet")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    for column, value in enumerate(["12.09.2023", "Tiranë", "Fokus grup", 2, 40]):
        sheet.write(1, column, value)
    path = folder / "old.xls"
    book.save(str(path))
    return path


def xlsx_named_csv(folder: Path) -> Path:
    """A workbook whose name says .csv: the bytes decide."""
    path = folder / "really_a_workbook.csv"
    path.write_bytes(valid_workbook(folder / "tmp_valid.xlsx").read_bytes())
    (folder / "tmp_valid.xlsx").unlink()
    return path


def nul_bytes(folder: Path) -> Path:
    path = folder / "nul_bytes.csv"
    path.write_bytes(b"Data,Bashkia,Lloji i aktivitetit,Numri i aktiviteteve\r\n"
                     b"12.09.2023,Tiran\x00\xc3\xab,Fokus grup,2\r\n12.09.2023,Durr\xc3\xabs\x00,Fokus grup,1\r\n")
    return path


def huge_field(folder: Path) -> Path:
    """One quoted field of 50 MB."""
    path = folder / "huge_field.csv"
    with open(path, "wb") as handle:
        handle.write(b"Data,Bashkia,Lloji i aktivitetit,Shenime\r\n12.09.2023,Tirane,Fokus grup,\"")
        block = b"x" * (1 << 20)
        for _ in range(50):
            handle.write(block)
        handle.write(b"\"\r\n")
    return path


def many_columns(folder: Path) -> Path:
    path = folder / "many_columns.csv"
    header = HEADERS + [f"kolona_{i}" for i in range(20_000 - len(HEADERS))]
    row = ["12.09.2023", "Tiranë", "Fokus grup", "1", "20"] + ["x"] * (20_000 - len(HEADERS))
    path.write_text(",".join(header) + "\r\n" + ",".join(row) + "\r\n", encoding="utf-8")
    return path


def invalid_rows(folder: Path, rows: int = 500_000) -> Path:
    """500,000 rows, each wrong in several cells: about 40 MB."""
    path = folder / "invalid_rows.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADERS) + "\r\n")
        line = "32.13.2023,Tyranna,Piknik,-2,shume\r\n"
        handle.writelines(line * min(50_000, rows - start) for start in range(0, rows, 50_000))
    return path


CELL_HEADERS = [*HEADERS, "Gra", "Burra", "Tema"]


def invalid_cells(folder: Path, rows: int = 200_000, name: str = "invalid_cells") -> Path:
    """Every cell wrong and every one different: a month 13 or later, a municipality, a type and a
    theme no vocabulary holds, counts that are no numbers. 200,000 rows are about 13 MB, an upload."""
    path = folder / f"{name}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(CELL_HEADERS) + "\r\n")
        handle.writelines(f"{i % 28 + 1}.{13 + i % 87}.{i},Q {i},L{i},n{i},p{i},g{i},b{i},T{i}\r\n"
                          for i in range(rows))
    return path


def invalid_cells_large(folder: Path) -> Path:
    """The same, 500,000 rows (about 34 MB): a file for the command line."""
    return invalid_cells(folder, 500_000, "invalid_cells_large")


def mixed_encoding(folder: Path) -> Path:
    """UTF-8 throughout, but one row pasted from a Windows-1252 file."""
    path = folder / "mixed_encoding.csv"
    rows = ["Data;Bashkia;Lloji i aktivitetit;Numri i aktiviteteve;Shënime"]
    rows += [f"12.09.2023;Tiranë;Fokus grup;1;çështja {i}" for i in range(20)]
    data = ("\r\n".join(rows) + "\r\n").encode("utf-8")
    data += "12.09.2023;Korçë;Fokus grup;1;çështja e fundit\r\n".encode("cp1252")
    path.write_bytes(data)
    return path


CORPUS: dict[str, Callable[[Path], Path]] = {
    f.__name__: f for f in (cell_bomb, row_bomb, far_corner, far_corner_only, far_corner_styled, entity_bomb,
                            external_entity, padded_doctype, utf16_doctype, utf7_doctype, encrypted, macro_enabled,
                            old_xls, xlsx_named_csv, nul_bytes, huge_field, many_columns, invalid_rows, invalid_cells, invalid_cells_large, mixed_encoding)
}


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {name: build(folder) for name, build in CORPUS.items()}


if __name__ == "__main__":
    for name, written in write_all(Path(sys.argv[1])).items():
        print(f"{name:20} {written.stat().st_size:>12,} {written}")
    _ = zlib  # the streamed members are deflated by zipfile
