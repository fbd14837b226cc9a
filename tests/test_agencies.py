"""One agency, one identity: titles in any order, names joined across years, aliases, staff merges."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from assistant.catalog import Catalog
from assistant.config import Settings
from assistant.query import match_agencies
from assistant.service import Assistant
from helpers import REPORTS
from ingest.agencies import aliases, resolve, same_agency
from ingest.classify import agency_aliases, agency_year_from_title, classify
from ingest.loaders import load_bytes

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
HONGZE_2024 = REPORTS / "淮安市洪泽区人民政府_2024.txt"
TOKEN = "agencies-admin-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

PINGTAN = "平潭综合实验区管委会"
JUNSHAN = "平潭综合实验区君山片区管理局"
NATURAL = "平潭综合实验区自然资源与生态环境局"


# --------------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("title", "agency", "year"),
    [
        ("淮安市洪泽区人民政府2024年政府信息公开工作年度报告", "淮安市洪泽区人民政府", 2024),
        ("2019年淮安市人民政府办公厅政府信息公开工作年度报告", "淮安市人民政府办公厅", 2019),
        ("淮安市生态环境局关于2023年度政府信息公开工作的报告", "淮安市生态环境局", 2023),
        ("关于2023年度淮安市政府办公厅政府信息公开工作的报告", "淮安市政府办公厅", 2023),
        ("淮安市教育局政府信息公开工作年度报告（2023年度）", "淮安市教育局", 2023),
        ("《洪泽区人民政府2023年度政府信息公开工作年度报告》", "洪泽区人民政府", 2023),
        ("平潭综合实验区自然资源与生态环境局2020年政府信息公开年度报告", NATURAL, 2020),
        ("XX市政务公开办公室2023年政府信息公开工作年度报告", "XX市政务公开办公室", 2023),
    ],
)
def test_agency_and_year_from_titles_in_any_order(title, agency, year):
    assert agency_year_from_title(title) == (agency, year)


def _retitled(source: Path, title_lines: list[str], drop_meta: bool = True) -> bytes:
    """A bundled report with its title replaced (and its archive lines dropped)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    body = [
        ln for ln in lines if not drop_meta or not ln.startswith(("#", "标题", "发布", "原文", "数据说明"))
    ]
    return "\n".join([*title_lines, "", *body]).encode("utf-8")


@pytest.mark.parametrize(
    "title_lines",
    [
        ["2024年淮安市洪泽区人民政府政府信息公开工作年度报告"],
        ["淮安市洪泽区人民政府关于2024年度政府信息公开工作的报告"],
        ["2024年淮安市洪泽区人民政府", "政府信息公开工作年度报告"],
        ["淮安市洪泽区人民政府", "2024年政府信息公开工作年度报告"],
    ],
)
def test_report_title_variants_classify_alike(title_lines):
    info = classify(load_bytes(_retitled(HONGZE_2024, title_lines), "download(1).txt"))
    assert (info.kind, info.agency, info.year) == ("report", "淮安市洪泽区人民政府", 2024)


def test_publisher_and_signature_are_names_only_of_the_same_agency():
    natural = classify(load_bytes((REPORTS / f"{NATURAL}_2020.txt").read_bytes(), "a.txt"))
    assert natural.names == {NATURAL: "title"}  # 发布机构 and the signature give the same name
    # 洪泽 2024 is published by the government's 办公室: another body, not an alias of the government.
    hongze = classify(load_bytes(HONGZE_2024.read_bytes(), "b.txt"))
    assert hongze.names == {"淮安市洪泽区人民政府": "title"}
    # No title agency: the signature names it, and a 发布机构 of the same agency is kept as an alias.
    text = _retitled(HONGZE_2024, ["2024年政府信息公开工作年度报告", "发布机构：洪泽区政府"]).decode()
    text += "\n洪泽区人民政府\n2025年2月14日\n"
    unsigned = classify(load_bytes(text.encode(), "c.txt"))
    assert unsigned.agency == "洪泽区人民政府" and unsigned.names == {
        "洪泽区人民政府": "signature",
        "洪泽区政府": "publisher",
    }


