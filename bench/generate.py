"""Synthetic annual reports in the national format, and a question set graded like data/eval/dev.jsonl.

    python -m bench.generate --n 200 --out bench/out/corpus200 [--seed 7]

writes
    OUT/reports/<agency>_<year>.txt   N reports (.txt, the 平潭 tab-row layout; some in the 小岔乡 layout)
    OUT/questions.jsonl               facts, narrative and not_found questions with expect/cite
    OUT/specs.jsonl                   the numbers each report was written from (for debugging)

Agencies are towns ("{county}县{town}镇人民政府"), county governments ("{county}县人民政府") and
city bureaus ("{city}市{bureau}"); each agency reports for a run of consecutive years in
2019–2024 (2019–2020 in the 2019 trial format, 国办公开办函〔2019〕60号). Table numbers follow the
format's rules: per applicant column 一 + 二 = 三（七）+ 四, 总计 = the sum of the applicant
columns, （七）= the sum of the result rows, 表四 总计 = the sum of its results; what one year
carries over (四) is what the next year of the same agency brings forward (二). The narrative
restates some of those numbers and adds its own (published items, trainings, the leading
group's head, the phone number). Same seed, same files.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

YEARS = list(range(2019, 2025))

COUNTIES = [
    "青石",
    "云岭",
    "松溪",
    "桃江",
    "柳城",
    "金沙",
    "石屏",
    "清河",
    "龙山",
    "梅岭",
    "竹溪",
    "安澜",
    "丰宁",
    "永和",
    "临川",
    "宁远",
    "白水",
    "紫阳",
    "嘉禾",
    "凤台",
    "蓝田",
    "平川",
    "兴仁",
    "东兰",
    "望谟",
    "秀山",
    "黎平",
    "从江",
    "通道",
    "泸溪",
    "隆回",
    "洞口",
    "绥宁",
    "会同",
    "靖远",
    "景泰",
    "古浪",
    "民勤",
    "山丹",
    "高台",
]
TOWNS = [
    "白沙",
    "黄泥",
    "双河",
    "太平",
    "大坪",
    "新田",
    "龙潭",
    "马岭",
    "石桥",
    "杨柳",
    "清溪",
    "花坪",
    "高峰",
    "桂花",
    "牛角",
    "鹿鸣",
    "三合",
    "红岩",
    "柏树",
    "茶园",
    "木叶",
    "水口",
    "官庄",
    "沙坝",
    "岩门",
    "银杏",
    "金竹",
    "铁炉",
    "乌江",
    "古城",
    "麻阳",
    "麒麟",
    "沙溪",
    "洪山",
    "芦苇",
    "板桥",
    "棠棣",
    "田坝",
    "溪口",
    "中和",
    "东坪",
    "西岔",
    "南庄",
    "北岭",
    "上堡",
    "下寨",
    "前进",
    "胜利",
    "和平",
    "长岭",
    "万福",
    "永丰",
    "仁和",
    "义和",
    "礼泉",
    "智峰",
    "信河",
    "福田",
    "禄源",
    "寿山",
    "喜鹊",
    "乐园",
    "康桥",
    "宁安",
    "泰来",
    "兴隆",
    "旺家",
    "隆昌",
    "盛家",
    "昌平",
    "荣华",
    "富源",
    "贵溪",
    "华阳",
    "光明",
    "辉山",
    "明月",
    "星火",
    "云台",
    "雾渡",
]
CITIES = [
    "青川",
    "白河",
    "云州",
    "江陵",
    "汉阴",
    "宁州",
    "丹阳",
    "昭平",
    "怀远",
    "临江",
    "德化",
    "西林",
    "定南",
    "瑞金",
    "安远",
    "寻乌",
    "永新",
    "泰和",
    "遂川",
    "万载",
]
BUREAUS = [
    "教育局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "应急管理局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
]
# Places named only in not_found questions: never an agency of any generated corpus.
UNKNOWN_COUNTIES = ["雁门", "苍岩", "鹤峰", "渔阳", "槐荫", "栖霞", "枫桥", "芙蓉"]
UNKNOWN_TOWNS = ["鸣沙", "落霞", "望湖", "听涛", "卧牛", "飞凤", "聚宝", "藕池"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺顾毛郝龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"
GIVEN = (
    "建国华明军红伟芳丽静敏强磊洋勇艳杰娟涛超秀霞刚平辉鹏飞玲桂兰英梅志斌海波宇晨浩然雪琳婷凯佳欣瑞新春荣德福"
)

TABLE3_COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
APPLICANT_SHARE = [0.80, 0.08, 0.01, 0.02, 0.04, 0.05]

_R3 = "三、本年度办理结果"
# 表三 result leaves of the 2021 format: (key, label path, weight of an application ending there)
RESULT_LEAVES_2021: list[tuple[str, tuple[str, ...], float]] = [
    ("三.1", (_R3, "（一）予以公开"), 0.36),
    ("三.2", (_R3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), 0.10),
    ("三.3.1", (_R3, "（三）不予公开", "1.属于国家秘密"), 0.005),
    ("三.3.2", (_R3, "（三）不予公开", "2.其他法律行政法规禁止公开"), 0.01),
    ("三.3.3", (_R3, "（三）不予公开", "3.危及“三安全一稳定”"), 0.01),
    ("三.3.4", (_R3, "（三）不予公开", "4.保护第三方合法权益"), 0.03),
    ("三.3.5", (_R3, "（三）不予公开", "5.属于三类内部事务信息"), 0.02),
    ("三.3.6", (_R3, "（三）不予公开", "6.属于四类过程性信息"), 0.02),
    ("三.3.7", (_R3, "（三）不予公开", "7.属于行政执法案卷"), 0.01),
    ("三.3.8", (_R3, "（三）不予公开", "8.属于行政查询事项"), 0.01),
    ("三.4.1", (_R3, "（四）无法提供", "1.本机关不掌握相关政府信息"), 0.24),
    ("三.4.2", (_R3, "（四）无法提供", "2.没有现成信息需要另行制作"), 0.04),
    ("三.4.3", (_R3, "（四）无法提供", "3.补正后申请内容仍不明确"), 0.03),
    ("三.5.1", (_R3, "（五）不予处理", "1.信访举报投诉类申请"), 0.03),
    ("三.5.2", (_R3, "（五）不予处理", "2.重复申请"), 0.03),
    ("三.5.3", (_R3, "（五）不予处理", "3.要求提供公开出版物"), 0.01),
    ("三.5.4", (_R3, "（五）不予处理", "4.无正当理由大量反复申请"), 0.005),
    ("三.5.5", (_R3, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"), 0.01),
    (
        "三.6.1",
        (_R3, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        0.02,
    ),
    (
        "三.6.2",
        (_R3, "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        0.005,
    ),
    ("三.6.3", (_R3, "（六）其他处理", "3.其他"), 0.01),
]
# The 2019 trial format has （六）其他处理 as one row.
RESULT_LEAVES_2019 = [leaf for leaf in RESULT_LEAVES_2021 if not leaf[0].startswith("三.6.")] + [
    ("三.6", (_R3, "（六）其他处理"), 0.035)
]
TABLE4_RESULTS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
TABLE4_GROUPS = ["行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"]
CHECK_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

PROBLEMS = [
    ("政策解读形式较为单一", "图解、视频等多样化解读形式运用不够，政策解读形式较为单一"),
    ("信息更新不够及时", "部分栏目信息更新不够及时，存在内容滞后的情况"),
    ("业务能力有待提升", "工作人员业务能力有待提升，对《条例》的理解不够深入"),
    ("公开意识不强", "部分内设机构主动公开意识不强，公开内容不够全面"),
    ("互动回应不够", "政民互动回应不够及时，对社会关切的回应深度不够"),
    ("审核把关不严", "个别信息发布前审核把关不严，偶有表述不规范的情况"),
    ("基层公开标准化程度不高", "村（社区）级公开栏更新不够规范，基层公开标准化程度不高"),
]
MEASURES = [
    "丰富政策解读形式，多运用图表图解、音频视频等方式开展解读",
    "建立栏目更新台账，明确责任人和更新时限，定期开展自查",
    "加强业务培训，组织工作人员系统学习《条例》和相关规范",
    "完善信息发布审核制度，落实“三审三校”，确保发布信息准确规范",
    "强化政民互动，及时回应社会关切，提高答复质量",
    "推进基层政务公开标准化规范化建设，定期检查村务公开栏",
]


@dataclass
class ReportSpec:
    """What one report says: the numbers it is written from."""

    agency: str
    kind: str  # town | county | bureau
    year: int
    layout: str  # pingtan | xiaocha
    self_name: str  # how the report names its agency in running text: 我镇, 我县, 我局
    short_name: str  # name used in questions: 青石县白沙镇, 青石县, 青川市教育局
    table2: dict[str, list[float | None]] = field(default_factory=dict)
    table3: dict[str, list[int | None]] = field(default_factory=dict)  # key → 7 values (last = 总计)
    table4: list[int] = field(default_factory=list)  # 15 values
    published_total: int = 0
    published_site: int = 0
    published_wechat: int = 0
    published_other: int = 0
    interpretations: int = 0
    trainings: int = 0
    trainees: int = 0
    inspections: int = 0
    visits_wan: float = 0.0
    leader: str = ""
    leader_role: str = ""
    members: list[str] = field(default_factory=list)
    phone: str = ""
    address: str = ""
    problems: list[int] = field(default_factory=list)  # indexes into PROBLEMS
    measures: list[int] = field(default_factory=list)
    blank_research: bool = False  # 科研机构 column left blank (blank is not 0)
    inline_subsections: bool = True

    @property
    def trial_format(self) -> bool:
        return self.year <= 2020

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年度政府信息公开工作年度报告"

    @property
    def stem(self) -> str:
        return f"{self.agency}_{self.year}"

    def total(self, key: str) -> int:
        """总计 of a 表三 row, or of a group (sum of its leaves)."""
        if key in self.table3:
            return int(self.table3[key][6] or 0)
        return sum(int(v[6] or 0) for k, v in self.table3.items() if k.startswith(key + "."))

    def column(self, key: str, col: str) -> int:
        return int(self.table3[key][TABLE3_COLUMNS.index(col)] or 0)


# --------------------------------------------------------------------------- numbers


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _spread(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Put `total` units into bins with the given weights."""
    counts = [0] * len(weights)
    for _ in range(total):
        counts[rng.choices(range(len(weights)), weights)[0]] += 1
    return counts


