#!/usr/bin/env python3
"""Makes the checker's own test files with real tools (openpyxl, LibreOffice) and writes the
right answer for each beside it as FILE.expected.json, in the format of shared/fixtures.

Every value is synthetic: names like 张某某, codes and ID numbers computed to pass their check
digits unless a row is meant to fail. Run from this folder: python3 make_fixtures.py
"""
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import zipfile

import openpyxl

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
UNIT = "长治市市场监督管理局"
UNIT_CODE = "11140400PF0B26Q50G"


def uscc(body17):
    s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS))
    return body17 + USCC_ALPHABET[(31 - s % 31) % 31]


def id_number(body17):
    s = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS))
    return body17 + "10X98765432"[s % 11]


def broken(code):
    """The same code with a wrong last character."""
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


LICENSING = ["行政相对人名称", "行政相对人类别", "行政相对人代码_1(统一社会信用代码)",
             "行政相对人代码_2(工商注册号)", "行政相对人代码_3(组织机构代码)",
             "行政相对人代码_4(税务登记号)", "行政相对人代码_5(事业单位证书号)",
             "行政相对人代码_6(社会组织登记证号)", "法定代表人", "法定代表人证件类型", "法定代表人证件号码",
             "证件类型", "证件号码", "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称",
             "许可编号", "许可内容", "许可决定日期", "有效期自", "有效期至", "许可机关",
             "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "备注"]


def licensing_row(i, **over):
    row = {h: None for h in LICENSING}
    row.update({
        "行政相对人名称": f"长治市测试商贸有限公司第{i}分公司",
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1(统一社会信用代码)": uscc(f"91140400MA0{i:06d}"),
        "法定代表人": "王某某",
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": f"长市监许〔2025〕{300 + i}号",
        "许可类别": "普通",
        "许可内容": "预包装食品销售",
        "许可决定日期": "2025-06-01",
        "有效期自": "2025-06-01",
        "有效期至": "2030-05-31",
        "许可机关": UNIT,
        "许可机关统一社会信用代码": UNIT_CODE,
        "当前状态": "0",
        "数据来源单位": UNIT,
        "数据来源单位统一社会信用代码": UNIT_CODE,
    })
    row.update(over)
    return [row[h] for h in LICENSING]


def person(i, **over):
    base = dict(**{"行政相对人名称": "赵某某", "行政相对人类别": "自然人",
                   "行政相对人代码_1(统一社会信用代码)": None, "法定代表人": None,
                   "证件类型": "身份证", "证件号码": id_number(f"14040219800101{i:03d}")})
    base.update(over)
    return licensing_row(i, **base)


def write_expected(path, dataset, rows, issues):
    invalid = len({r for r, _, s in issues if s == "error"})
    data = {"dataset": dataset, "rows": rows, "invalid": invalid, "valid": rows - invalid,
            "issues": [{"row": r, "field": f, "severity": s} for r, f, s in issues]}
    with open(path + ".expected.json", "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)


def office_workbook():
    """A licensing workbook written as text cells, then saved by LibreOffice as .xls and .ods."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "行政许可"
    ws.append(["行政许可信息（测试单位）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(LICENSING))
    ws.append([h + "（必填）" if h in ("行政相对人名称", "许可类别") else h for h in LICENSING])
    rows = [
        licensing_row(1),
        licensing_row(2, **{"有效期至": "长期"}),
        licensing_row(3, **{"许可类别": "其他-备案"}),
        person(4),
        licensing_row(5, **{"许可决定日期": "2025年6月1日", "有效期自": "2025/6/1"}),
        licensing_row(6, **{"行政相对人代码_1(统一社会信用代码)": broken(uscc("91140400MA0000006"))}),
        licensing_row(7, **{"有效期至": "2024-01-01"}),
        person(8, **{"法定代表人": "钱某某"}),
        licensing_row(9, **{"许可决定日期": "25-6-1"}),
        licensing_row(10, **{"行政相对人代码_3(组织机构代码)": "79013765-X"}),
    ]
    for r in rows:
        ws.append(r)
    ws.append([None] * len(LICENSING))  # a trailing empty row
    issues = [(8, "统一社会信用代码", "error"), (9, "有效期至", "error"),
              (10, "法定代表人", "error"), (11, "许可决定日期", "error")]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "licensing_office.xlsx")
        wb.save(src)
        for ext, filt in (("xls", "xls:MS Excel 97"), ("ods", "ods")):
            subprocess.run(["soffice", "--headless", "--convert-to", filt, "--outdir", tmp, src],
                           check=True, capture_output=True)
            out = f"licensing_office.{ext}"
            shutil.copy(os.path.join(tmp, out), out)
            write_expected(out, "licensing", len(rows), issues)


PENALTY = ["行政相对人名称", "行政相对人类别", "统一社会信用代码", "工商注册号", "组织机构代码", "税务登记号",
           "事业单位证书号", "社会组织登记证号", "法定代表人", "法定代表人证件类型", "法定代表人证件号码",
           "证件类型", "证件号码", "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别",
           "处罚内容", "罚款金额(万元)", "没收违法所得、没收非法财物的金额(万元)", "暂扣或吊销证照名称及编号",
           "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
           "数据来源单位统一社会信用代码", "备注"]


def penalty_row(i, **over):
    row = {h: None for h in PENALTY}
    row.update({
        "行政相对人名称": f"长治市测试物流有限公司第{i}分公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": uscc(f"91140400MA1{i:06d}"),
        "法定代表人": "李某某",
        "行政处罚决定书文号": f"长市监罚〔2025〕{500 + i}号",
        "违法行为类型": "违反《中华人民共和国食品安全法》",
        "违法事实": "经营超过保质期的食品",
        "处罚依据": "《中华人民共和国食品安全法》第一百二十四条",
        "处罚类别": "警告;罚款",
        "处罚内容": "警告，并处罚款",
        "罚款金额(万元)": 0.5,
        "处罚决定日期": datetime.date(2025, 3, 18),
        "处罚有效期": datetime.date(2026, 3, 18),
        "处罚机关": UNIT,
        "处罚机关统一社会信用代码": UNIT_CODE,
        "数据来源单位": UNIT,
        "数据来源单位统一社会信用代码": UNIT_CODE,
    })
    row.update(over)
    return [row[h] for h in PENALTY]


def penalty_1904():
    """A workbook in the 1904 date system: date cells and bare serial numbers in date columns."""
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(PENALTY)
    ws.append(penalty_row(1))
    # 2025-03-18 as a bare 1904 serial number: (2025-03-18 - 1904-01-01).days
    serial = (datetime.date(2025, 3, 18) - datetime.date(1904, 1, 1)).days
    ws.append(penalty_row(2, **{"处罚决定日期": serial, "处罚有效期": "2026-03-18"}))
    ws.append(penalty_row(3, **{"罚款金额(万元)": 7.000000000000001}))
    ws.append(penalty_row(4, **{"处罚类别": "没收违法所得、没收非法财物", "罚款金额(万元)": None,
                                "没收违法所得、没收非法财物的金额(万元)": 1.2}))
    ws.append(penalty_row(5, **{"处罚决定日期": datetime.date(2099, 1, 1)}))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    wb.save("penalty_1904.xlsx")
    write_expected("penalty_1904.xlsx", "penalty", 5, [(6, "处罚决定日期", "error")])


def penalty_number_codes():
    """Codes typed into number cells: an 18-digit one is damaged, a 15-digit one is fine."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PENALTY)
    ws.append(penalty_row(1, **{"工商注册号": 310115600985533}))
    ws.append(penalty_row(2, **{"行政相对人类别": "自然人", "统一社会信用代码": None, "法定代表人": None,
                                "证件类型": "身份证", "证件号码": 440981199001011234}))
    ws.append(penalty_row(3, **{"处罚类别": "罚款", "罚款金额(万元)": 50000}))
    hidden = wb.create_sheet("旧数据")
    hidden.append(["行政相对人名称"])
    hidden.append(["长治市某某有限公司"])
    hidden.sheet_state = "hidden"
    wb.save("penalty_number_codes.xlsx")
    write_expected("penalty_number_codes.xlsx", "penalty", 3,
                   [(3, "证件号码", "error"), (4, "罚款金额(万元)", "warning")])


def csv_files():
    header = ",".join(LICENSING)
    good = [licensing_row(1), person(2), licensing_row(3, **{"许可决定日期": "２０２５年６月１日"})]
    bad = licensing_row(4, **{"行政相对人名称": None})
    lines = [header] + [",".join("" if v is None else str(v) for v in r) for r in good + [bad]]
    text = "\r\n".join(lines) + "\r\n"
    with open("licensing_utf8_bom.csv", "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
    write_expected("licensing_utf8_bom.csv", "licensing", 4, [(5, "行政相对人名称", "error")])
    with open("licensing_gb18030.csv", "wb") as f:
        f.write(text.encode("gb18030"))
    write_expected("licensing_gb18030.csv", "licensing", 4, [(5, "行政相对人名称", "error")])


def hostile_files():
    # A zip bomb: a "worksheet" of 2 GiB of one repeated byte compresses to about 2 MB.
    with zipfile.ZipFile("zip_bomb.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b" " * (1 << 20)
            for _ in range(2048):
                f.write(chunk)
    # A truncated file: the first half of a real workbook.
    data = open("penalty_1904.xlsx", "rb").read()
    open("truncated.xlsx", "wb").write(data[: len(data) // 2])
    # An ODS whose repeat attributes expand to 96 million cells with a value.
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">\n'
        '<office:body><office:spreadsheet><table:table table:name="S">\n'
        '<table:table-row table:number-rows-repeated="6000"><table:table-cell '
        'table:number-columns-repeated="16000" office:value-type="string"><text:p>x</text:p>'
        '</table:table-cell></table:table-row>\n'
        '</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile("ods_repeat_bomb.ods", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    # An .xls with a cell in A1 and one in IV65536: a full sheet's rectangle for two cells.
    wb = openpyxl.Workbook()
    wb.active["A1"] = "行政相对人名称"
    wb.active.cell(row=65536, column=256).value = "x"
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(os.path.join(tmp, "xls_far_corner.xlsx"))
        subprocess.run(["soffice", "--headless", "--convert-to", "xls:MS Excel 97", "--outdir", tmp,
                        os.path.join(tmp, "xls_far_corner.xlsx")], check=True, capture_output=True)
        shutil.copy(os.path.join(tmp, "xls_far_corner.xls"), "xls_far_corner.xls")
    # Files that only carry an .xls name.
    open("html_disguised.xls", "w", encoding="utf-8").write(
        "<html><body><table><tr><td>行政相对人名称</td></tr></table></body></html>")
    open("xml2003.xls", "w", encoding="utf-8").write(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>')


if __name__ == "__main__":
    office_workbook()
    penalty_1904()
    penalty_number_codes()
    csv_files()
    hostile_files()
