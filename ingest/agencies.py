"""Agency names: one agency under the several names its reports give it.

A name splits into its chain of administrative regions and the organ that follows them:
「淮安市洪泽区人民政府」 → (淮安市, 洪泽区) + 人民政府; 「平潭综合实验区自然资源与生态环境局」 →
(平潭综合实验区,) + 自然资源与生态环境局. A region's own government (人民政府, 政府, 管委会, 管理委员会,
片区管理局, 街道办事处 …) and the region named alone are one agency. Two names are the same agency when
their organs are equal (after the 政府 → 人民政府 and 管理委员会 → 管委会 forms are swapped) and the
regions of one are the regions of the other with leading parents removed: 洪泽区人民政府 is
淮安市洪泽区人民政府, while 平潭综合实验区君山片区管理局 is not 平潭综合实验区管委会 and 彭阳县小岔乡 is not
another county's 小岔乡.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

# A region segment: a name of at least two characters (one for 县: 沛县) and its unit.
_REGION = re.compile(
    r"^(?:.{2,}?(?:特别行政区|自治区|自治州|自治县|自治旗|街道|片区|地区|[省市州盟县区旗乡镇])|.县)"
)
# Words that end in a unit character but name no region (住房和城乡建设局, 城市管理局, 园区管委会).
_NOT_REGION_END = (
    "城乡", "城市", "乡镇", "市县", "县市", "县区", "区县", "社区", "园区", "景区", "街区", "小区",
    "辖区", "校区", "矿区", "林区", "牧区", "山区", "灾区", "库区", "市区", "城镇", "村镇",
)  # fmt: skip
# Organs that are a region's own government: the region alone names the same agency.
_GOVERNMENT = {
    "", "人民政府", "政府", "管委会", "党工委管委会", "党工委、管委会", "管理委员会", "党工委管理委员会",
    "管理局", "街道办事处", "办事处", "行政公署",
}  # fmt: skip
# Suffixes whose removal leaves a region's short name: 平潭综合实验区 → 平潭.
_GENERIC_TAILS = (
    "综合实验区", "经济技术开发区", "高新技术产业开发区", "经济开发区", "开发区", "高新区", "新区",
    "片区", "街道", "自治区", "自治州", "自治县",
)  # fmt: skip
# Organs too generic to stand alone as an alias (any agency has an 办公室).
_GENERIC_ORGANS = re.compile(r"^(?:人民政府|政府|管委会|党工委|办公室|办公厅|办事处)")
_ORGAN_FORMS = (
    (re.compile(r"党工委、?管委会|党工委管理委员会|管理委员会"), "管委会"),
    (re.compile(r"(?<!人民)政府"), "人民政府"),
)


def compact(name: str) -> str:
    """A name without whitespace and the quotes a title may put around it."""
    return re.sub(r"[\s《》“”\"'「」]+", "", name or "")


def split_name(name: str) -> tuple[tuple[str, ...], str]:
    """(regions, organ): 「淮安市洪泽区人民政府」 → (("淮安市", "洪泽区"), "人民政府")."""
    rest = compact(name)
    regions: list[str] = []
    while True:
        m = _REGION.match(rest)
        if not m or m.group(0).endswith(_NOT_REGION_END):
            break
        regions.append(m.group(0))
        rest = rest[m.end() :]
    return tuple(regions), rest


def organ_form(organ: str, has_region: bool = True) -> str:
    """The organ in one spelling; '' for a region's own government (when a region precedes it)."""
    for pattern, replacement in _ORGAN_FORMS:
        organ = pattern.sub(replacement, organ)
    if has_region and (organ in _GOVERNMENT or organ in {"人民政府", "管委会"}):
        return ""
    return organ


def identity(name: str) -> tuple[tuple[str, ...], str] | None:
    """What two names of one agency share: (regions, organ form); None when nothing names an agency."""
    regions, organ = split_name(name)
    form = organ_form(organ, bool(regions))
    if not regions and not form:
        return None
    return regions, form


def same_agency(a: str, b: str) -> bool:
    """Whether two names are one agency: equal organs, and the regions of one are the other's with
    leading parent regions removed (洪泽区人民政府 = 淮安市洪泽区人民政府; 淮安市人民政府 ≠ it)."""
    ka, kb = identity(a), identity(b)
    if ka is None or kb is None or ka[1] != kb[1]:
        return False
    short, long = sorted((ka[0], kb[0]), key=len)
    if long[len(long) - len(short) :] != short:
        return False
    return bool(short) or bool(ka[1])