def _table3(rng: random.Random, spec: ReportSpec, mean_new: float, carried_in: list[int]) -> list[int]:
    """Fill spec.table3; returns what is carried over to next year, per applicant column."""
    leaves = RESULT_LEAVES_2019 if spec.trial_format else RESULT_LEAVES_2021
    new_total = _poisson(rng, mean_new)
    new = _spread(rng, new_total, APPLICANT_SHARE)
    carried_out = [sum(1 for _ in range(n + c) if rng.random() < 0.06) for n, c in zip(new, carried_in)]
    results = {key: [0] * 6 for key, _, _ in leaves}
    for col in range(6):
        handled = new[col] + carried_in[col] - carried_out[col]
        for (key, _, _), n in zip(leaves, _spread(rng, handled, [w for _, _, w in leaves])):
            results[key][col] = n

    def row(values: list[int]) -> list[int | None]:
        out: list[int | None] = [*values, sum(values)]
        if spec.blank_research:
            out[2] = None
        return out

    spec.table3["一"] = row(new)
    spec.table3["二"] = row(carried_in)
    for key, _, _ in leaves:
        spec.table3[key] = row(results[key])
    spec.table3["三.7"] = row([sum(results[k][c] for k, _, _ in leaves) for c in range(6)])
    spec.table3["四"] = row(carried_out)
    return carried_out