# --------------------------------------------------------------------------- the identity rule


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("洪泽区人民政府", "淮安市洪泽区人民政府"),
        ("淮安市政府办公厅", "淮安市人民政府办公厅"),
        ("平潭综合实验区", PINGTAN),
        ("平潭综合实验区管理委员会", PINGTAN),
        ("自然资源与生态环境局", NATURAL),
        ("宁夏回族自治区固原市彭阳县小岔乡人民政府", "彭阳县小岔乡人民政府"),
    ],
)
def test_names_of_one_agency_join(a, b):
    assert same_agency(a, b) and same_agency(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (PINGTAN, JUNSHAN),
        (PINGTAN, NATURAL),
        (JUNSHAN, NATURAL),
        ("彭阳县小岔乡人民政府", "西吉县小岔乡人民政府"),
        ("淮安市人民政府", "淮安市洪泽区人民政府"),
        ("淮安市洪泽区人民政府", "淮安市洪泽区人民政府办公室"),
        ("淮安市人民政府", "淮安市人民政府办公厅"),
        ("淮安市住房和城乡建设局", "淮安市城乡建设局"),
    ],
)
def test_different_agencies_sharing_a_core_stay_apart(a, b):
    assert not same_agency(a, b) and not same_agency(b, a)


def test_canonical_name_does_not_depend_on_the_order_of_ingest():
    first = resolve({"洪泽区人民政府": "title"}, {})
    assert first.canonical == "洪泽区人民政府" and not first.folded
    later = resolve({"淮安市洪泽区人民政府": "title"}, {"洪泽区人民政府": ["洪泽区人民政府"]})
    assert later.canonical == "淮安市洪泽区人民政府" and later.folded == ["洪泽区人民政府"]
    earlier = resolve({"洪泽区人民政府": "title"}, {"淮安市洪泽区人民政府": []})
    assert earlier.canonical == "淮安市洪泽区人民政府" and not earlier.folded
    office = resolve({"淮安市政府办公厅": "title"}, {"淮安市人民政府办公厅": []})
    assert office.canonical == "淮安市人民政府办公厅"
    # An old catalog holding the pair apart: a report of either joins them.
    legacy = {"洪泽区人民政府": [], "淮安市洪泽区人民政府": []}
    assert resolve({"洪泽区人民政府": "title"}, legacy).folded == ["洪泽区人民政府"]
    # A name chosen by hand stays canonical.
    pinned = resolve({"淮安市洪泽区人民政府": "title"}, {"洪泽区人民政府": []}, pinned={"洪泽区人民政府"})
    assert pinned.canonical == "洪泽区人民政府"


def test_a_title_with_the_parents_short_name_joins():
    plan = resolve({"平潭自然资源与生态环境局": "title"}, {NATURAL: []})
    assert plan.canonical == NATURAL and not plan.folded
    assert resolve({"平潭自然资源与生态环境局": "title"}, {PINGTAN: [], JUNSHAN: []}).canonical != PINGTAN


def test_an_ambiguous_name_joins_no_one():
    known = {"彭阳县小岔乡人民政府": [], "西吉县小岔乡人民政府": []}
    plan = resolve({"小岔乡人民政府": "title"}, known)
    assert plan.canonical == "小岔乡人民政府" and not plan.folded
    assert resolve({"彭阳县小岔乡人民政府": "title"}, known).canonical == "彭阳县小岔乡人民政府"


def test_the_pingtan_three_stay_three():
    known: dict[str, list[str]] = {}
    for name in (PINGTAN, JUNSHAN, NATURAL, "平潭综合实验区"):
        plan = resolve({name: "title"}, known)
        known.setdefault(plan.canonical, []).append(name)
    assert sorted(known) == sorted([PINGTAN, JUNSHAN, NATURAL])
    assert known[PINGTAN] == [PINGTAN, "平潭综合实验区"]


# --------------------------------------------------------------------------- aliases


def test_alias_lists():
    assert aliases("淮安市洪泽区人民政府") == [
        "淮安市洪泽区人民政府",
        "洪泽区人民政府",
        "淮安市洪泽区",
        "洪泽区",
        "洪泽",
    ]
    assert aliases("彭阳县小岔乡人民政府")[-2:] == ["小岔乡", "小岔"]
    assert aliases(NATURAL) == [NATURAL, "平潭自然资源与生态环境局", "自然资源与生态环境局"]
    assert {"君山片区", "君山", "平潭综合实验区君山片区"} <= set(aliases(JUNSHAN))
    assert aliases("淮安市人民政府办公厅") == ["淮安市人民政府办公厅", "淮安市政府办公厅"]
    assert agency_aliases(NATURAL) == aliases(NATURAL)  # the question side's entry point
    for name in (
        JUNSHAN,
        NATURAL,
        "淮安市洪泽区人民政府",
        "淮安市人民政府办公厅",
        "淮安市洪泽区人民政府办公室",
    ):
        found = aliases(name)
        assert found == sorted(found, key=len, reverse=True)
        # never a parent region alone, never a bare organ
        assert not {"平潭", "平潭综合实验区", "淮安市", "淮安", "管理局", "办公室", "人民政府"} & set(found)


