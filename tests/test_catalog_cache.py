"""The document list and what questions derive from it (the agency table) are kept in memory per
catalog generation: another worker's ingest or removal reaches this worker's next question, and a
document whose write failed is never served."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.query import AgencyNames, _names, match_agencies
from assistant.service import Assistant
from helpers import REPORTS
from ingest.classify import agency_aliases

XC = "彭阳县小岔乡人民政府_2022.txt"
QUESTION = "2022年小岔乡拒绝了多少政府信息公开申请？"
ANSWER = "2022年彭阳县小岔乡人民政府没有拒绝过政府信息公开申请：不予公开0件[1]。"


def _sources(assistant: Assistant) -> list[str]:
    return [d.source for d in assistant.store.documents()]


def test_another_workers_ingest_and_removal_reach_the_next_question(copied_data_dir, monkeypatch):
    reader = Assistant(Settings(data_dir=copied_data_dir))
    writer = Assistant(Settings(data_dir=copied_data_dir))  # its own Store and catalog connection
    answer = reader.ask(QUESTION)
    assert answer.answer.startswith(ANSWER) and answer.citations[0].source == XC
    held = reader.context().held
    assert held is not None and "彭阳县小岔乡人民政府" in held.agencies and len(held.documents) == 12
    reader.ask(QUESTION)
    assert reader.context().held is held  # nothing changed: nothing read again

    assert writer.remove(XC) == [XC]
    answer = reader.ask(QUESTION)
    assert answer.status == "not_found"
    assert answer.answer.startswith("资料库中没有“小岔乡”的政府信息公开工作年度报告。")
    assert XC not in _sources(reader) and len(_sources(reader)) == 11
    assert "彭阳县小岔乡人民政府" not in reader.context().held.agencies

    # A write that fails inside the catalog's transaction (after the document's row) leaves nothing.
    def crash() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.store.catalog, "_bump_generation", crash)
    assert writer.ingest_paths([REPORTS / XC])[0].status == "error"
    monkeypatch.undo()
    assert reader.ask(QUESTION).status == "not_found" and XC not in _sources(reader)

    assert writer.ingest_paths([REPORTS / XC])[0].status == "added"
    answer = reader.ask(QUESTION)
    assert answer.answer.startswith(ANSWER) and answer.citations[0].source == XC
    assert _sources(reader).count(XC) == 1 and len(_sources(reader)) == 12
    assert "彭阳县小岔乡人民政府" in reader.context().held.agencies


AGENCIES = sorted({p.stem.rsplit("_", 1)[0] for p in REPORTS.glob("*.txt")})


def _places() -> list[str]:
    """Pieces of every alias, and aliases with a word before or after: what a question may name."""
    out: set[str] = set()
    for agency in AGENCIES:
        for alias in agency_aliases(agency):
            out.update(alias[i:j] for i in range(len(alias)) for j in range(i + 2, len(alias) + 1))
            out.update({f"新{alias}", f"{alias}镇", f"{alias}政府", f"{alias}党工委管委会"})
    return sorted(out)


def test_prepared_names_name_the_places_the_plain_rule_names():
    names = AgencyNames(AGENCIES)
    every = [alias for aliases in names.table.values() for alias in aliases]
    places = _places()
    held = [p for p in places if names.name_place(p)]
    assert held == [p for p in places if any(_names(p, alias) for alias in every)]
    assert 0 < len(held) < len(places)
    assert names.name_place("小岔乡") and names.name_place("平潭") and not names.name_place("彭阳县")


@pytest.mark.parametrize(
    "question, found, unknown",
    [
        ("平潭2022年收到多少申请？", ["平潭综合实验区管委会"], None),
        (
            "彭阳县小岔乡和君山片区去年各收到几件",
            ["平潭综合实验区君山片区管理局", "彭阳县小岔乡人民政府"],
            None,
        ),
        ("How many requests did Xiaocha township receive?", ["彭阳县小岔乡人民政府"], None),
        ("彭阳县2022年收到多少申请", [], "彭阳县"),
    ],
)
def test_prepared_names_match_as_the_plain_table(question, found, unknown):
    names = AgencyNames(AGENCIES)
    assert match_agencies(question, names) == (found, unknown)
    assert match_agencies(question, AGENCIES) == (found, unknown)