def _table4(rng: random.Random, mean: float) -> list[int]:
    values: list[int] = []
    for part_mean in (mean, mean * 0.6, mean * 0.25):
        n = _poisson(rng, part_mean)
        parts = _spread(rng, n, [0.6, 0.1, 0.2, 0.1])
        values += [*parts, sum(parts)]
    return values


def _table2(rng: random.Random, spec: ReportSpec, scale: float) -> None:
    normative = _poisson(rng, 3 * scale)
    licences = _poisson(rng, 150 * scale)
    penalties = _poisson(rng, 40 * scale)
    coercion = _poisson(rng, 4 * scale)
    fees = round(rng.uniform(0, 60) * scale, 2) if rng.random() < 0.7 else 0.0
    if spec.trial_format:
        spec.table2 = {
            "规章": [0, 0, 0],
            "规范性文件": [normative, normative, normative + _poisson(rng, 20 * scale)],
            "行政许可": [_poisson(rng, 30 * scale), 0, licences],
            "其他对外管理服务事项": [_poisson(rng, 5 * scale), 0, _poisson(rng, 20 * scale)],
            "行政处罚": [_poisson(rng, 200 * scale), 0, penalties],
            "行政强制": [_poisson(rng, 20 * scale), 0, coercion],
            "行政事业性收费": [_poisson(rng, 5 * scale), 0],
            "政府集中采购": [_poisson(rng, 8 * scale), round(rng.uniform(5, 300) * scale, 2)],
        }
    else:
        spec.table2 = {
            "规章": [0, 0, 0],
            "行政规范性文件": [normative, _poisson(rng, 1), normative + _poisson(rng, 20 * scale)],
            "行政许可": [licences],
            "行政处罚": [penalties],
            "行政强制": [coercion],
            "行政事业性收费": [fees],
        }


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# --------------------------------------------------------------------------- agencies and specs


@dataclass
class Agency:
    name: str
    kind: str
    self_name: str
    short_name: str
    area_code: str
    years: list[int]
    scale: float
    leader: str = ""
    leader_role: str = ""
    members: list[str] = field(default_factory=list)


def _agencies(rng: random.Random, n_reports: int) -> list[Agency]:
    """Distinct agencies with runs of consecutive years, n_reports reports in all."""
    candidates: list[tuple[str, str, str, str, float]] = []
    for county in COUNTIES:
        candidates.append((f"{county}县人民政府", "county", "我县", f"{county}县", 1.0))
        for town in TOWNS:
            unit = "乡" if (len(county) + len(town)) % 3 == 0 else "镇"
            candidates.append(
                (f"{county}县{town}{unit}人民政府", "town", f"我{unit}", f"{county}县{town}{unit}", 0.08)
            )
    for city in CITIES:
        for bureau in BUREAUS:
            candidates.append(
                (
                    f"{city}市{bureau}",
                    "bureau",
                    "我局" if bureau.endswith("局") else "我委",
                    f"{city}市{bureau}",
                    0.4,
                )
            )
    pools: dict[str, list[tuple[str, str, str, str, float]]] = {"town": [], "bureau": [], "county": []}
    for candidate in candidates:
        pools[candidate[1]].append(candidate)
    for pool in pools.values():
        rng.shuffle(pool)
    # Towns are most of the reports that exist; keep that mix (about 65 : 25 : 10).
    mixed: list[tuple[str, str, str, str, float]] = []
    while any(pools.values()):
        kinds = [k for k in pools if pools[k]]
        kind = rng.choices(kinds, [{"town": 65, "bureau": 25, "county": 10}[k] for k in kinds])[0]
        mixed.append(pools[kind].pop())
    candidates = mixed
    agencies: list[Agency] = []
    left = n_reports
    area_codes: dict[str, str] = {}
    for name, kind, self_name, short, scale in candidates:
        if left <= 0:
            break
        run = min(left, rng.choice((1, 2, 2, 3, 3, 4)))
        start = rng.randint(YEARS[0], YEARS[-1] - run + 1)
        place = short[:2]
        area = area_codes.setdefault(place, f"0{rng.randint(310, 999)}")
        agencies.append(Agency(name, kind, self_name, short, area, list(range(start, start + run)), scale))
        left -= run
    # Past about 10 000 reports the 3 600 names run out: agencies report one more year each, in
    # turn, until the count is reached (smaller N never get here, so their files do not change).
    while left > 0 and any(len(a.years) < len(YEARS) for a in agencies):
        for agency in agencies:
            if left <= 0:
                break
            if agency.years[-1] < YEARS[-1]:
                agency.years.append(agency.years[-1] + 1)
            elif agency.years[0] > YEARS[0]:
                agency.years.insert(0, agency.years[0] - 1)
            else:
                continue
            left -= 1
    if left > 0:
        raise ValueError(f"not enough distinct agencies for {n_reports} reports")
    return agencies


