"""GET /documents/{source}: the report page with its real table cells, its checks beside the table,
and an anchor for every citation's url; a regulation's articles; an unknown source is a 404 page."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from starlette.testclient import TestClient

from app import create_app
from assistant.config import Settings

PINGTAN_2020 = "平潭综合实验区管委会_2020.txt"
PINGTAN_2021 = "平潭综合实验区管委会_2021.txt"
REGULATION = "gov_info_disclosure_regulation_2019.txt"


@pytest.fixture(scope="module")
def client(corpus_assistant) -> TestClient:
    settings = Settings(data_dir=corpus_assistant.settings.data_dir, log_days=0)
    return TestClient(create_app(settings, corpus_assistant), raise_server_exceptions=False)


def page(client: TestClient, source: str) -> str:
    response = client.get(f"/documents/{source}")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def row_of(html: str, anchor: str) -> str:
    """The <tr> that holds the element with id=anchor."""
    at = html.index(f'id="{anchor}"')
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


def test_report_page_has_sections_and_real_table_cells(client):
    html = page(client, PINGTAN_2021)
    assert "<h1>平潭综合实验区2021年度政府信息公开工作年度报告</h1>" in html
    headings = re.findall(r"<h2 id=\"[^\"]+\">([^<]+)</h2>", html)
    assert headings[0] == "正文"  # the preamble, then the six sections of the format in order
    assert [h for h in headings if h[1:2] == "、"] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert '<table class="facts"><caption>表三 收到和处理政府信息公开申请情况</caption>' in html
    assert "<th></th><th>自然人</th><th>商业企业</th><th>科研机构</th>" in html
    new = re.search(
        r"<tr[^>]*><th>(?:<a[^>]*></a>)+一、本年新收政府信息公开申请数量</th>(.*?)</tr>", html
    ).group(1)
    assert cells(new) == ["64", "0", "0", "2", "0", "4", "70"]
    review = re.search(r"<tr[^>]*><th>(?:<a[^>]*></a>)+行政复议</th>(.*?)</tr>", html).group(1)
    assert cells(review) == ["1", "0", "2", "0", "3"]


def test_every_citation_url_opens_its_row_or_section(client, corpus_assistant):
    questions = {
        "平潭综合实验区2021年拒绝了多少政府信息公开申请？": "（三）不予公开",
        "平潭这几年被行政复议的次数有什么变化？": "行政复议",
        "申请公开政府信息要收费吗？": "第二十条",
        "平潭综合实验区2021年收到多少政府信息公开申请？": "一、本年新收政府信息公开申请数量",
    }
    for question, label in questions.items():
        answer = corpus_assistant.ask(question)
        citation = answer.citations[0]
        url = urlsplit(citation.url)
        assert unquote(url.path) == f"/documents/{citation.source}"
        html = page(client, citation.source)
        assert f'id="{url.fragment}"' in html, (question, citation.section)
        at = html.index(f'id="{url.fragment}"')
        assert label in html[at : at + 400]


def test_cited_row_holds_the_cited_figure(client, corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2021年收到多少政府信息公开申请？")
    html = page(client, PINGTAN_2021)
    assert cells(row_of(html, urlsplit(answer.citations[0].url).fragment))[-1] == "70"


def test_group_citation_highlights_its_rows(client):
    """「（三）不予公开」 is eight rows: one CSS rule per group marks them all when it is the target."""
    html = page(client, PINGTAN_2021)
    from assistant.links import section_anchor

    group = section_anchor("表三 三、本年度办理结果 / （三）不予公开")
    assert f"table.facts:has(#{group}:target) tr.in-{group} > *" in html
    assert html.count(f"in-{group}") == 8 + 1  # the eight rows, and the rule


def test_checks_beside_their_table(client, corpus_assistant):
    html = page(client, PINGTAN_2020)
    table3 = html.index("<caption>表三")
    aside = html.index('<aside class="checks">', table3)
    assert aside < html.index("<caption>表四")
    failed = "✗ 表三总计列：办理结果（一）至（六）各项之和为27，（七）总计为21，不相等"
    assert failed in html[aside : html.index("</aside>", aside)]
    # Table and checks are the two cells of one grid (side by side; under each other only on a
    # narrow screen), the checks no longer wrapping under a wide table 3.
    grid = html.rindex('<div class="with-checks">', 0, table3)
    assert html.index('<div class="with-checks">', table3) > aside > grid
    assert ".with-checks{display:grid;grid-template-columns:minmax(0,1fr) 260px;" in html
    assert "@media (max-width:820px){.with-checks{grid-template-columns:minmax(0,1fr)}}" in html
    answer = corpus_assistant.ask("平潭综合实验区2020年的数据有问题吗？")
    cited = [c for c in answer.citations if c.section == "核对：三、（七）总计 总计列"]
    assert cited and f'id="{urlsplit(cited[0].url).fragment}"' in html


def test_regulation_page_has_chapters_and_articles(client):
    html = page(client, REGULATION)
    assert "<h2" in html and "第一章 总则</h2>" in html
    assert "第二十条 行政机关应当依照本条例第十九条的规定" in html


def test_unknown_source_is_a_404_page_and_escaped(client):
    response = client.get("/documents/<img src=x onerror=alert(1)>.txt")
    assert response.status_code == 404
    assert "资料库中没有这个文件" in response.text and "No document" in response.text
    assert "<img" not in response.text and "&lt;img src=x onerror=alert(1)&gt;.txt" in response.text