def test_question_names_the_department_by_its_parents_short_name():
    agencies = ["平潭综合实验区", JUNSHAN, NATURAL, "淮安市洪泽区人民政府", "淮安市人民政府"]
    assert match_agencies("平潭自然资源与生态环境局办公室的邮箱是什么？", agencies)[0] == [NATURAL]
    assert match_agencies("平潭2022年收到多少申请？", agencies)[0] == ["平潭综合实验区"]
    assert match_agencies("君山片区2022年收到多少申请？", agencies)[0] == [JUNSHAN]
    assert match_agencies("淮安市洪泽区2023年收到多少申请？", agencies)[0] == ["淮安市洪泽区人民政府"]
    assert match_agencies("淮安市2024年收到多少申请？", agencies)[0] == ["淮安市人民政府"]


# --------------------------------------------------------------------------- the store


def _assistant(data_dir: Path, **settings) -> Assistant:
    return Assistant(Settings(data_dir=data_dir, ingest_bundled=False, **settings))


@pytest.fixture(scope="module")
def agencies_data_dir(tmp_path_factory) -> Path:
    """洪泽 2024 (text), the same report retitled 「2023年洪泽区人民政府…」 as a 2023 report, and two
    平潭 departments, ingested with the real embedder."""
    data_dir = tmp_path_factory.mktemp("agencies") / "data"
    assistant = _assistant(data_dir)
    retitled = _retitled(HONGZE_2024, ["2023年洪泽区人民政府政府信息公开工作年度报告"]).decode()
    retitled = retitled.replace("2024", "2023")
    results = [
        assistant.ingest_bytes("洪泽_2023.txt", retitled.encode()),
        assistant.ingest_bytes(HONGZE_2024.name, HONGZE_2024.read_bytes()),
        assistant.ingest_bytes(f"{JUNSHAN}_2022.txt", (REPORTS / f"{JUNSHAN}_2022.txt").read_bytes()),
        assistant.ingest_bytes(f"{NATURAL}_2020.txt", (REPORTS / f"{NATURAL}_2020.txt").read_bytes()),
    ]
    assert [r.status for r in results] == ["added"] * 4, [r.message_en for r in results]
    assistant.store.catalog.close()
    return data_dir