def build_specs(n_reports: int, seed: int = 7, xiaocha_share: float = 0.15) -> list[ReportSpec]:
    rng = random.Random(seed)
    specs: list[ReportSpec] = []
    for agency in _agencies(rng, n_reports):
        agency.leader = _name(rng)
        agency.leader_role = {"town": "党委书记", "county": "县长", "bureau": "主要负责同志"}[agency.kind]
        agency.members = [_name(rng) for _ in range(rng.randint(2, 4))]
        phone = f"{agency.area_code}-{rng.randint(2000000, 8999999)}"
        carried = [0] * 6
        for year in agency.years:
            if rng.random() < 0.3:  # leaders change
                agency.leader = _name(rng)
            spec = ReportSpec(
                agency=agency.name,
                kind=agency.kind,
                year=year,
                layout="xiaocha" if year >= 2021 and rng.random() < xiaocha_share else "pingtan",
                self_name=agency.self_name,
                short_name=agency.short_name,
                blank_research=rng.random() < 0.05,
                inline_subsections=rng.random() < 0.5,
            )
            mean_new = {"town": 2.5, "county": 45.0, "bureau": 14.0}[agency.kind] * rng.uniform(0.5, 1.6)
            carried = _table3(rng, spec, mean_new, carried)
            spec.table4 = _table4(rng, {"town": 0.15, "county": 3.0, "bureau": 1.0}[agency.kind])
            _table2(rng, spec, agency.scale)
            base = {"town": 600, "county": 6000, "bureau": 1500}[agency.kind]
            spec.published_site = max(5, _poisson(rng, base * 0.3))
            spec.published_wechat = max(5, _poisson(rng, base * 0.5))
            spec.published_other = max(0, _poisson(rng, base * 0.2))
            spec.published_total = spec.published_site + spec.published_wechat + spec.published_other
            spec.interpretations = rng.randint(2, 60 if agency.kind != "town" else 12)
            spec.trainings = rng.randint(1, 12)
            spec.trainees = spec.trainings * rng.randint(12, 80)
            spec.inspections = rng.randint(2, 9)
            spec.visits_wan = round(rng.uniform(0.5, 80 if agency.kind != "town" else 8), 1)
            spec.leader, spec.leader_role = agency.leader, agency.leader_role
            spec.members = list(agency.members)
            spec.phone = phone
            spec.address = f"{agency.short_name}政务服务中心{rng.randint(2, 9)}楼"
            spec.problems = rng.sample(range(len(PROBLEMS)), 3)
            spec.measures = rng.sample(range(len(MEASURES)), 3)
            specs.append(spec)
    return specs


# --------------------------------------------------------------------------- narrative


# Sentences without numbers that real reports use to fill each sub-section, 2–3 picked per report.
FILLER = {
    "active": [
        "围绕财政预决算、重大建设项目、公共资源配置、社会公益事业等重点领域，及时准确公开相关信息。",
        "对涉及群众切身利益的政策文件，在发布时同步推出图解、问答等解读材料，方便群众理解。",
        "及时更新机构职能、领导分工、办事指南等基础信息，确保信息准确完整。",
        "持续做好乡村振兴、社会救助、就业创业等民生领域信息公开，主动回应群众关切。",
        "按照“谁制作、谁公开，谁获取、谁公开”的原则，落实信息发布责任。",
        "在重大决策出台前，通过网站、公众号等渠道公开征求意见，并反馈意见采纳情况。",
        "对行政许可、行政处罚等执法信息，严格按照“双公示”要求在规定时限内公开。",
    ],
    "requests": [
        "对申请内容不明确的，及时告知申请人补正；对涉及第三方权益的，依法征求第三方意见。",
        "建立疑难申请会商机制，邀请法律顾问参与研判，提升答复的规范性和严谨性。",
        "畅通网上申请、信函申请、当面申请等渠道，为申请人提供便利。",
        "对每件申请的收件、登记、告知、答复等材料逐一归档，做到一件一档。",
        "加强与司法、信访等部门的沟通，防范因答复不当引发的行政争议。",
    ],
    "management": [
        "拟制公文时同步明确公开属性，对不予公开的说明理由，做到源头管理。",
        "定期对已公开的规范性文件进行清理，及时标注失效、废止情况。",
        "落实信息发布“三审三校”制度，严把政治关、法律关、保密关和文字关。",
        "建立政府信息公开工作台账，对重点任务实行清单化管理、销号式推进。",
        "加强政务公开工作人员队伍建设，明确专人负责信息审核和发布。",
    ],
    "platform": [
        "发挥政府网站政务公开第一平台作用，规范栏目设置，清理空白栏目和长期不更新栏目。",
        "整合政务新媒体账号，规范内容发布，提升信息传播的时效性和覆盖面。",
        "在政务服务大厅设置政务公开专区，提供政府信息查阅、政策咨询等服务。",
        "利用村（社区）公开栏、电子显示屏等线下载体，方便群众就近获取信息。",
        "加强网站和新媒体安全防护，定期开展错别字、错链断链检查。",
    ],
    "supervision": [
        "将政务公开工作纳入年度目标责任考核，考核结果作为评先评优的重要依据。",
        "主动接受人大代表、政协委员和社会公众监督，认真办理群众意见建议。",
        "对政务公开工作中发现的问题建立整改台账，明确整改时限和责任人。",
        "邀请群众代表参与政务公开评议，广泛听取意见建议。",
        "对工作不力、公开不及时的单位和个人进行通报，压实工作责任。",
    ],
}