def short_region(region: str) -> list[str]:
    """Short forms of one region's name: 淮安市 → 淮安; 平潭综合实验区 → 平潭, 平潭综合实验."""
    for tail in _GENERIC_TAILS:
        if region.endswith(tail) and len(region) - len(tail) >= 2:
            return [region[: -len(tail)]]
    return [region[:-1]] if len(region) >= 3 and region[-1] in "省市州盟县区旗乡镇" else []


@lru_cache(maxsize=4096)
def _aliases(name: str) -> tuple[str, ...]:
    regions, organ = split_name(name)
    form = organ_form(organ, bool(regions))
    out = {compact(name)}
    spelled = organ_form(organ, has_region=False)
    for i in range(len(regions)):
        kept = "".join(regions[i:])
        out.add(kept + organ)
        out.add(kept + spelled)
        out.add(kept + form)
        if i > 0 and form and not _GENERIC_ORGANS.match(form):  # 平潭自然资源与生态环境局
            out.update(short + kept + form for short in short_region(regions[i - 1])[:1])
    if regions and form and not _GENERIC_ORGANS.match(form):
        out.add(form)  # a department's own name: 自然资源与生态环境局
        out.update(short + form for short in short_region(regions[-1])[:1])
    if regions and not form:
        out.update(short_region(regions[-1]))  # the unit's short name: 洪泽, 小岔, 君山
    if not regions:
        out.add(spelled)
    if "人民政府" in form:  # 政府办公厅 and 人民政府办公厅 spellings of the full name
        out.update("".join(regions[i:]) + form.replace("人民政府", "政府") for i in range(len(regions)))
    return tuple(sorted((a for a in out if len(a) >= 2), key=lambda a: (-len(a), a)))


def aliases(name: str) -> list[str]:
    """Names a question may use for an agency, longest first: the full name, without parent
    regions, the region alone for its government (洪泽区, 洪泽), a department's own name
    (自然资源与生态环境局) and with its parent's short name (平潭自然资源与生态环境局).
    Never a parent region alone, never a bare organ such as 办公室."""
    if not compact(name):
        return []
    return list(_aliases(compact(name)))


def name_rank(name: str, origin: str = "") -> tuple[int, int, int, int, int]:
    """How good a name is as the canonical one: most regions (the most qualified: 淮安市洪泽区人民政府
    over 洪泽区人民政府), naming the agency itself (a title, not a 发布机构), in the formal spelling
    (人民政府 over 政府), then the name already canonical (平潭综合实验区 stays when a report calls it
    平潭综合实验区管委会), then the longest."""
    regions, organ = split_name(name)
    formal = int(organ_form(organ, has_region=False) == organ)
    naming = int(origin in _NAMING_ORIGINS)
    return len(regions), naming, formal, int(origin == "canonical"), len(compact(name))


# Where a name comes from when it names the agency itself (not a publisher or a signature).
_NAMING_ORIGINS = {"title", "canonical", "merge"}


@dataclass
class AgencyPlan:
    """Where a new document's agency goes: the canonical name, and the catalog agencies that
    are the same agency and fold into it (renamed to `canonical`)."""

    canonical: str
    folded: list[str] = field(default_factory=list)


def _matches(names: Iterable[str], others: Iterable[str]) -> bool:
    others = list(others)
    return any(_one_name(a, b) for a in names for b in others)


def _one_name(a: str, b: str) -> bool:
    """Same agency by the rule, or one name is a short form of the other (平潭自然资源与生态环境局)."""
    return a == b or same_agency(a, b) or a in _aliases(compact(b)) or b in _aliases(compact(a))


def resolve(
    names: Mapping[str, str], known: Mapping[str, Iterable[str]], pinned: Iterable[str] = ()
) -> AgencyPlan:
    """The canonical agency for a document's names ({name: origin}) given the catalog's agencies
    ({canonical: names}). Joins the agencies that match by the rule when they also match each
    other; an ambiguous name (小岔乡 of two counties) joins only an agency it names exactly.
    A canonical name chosen by hand (`pinned`) stays; else the best-ranked name wins."""
    known = {c: {c, *ns} for c, ns in known.items()}
    candidates = [c for c, ns in known.items() if _matches(names, ns)]
    compatible = all(_matches(known[a], known[b]) for a in candidates for b in candidates if a < b)
    if not compatible:
        candidates = [c for c in candidates if set(names) & set(known[c])][:1]
    if not candidates:
        return AgencyPlan(canonical=_best(names))
    pinned_hit = [c for c in candidates if c in set(pinned)]
    if pinned_hit:
        canonical = pinned_hit[0]
    else:
        pool = dict(names)
        for c in candidates:
            pool.setdefault(c, "canonical")
        canonical = _best(pool)
    return AgencyPlan(canonical=canonical, folded=[c for c in candidates if c != canonical])


def _best(names: Mapping[str, str]) -> str:
    return max(names, key=lambda n: name_rank(n, names[n]))