@pytest.fixture
def data_dir(agencies_data_dir, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(agencies_data_dir, target)
    return target


def _vector_agencies(assistant: Assistant, doc_id: str) -> set[str]:
    got = assistant.store.collection.get(where={"doc_id": doc_id}, include=["metadatas"])
    return {m["agency"] for m in got["metadatas"]}


def test_reports_of_one_agency_join_across_years(data_dir):
    assistant = _assistant(data_dir)
    docs = {d.source: d for d in assistant.store.documents()}
    hongze = "淮安市洪泽区人民政府"
    assert (docs["洪泽_2023.txt"].agency, docs["洪泽_2023.txt"].year) == (hongze, 2023)
    assert docs[HONGZE_2024.name].agency == hongze
    # The 2023 report came first under 洪泽区人民政府; its vectors were renamed with it.
    assert _vector_agencies(assistant, docs["洪泽_2023.txt"].doc_id) == {hongze}
    table = assistant.store.agency_aliases()
    assert sorted(table) == sorted([hongze, JUNSHAN, NATURAL])
    assert table[hongze] == ["淮安市洪泽区人民政府", "洪泽区人民政府", "淮安市洪泽区", "洪泽区", "洪泽"]
    assert "平潭自然资源与生态环境局" in table[NATURAL]
    assert assistant.store.agency_aliases() is table  # cached until the catalog changes
    # The catalog's chunks carry the canonical name, so a search filtered on it finds both years.
    years = {c.year for c in assistant.store.catalog.chunks() if c.agency == hongze}
    assert years == {2023, 2024}


def test_list_shows_canonical_names_and_aliases(data_dir, capsys):
    from assistant.cli import main

    assert main(["list", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "淮安市洪泽区人民政府\t2023,2024\t洪泽区人民政府、淮安市洪泽区、洪泽区、洪泽" in out
    assert f"{NATURAL}\t2020\t平潭自然资源与生态环境局、自然资源与生态环境局" in out


def test_staff_merge_through_the_api_and_the_page(data_dir):
    from app import create_app

    settings = Settings(data_dir=data_dir, admin_token=TOKEN, ingest_bundled=False)
    assistant = Assistant(settings)
    client = TestClient(create_app(settings, assistant), raise_server_exceptions=False)
    assert (
        client.post("/api/admin/agencies/merge", json={"keep": JUNSHAN, "merge": NATURAL}).status_code == 401
    )

    merged = client.post(
        "/api/admin/agencies/merge", headers=BEARER, json={"keep": "君山片区管理局", "merge": NATURAL}
    )
    assert merged.status_code == 404  # 「君山片区管理局」 is an alias, not a name the agency was filed under
    merged = client.post(
        "/api/admin/agencies/merge", headers=BEARER, json={"keep": JUNSHAN, "merge": NATURAL}
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["agency"] == JUNSHAN and body["documents"] == 1 and NATURAL in body["aliases"]
    natural_doc = next(d for d in assistant.store.documents() if d.source == f"{NATURAL}_2020.txt")
    assert natural_doc.agency == JUNSHAN
    assert _vector_agencies(assistant, natural_doc.doc_id) == {JUNSHAN}
    assert {c.agency for c in assistant.store.catalog.chunks([natural_doc.doc_id])} == {JUNSHAN}
    assert client.get("/api/admin/agencies", headers=BEARER).json()[JUNSHAN][0] == NATURAL
    again = client.post("/api/admin/agencies/merge", headers=BEARER, json={"keep": JUNSHAN, "merge": NATURAL})
    assert again.status_code == 422
    unknown = client.post(
        "/api/admin/agencies/merge", headers=BEARER, json={"keep": JUNSHAN, "merge": "火星乡"}
    )
    assert unknown.status_code == 404

    # Persisted: a new process over the same data dir, and a report of the merged agency ingested again.
    reopened = _assistant(data_dir)
    again = reopened.ingest_bytes(
        "自然资源_again.txt", (REPORTS / f"{NATURAL}_2020.txt").read_bytes() + b"\n"
    )
    assert again.agency == JUNSHAN

    # The staff page: the table of agencies and the merge form.
    client.post("/admin/login", data={"token": TOKEN})
    page = client.get("/admin")
    assert 'action="/admin/agencies/merge"' in page.text and "平潭自然资源与生态环境局" in page.text
    done = client.post("/admin/agencies/merge", data={"keep": "淮安市洪泽区人民政府", "merge": JUNSHAN})
    assert (
        done.status_code == 200
        and "已将「平潭综合实验区君山片区管理局」合并到「淮安市洪泽区人民政府」" in done.text
    )
    assert client.post("/admin/agencies/merge", data={"keep": "x", "merge": "火星乡"}).status_code == 404


def test_the_real_2023_pdf_joins_the_2024_text(data_dir):
    pdf = REAL / "淮安市洪泽区人民政府_2023.pdf"
    if not pdf.exists():
        pytest.skip("../shared/corpus/real is not here")
    assistant = _assistant(data_dir)
    assistant.store.remove("洪泽_2023.txt")
    result = assistant.ingest_bytes(pdf.name, pdf.read_bytes())
    assert result.status == "added" and (result.agency, result.year) == ("淮安市洪泽区人民政府", 2023)
    years = sorted(d.year for d in assistant.store.documents() if d.agency == "淮安市洪泽区人民政府")
    assert years == [2023, 2024]


# --------------------------------------------------------------------------- old data dirs

OLD_SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, kind TEXT, agency TEXT, year INTEGER,
    format TEXT, problems TEXT DEFAULT '[]', ingested_at TEXT DEFAULT CURRENT_TIMESTAMP,
    parser_version INTEGER DEFAULT 0
);
CREATE TABLE chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER, section TEXT, text TEXT,
    chunk_type TEXT, text_hash TEXT
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO documents(doc_id, source, title, kind, agency, year, format)
    VALUES ('a', 'a.txt', 't', 'report', '洪泽区人民政府', 2023, 'text'),
           ('b', 'b.txt', 't', 'report', '淮安市洪泽区人民政府', 2024, 'text'),
           ('c', 'c.txt', 't', 'regulation', '', NULL, 'text');
"""


def test_an_old_catalog_opens_with_its_agencies(tmp_path):
    path = tmp_path / "gongkai.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.close()
    catalog = Catalog(path)
    assert catalog.agencies() == {
        "洪泽区人民政府": {"洪泽区人民政府": "canonical"},
        "淮安市洪泽区人民政府": {"淮安市洪泽区人民政府": "canonical"},
    }
    # The pair an older version kept apart joins as soon as one of them is filed again.
    plan = resolve({"洪泽区人民政府": "title"}, catalog.agencies())
    assert plan.canonical == "淮安市洪泽区人民政府" and plan.folded == ["洪泽区人民政府"]
    assert catalog.rename_agency("洪泽区人民政府", "淮安市洪泽区人民政府") == ["a"]
    assert {d.agency for d in catalog.documents() if d.kind == "report"} == {"淮安市洪泽区人民政府"}
    catalog.close()
    assert Catalog(path).agency_of_name("洪泽区人民政府") == "淮安市洪泽区人民政府"