def _fill(rng: random.Random, topic: str) -> str:
    return "".join(rng.sample(FILLER[topic], rng.randint(2, 3)))


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def narrative(spec: ReportSpec, rng: random.Random) -> dict[str, list[str]]:
    """Section → paragraphs. Sub-sections （一）…（五） of section 一 are separate paragraphs or one run."""
    me, y = spec.self_name, spec.year
    new, carried_in = spec.total("一"), spec.total("二")
    handled, carried_out = spec.total("三.7"), spec.total("四")
    overview = _pick(
        rng,
        f"{y}年，{me}坚持以公开为常态、不公开为例外，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        f"围绕中心工作和群众关切，持续深化政务公开，推动政府信息公开工作规范有序开展。",
        f"{y}年，在上级政务公开部门的指导下，{me}紧扣年度政务公开工作要点，健全工作机制，"
        f"丰富公开载体，扎实做好政府信息公开各项工作，切实保障人民群众的知情权、参与权和监督权。",
        f"{y}年，{me}以群众需求为导向，把政务公开贯穿于决策、执行、管理、服务、结果全过程，"
        f"不断提升政务公开标准化规范化水平。",
    )
    active = (
        f"（一）主动公开方面。{_pick(rng, '全年', '本年度', f'{y}年')}{me}共主动公开政府信息{spec.published_total}条，"
        f"其中通过政府门户网站公开{spec.published_site}条，通过政务新媒体（微信公众号）发布{spec.published_wechat}条，"
        f"通过公开栏、宣传册等其他渠道公开{spec.published_other}条。"
        + _pick(
            rng,
            f"围绕重点领域做好政策解读，全年解读重要政策文件{spec.interpretations}件。",
            f"坚持政策文件与解读材料同步组织、同步审签、同步发布，共发布政策解读{spec.interpretations}篇。",
        )
        + _fill(rng, "active")
    )
    requests = (
        f"（二）依申请公开方面。{_pick(rng, '严格落实依申请公开登记、审核、办理、答复、归档制度', '规范依申请公开受理、办理和答复流程，统一答复文书格式')}。"
        f"全年共收到政府信息公开申请{new}件，上年结转{carried_in}件，办结{handled}件，"
        f"{carried_out}件结转下年度继续办理。"
        + _pick(rng, "所有申请均在法定期限内答复。", "答复文书均载明依据和救济途径。")
        + _fill(rng, "requests")
    )
    management = (
        f"（三）政府信息管理方面。{_pick(rng, '落实公文公开属性源头认定机制', '严格执行信息发布保密审查制度', '健全信息发布协调机制')}，"
        f"全年组织开展政务公开业务培训{spec.trainings}次，培训工作人员{spec.trainees}人次，"
        f"开展政务公开专项检查{spec.inspections}次，对发现的问题及时督促整改。" + _fill(rng, "management")
    )
    platform = (
        f"（四）平台建设方面。{_pick(rng, '持续优化政府网站政务公开专栏栏目设置', '规范政务新媒体运维管理', '推进政务公开专区建设')}，"
        f"全年专栏访问量{spec.visits_wan}万人次。"
        + _pick(rng, "及时更新办事指南和常见问题解答。", "加强政务新媒体日常监测，确保内容安全。")
        + _fill(rng, "platform")
    )
    members = "、".join(spec.members)
    supervision = (
        f"（五）监督保障方面。{_pick(rng, '健全领导机构', '加强组织领导', '压实工作责任')}，"
        f"成立了由{spec.leader_role}{spec.leader}任组长，{members}为成员的政务公开领导小组，"
        f"{_pick(rng, '定期研究部署政务公开工作', '每季度听取一次政务公开工作汇报')}，并将政务公开纳入年度绩效考核。"
        + _fill(rng, "supervision")
    )
    subsections = [active, requests, management, platform, supervision]
    section1 = [overview, *subsections] if not spec.inline_subsections else [overview + "".join(subsections)]
    problems = "；".join(f"{'一二三'[i]}是{PROBLEMS[p][1]}" for i, p in enumerate(spec.problems))
    measures = "；".join(f"{'一二三'[i]}是{MEASURES[m]}" for i, m in enumerate(spec.measures))
    section5 = [
        f"（一）存在的主要问题。{y}年{me}{_pick(rng, '政府信息公开', '政务公开')}工作取得了一定成效，但仍存在一些不足：{problems}。",
        f"（二）改进措施。下一步，{me}将{_pick(rng, '重点做好以下工作', '从以下方面加以改进')}：{measures}。",
    ]
    section6 = [
        _pick(rng, f"{y}年，{me}未收取政府信息公开信息处理费。", f"本年度{me}没有收取信息处理费。"),
        f"如对本报告有疑问，请与{spec.agency}办公室联系。联系地址：{spec.address}；联系电话：{spec.phone}。",
    ]
    return {
        "一、总体情况": section1,
        "五、存在的主要问题及改进情况": section5,
        "六、其他需要报告的事项": section6,
    }


# --------------------------------------------------------------------------- rendering


def _fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table2_items(spec: ReportSpec) -> list[tuple[str, list[str], list[str]]]:
    if spec.trial_format:
        return [
            (
                "第二十条第（一）项",
                ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
                ["规章", "规范性文件"],
            ),
            (
                "第二十条第（五）项",
                ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
                ["行政许可", "其他对外管理服务事项"],
            ),
            (
                "第二十条第（六）项",
                ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
                ["行政处罚", "行政强制"],
            ),
            ("第二十条第（八）项", ["信息内容", "上一年项目数量", "本年增/减"], ["行政事业性收费"]),
            ("第二十条第（九）项", ["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购"]),
        ]
    return [
        (
            "第二十条第（一）项",
            ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "行政规范性文件"],
        ),
        ("第二十条第（五）项", ["信息内容", "本年处理决定数量"], ["行政许可"]),
        ("第二十条第（六）项", ["信息内容", "本年处理决定数量"], ["行政处罚", "行政强制"]),
        ("第二十条第（八）项", ["信息内容", "本年收费金额（单位：万元）"], ["行政事业性收费"]),
    ]


def _table3_order(spec: ReportSpec) -> list[tuple[str, tuple[str, ...]]]:
    leaves = RESULT_LEAVES_2019 if spec.trial_format else RESULT_LEAVES_2021
    return [
        ("一", ("一、本年新收政府信息公开申请数量",)),
        ("二", ("二、上年结转政府信息公开申请数量",)),
        *[(key, path) for key, path, _ in leaves],
        ("三.7", (_R3, "（七）总计")),
        ("四", ("四、结转下年度继续办理",)),
    ]


def render_pingtan(spec: ReportSpec, rng: random.Random) -> str:
    """The tab-row layout of data/corpus/reports/平潭综合实验区管委会_2021.txt."""
    text = narrative(spec, rng)
    month = rng.randint(1, 3)
    lines = [
        f"标题: {spec.title}",
        f"发布时间: {spec.year + 1}-{month:02d}-{rng.randint(10, 28):02d} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}",
    ]
    if spec.trial_format:
        lines.append("数据说明: 本报告按2019年版格式（国办公开办函〔2019〕60号）编制。")
    lines += [
        "",
        f"根据《中华人民共和国政府信息公开条例》要求，现公布{spec.agency}{spec.year}年政府信息公开工作年度报告。"
        f"本报告所列数据的统计期限自{spec.year}年1月1日起至{spec.year}年12月31日止。",
        "一、总体情况",
        *text["一、总体情况"],
        "",
        "二、主动公开政府信息情况",
    ]
    for heading, columns, labels in _table2_items(spec):
        lines += [heading, "\t".join(columns)]
        lines += ["\t".join([label, *map(_fmt, spec.table2[label])]) for label in labels]
    lines += [
        "",
        "三、收到和处理政府信息公开申请情况",
        CHECK_NOTE,
        "列说明：申请人情况 = 自然人 | 法人或其他组织（商业企业、科研机构、社会公益组织、法律服务机构、其他） | 总计",
        "\t".join(["项目", *TABLE3_COLUMNS]),
    ]
    lines += [
        "\t".join([" / ".join(path), *map(_fmt, spec.table3[key])]) for key, path in _table3_order(spec)
    ]
    lines += [
        "",
        "四、政府信息公开行政复议、行政诉讼情况",
        "列说明：行政复议（结果维持、结果纠正、其他结果、尚未审结、总计）；行政诉讼分“未经复议直接起诉”和“复议后起诉”两类，"
        "各含（结果维持、结果纠正、其他结果、尚未审结、总计）",
        "\t".join(["类别", *TABLE4_RESULTS]),
    ]
    for k, group in enumerate(TABLE4_GROUPS):
        lines.append("\t".join([group, *map(_fmt, spec.table4[k * 5 : k * 5 + 5])]))
    lines += ["", "五、存在的主要问题及改进情况", *text["五、存在的主要问题及改进情况"]]
    lines += ["六、其他需要报告的事项", *text["六、其他需要报告的事项"]]
    return "\n".join(lines) + "\n"


def render_xiaocha(spec: ReportSpec, rng: random.Random) -> str:
    """The layout of data/corpus/reports/彭阳县小岔乡人民政府_2022.txt: title on two lines, tables
    as copied from a web page with merged cells (label columns shifted, 表四 as one 15-number row)."""
    text = narrative(spec, rng)
    out = ["", "", spec.agency, "", f"{spec.year} 年政府信息公开工作年度报告", ""]
    out += [
        f"根据《中华人民共和国政府信息公开条例》规定和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
        f"政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，现发布《{spec.agency} {spec.year} "
        f"年政府信息公开工作年度报告》，本报告统计数据从 {spec.year} 年 1 月 1 日至 12 月 31 日。",
        "",
        "一、总体情况",
        "",
    ]
    for para in text["一、总体情况"]:
        out += [para, ""]
    out += ["二、主动公开政府信息情况", ""]
    for heading, columns, labels in _table2_items(spec):
        width = len(columns)
        out.append(heading + "\t" * 3)
        out.append("\t".join(columns) + "\t" * (4 - width))
        for label in labels:
            out.append("\t".join([label, *map(_fmt, spec.table2[label])]) + "\t" * (4 - width))
    out += ["", "三、收到和处理政府信息公开申请情况", ""]
    out += [
        "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计\t",
        "\t\t自然人\t法人或其他组织\t\t\t\t\t\t",
        "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t",
    ]
    t3 = spec.table3

    def vals(key: str) -> str:
        return "\t".join(_fmt(v) for v in t3[key])

    out.append(f"一、本年新收政府信息公开申请数量\t\t{vals('一')}\t")
    out.append(f"二、上年结转政府信息公开申请数量\t\t{vals('二')}\t")
    out.append(f"三、本年度办理结果\t(一) 予以公开\t{vals('三.1')}\t")
    out.append(f"\t(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)\t{vals('三.2')}\t")
    groups = {
        "三.3": "(三) 不予公开",
        "三.4": "(四) 无法提供",
        "三.5": "(五) 不予处理",
        "三.6": "(六) 其他处理",
    }
    for key, path, _ in RESULT_LEAVES_2021[2:]:
        group = key.rsplit(".", 1)[0]
        leaf = path[-1].replace("其他法律行政法规禁止公开", "其他法律法规禁止公开")
        if key == "三.6.3":
            out.append(f"{leaf}\t\t{vals(key)}\t")  # the published page drops this row's label cells
        elif key.endswith(".1"):
            out.append(f"\t{groups[group]}\t{leaf}\t{vals(key)}")
        else:
            out.append(f"\t\t{leaf}\t{vals(key)}")
    out.append(f"(七) 总计\t{vals('三.7')}\t\t")
    out.append(f"四、结转下年度继续办理\t\t{vals('四')}\t")
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", ""]
    out += [
        "行政复议\t\t\t\t\t行政诉讼" + "\t" * 9,
        "结果 维持\t结果 纠正\t其他 结果\t尚未 审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t",
        "\t\t\t\t\t" + "\t".join(["结果 维持", "结果 纠正", "其他 结果", "尚未 审结", "总计"] * 2),
        "\t".join(_fmt(v) for v in spec.table4),
        "",
        "五、存在的主要问题及改进情况",
        "",
    ]
    for para in text["五、存在的主要问题及改进情况"]:
        out += [para, ""]
    out += ["六、其他需要报告的事项", ""]
    for para in text["六、其他需要报告的事项"]:
        out += [para, ""]
    return "\n".join(out)


def render(spec: ReportSpec, seed: int) -> str:
    rng = random.Random(f"{seed}|{spec.stem}")  # each report's wording independent of the others
    return render_xiaocha(spec, rng) if spec.layout == "xiaocha" else render_pingtan(spec, rng)


# --------------------------------------------------------------------------- questions


def _q(
    qid: str, question: str, expect: dict, cite: dict | None, intended: str, history: list | None = None
) -> dict:
    item = {"id": qid, "question": question, "history": history or [], "expect": expect}
    if cite:
        item["cite"] = cite
    item["intended_path"] = intended  # facts | retrieval | not_found (what the question is meant to exercise)
    return item


def _num(value: float | int) -> str:
    return _fmt(float(value)) if isinstance(value, float) else str(value)


def facts_questions(spec: ReportSpec) -> list[tuple[str, dict, dict]]:
    """(question, expect, cite) for table quantities of one report."""
    who, y, src = spec.short_name, spec.year, spec.stem
    qs = [
        (f"{who}{y}年新收政府信息公开申请多少件？", spec.total("一"), ["本年新收"]),
        (f"{who}{y}年不予公开的政府信息公开申请有多少件？", spec.total("三.3"), ["不予公开"]),
        (f"{who}{y}年予以公开的申请有多少件？", spec.total("三.1"), ["予以公开"]),
        (f"{who}{y}年因本机关不掌握相关政府信息而无法提供的申请有多少件？", spec.total("三.4.1"), ["不掌握"]),
        (f"{who}{y}年结转下年度继续办理的申请有多少件？", spec.total("四"), ["结转下年度"]),
        (f"{who}{y}年因政府信息公开被申请行政复议多少件？", spec.table4[4], ["行政复议"]),
        (f"{who}{y}年新收的自然人政府信息公开申请有多少件？", spec.column("一", "自然人"), ["本年新收"]),
    ]
    licences = spec.table2["行政许可"][-1]
    penalties = spec.table2["行政处罚"][-1]
    qs.append((f"{who}{y}年行政许可处理决定数量是多少？", licences, ["行政许可"]))
    qs.append((f"{who}{y}年行政处罚处理决定数量是多少？", penalties, ["行政处罚"]))
    if not spec.trial_format:
        qs.append(
            (f"{who}{y}年行政事业性收费金额是多少？", spec.table2["行政事业性收费"][0], ["行政事业性收费"])
        )
    return [
        (q, {"status": "answered", "numbers": [_num(v)]}, {"source": src, "keys": keys})
        for q, v, keys in qs
        if v is not None
    ]


def narrative_questions(spec: ReportSpec) -> list[tuple[str, dict, dict]]:
    who, y = spec.short_name, spec.year
    problem = PROBLEMS[spec.problems[0]]
    return [
        (f"{who}{y}年共主动公开政府信息多少条？", {"numbers": [str(spec.published_total)]}, ["主动公开"]),
        (
            f"{who}{y}年通过微信公众号发布了多少条信息？",
            {"numbers": [str(spec.published_wechat)]},
            ["微信公众号"],
        ),
        (f"{who}{y}年组织了几次政务公开业务培训？", {"numbers": [str(spec.trainings)]}, ["培训"]),
        (f"{who}{y}年开展了几次政务公开专项检查？", {"numbers": [str(spec.inspections)]}, ["检查"]),
        (f"{who}{y}年政务公开领导小组的组长是谁？", {"any_text": [spec.leader]}, ["领导小组"]),
        (f"{who}政府信息公开工作的联系电话是多少？", {"any_text": [spec.phone]}, ["电话"]),
        (f"{who}{y}年政务公开工作存在哪些主要问题？", {"any_text": [problem[0]]}, ["主要问题"]),
    ]


def build_questions(
    specs: list[ReportSpec], seed: int = 7, per_report: tuple[int, int] = (3, 2)
) -> list[dict]:
    """Per report: some facts and narrative questions; plus not_found ones (unknown agencies,
    years an agency did not report) and a few follow-ups that carry the agency over."""
    rng = random.Random(seed + 1)
    items: list[dict] = []
    by_agency: dict[str, list[ReportSpec]] = {}
    for spec in specs:
        by_agency.setdefault(spec.agency, []).append(spec)
    n = 0

    def add(
        question: str, expect: dict, cite: dict | None, intended: str, history: list | None = None
    ) -> None:
        nonlocal n
        n += 1
        items.append(_q(f"gen-{n:05d}", question, expect, cite, intended, history))

    for spec in specs:
        for q, expect, cite in rng.sample(facts_questions(spec), per_report[0]):
            add(q, expect, cite, "facts")
        for q, expect, keys in rng.sample(narrative_questions(spec), per_report[1]):
            # The phone number is the same in every year's report: any report of the agency will do.
            source = spec.agency if "电话" in keys else spec.stem
            add(q, {"status": "answered", **expect}, {"source": source, "keys": keys}, "retrieval")
    for runs in by_agency.values():
        have = {s.year for s in runs}
        spec = runs[0]
        if rng.random() < 0.25:
            missing = rng.choice([y for y in range(2016, 2025) if y not in have])
            add(
                f"{spec.short_name}{missing}年不予公开的政府信息公开申请有多少件？",
                {"status": "not_found"},
                None,
                "not_found",
            )
        if len(runs) >= 2 and rng.random() < 0.2:  # follow-up: the agency and quantity carried over
            a, b = runs[0], runs[1]
            first = f"{a.short_name}{a.year}年新收政府信息公开申请多少件？"
            history = [
                {"role": "user", "content": first},
                {
                    "role": "assistant",
                    "content": f"{a.short_name}{a.year}年新收政府信息公开申请{a.total('一')}件。",
                },
            ]
            add(
                f"那{b.year}年呢？",
                {"status": "answered", "numbers": [str(b.total("一"))]},
                {"source": b.stem, "keys": ["本年新收"]},
                "facts",
                history,
            )
    n_unknown = max(3, len(specs) // 20)
    for i in range(n_unknown):
        county, town = (
            UNKNOWN_COUNTIES[i % len(UNKNOWN_COUNTIES)],
            UNKNOWN_TOWNS[(i * 3) % len(UNKNOWN_TOWNS)],
        )
        year = rng.choice(YEARS)
        question = rng.choice(
            [
                f"{county}县{town}镇{year}年新收政府信息公开申请多少件？",
                f"{county}县{town}镇{year}年因政府信息公开被申请行政复议多少件？",
                f"{county}县{year}年予以公开的申请有多少件？",
            ]
        )
        add(question, {"status": "not_found"}, None, "not_found")
    for spec in rng.sample(specs, max(2, len(specs) // 40)):
        add(f"{spec.short_name}的常住人口有多少？", {"status": "not_found"}, None, "not_found")
    return items


# --------------------------------------------------------------------------- main


def generate(n: int, out: Path, seed: int = 7, xiaocha_share: float = 0.15) -> dict:
    """Write the corpus and the questions; returns a summary."""
    specs = build_specs(n, seed, xiaocha_share)
    reports = out / "reports"
    if reports.exists():
        shutil.rmtree(reports)
    reports.mkdir(parents=True)
    for spec in specs:
        (reports / f"{spec.stem}.txt").write_text(render(spec, seed), encoding="utf-8")
    questions = build_questions(specs, seed)
    with (out / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for item in questions:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    with (out / "specs.jsonl").open("w", encoding="utf-8") as fh:
        for spec in specs:
            fh.write(json.dumps(asdict(spec), ensure_ascii=False) + "\n")
    summary = {
        "reports": len(specs),
        "agencies": len({s.agency for s in specs}),
        "layouts": {k: sum(1 for s in specs if s.layout == k) for k in ("pingtan", "xiaocha")},
        "kinds": {k: sum(1 for s in specs if s.kind == k) for k in ("town", "county", "bureau")},
        "questions": {
            k: sum(1 for q in questions if q["intended_path"] == k)
            for k in ("facts", "retrieval", "not_found")
        },
        "seed": seed,
        "out": str(out),
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic annual reports and questions.")
    parser.add_argument("--n", type=int, default=200, help="number of reports")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default bench/out/corpus<N>)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--xiaocha-share", type=float, default=0.15, help="share of 2021+ reports in the 小岔乡 layout"
    )
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "out" / f"corpus{args.n}"
    print(json.dumps(generate(args.n, out, args.seed, args.xiaocha_share), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
