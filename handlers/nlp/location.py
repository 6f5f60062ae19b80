"""Where a concern is: buildings, units, gates, phases, garages, streets and landmarks.

Keys are normalised so different wordings meet: 三栋/3幢/3号楼 → ``bldg:3``, 东门 →
``gate:东``, 菜场 → ``place:菜市场``, 建设街西头 → ``street:建设街`` + ``side:建设街:西``.
The duplicate rule needs the keys to agree; the card shows the display form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10}
_CN_NUMBER = r"[零〇一二两三四五六七八九十]{1,3}"
_NUMBER = rf"(\d{{1,3}}|{_CN_NUMBER})"
BUILDING = re.compile(_NUMBER + r"\s*(?:号楼|栋|幢|座|号院)")
#: lettered buildings (a栋, b座, c幢, d号楼; 棟/樓 arrive as 栋/楼), lifts (a梯, 2号梯) and units
LETTER_BUILDING = re.compile(r"(?<![a-z0-9])([a-z])\s*(?:号楼|栋|幢|座|楼(?!梯|道|下|上))")
LIFT = re.compile(r"(?<![a-z0-9])([a-z]|\d{1,2}\s*号)\s*(?:梯|电梯)(?![子坎田])")
UNIT = re.compile(_NUMBER + r"\s*单元")
LETTER_UNIT = re.compile(r"(?<![a-z0-9])([a-z])\s*单元")
PHASE = re.compile(_NUMBER + r"\s*期")
AREA = re.compile(r"(?<![a-z])([a-z])\s*区")
#: 东区/南区/中区 and 东院/西院: halves of an estate named by direction
SIDE_AREA = re.compile(r"([东南西北中])\s*(区|院)(?![长域别])")
#: named blocks and courts: 康岭楼, 翠竹苑, 观澜阁, 华贸大厦 (two-character names; not 这楼, 筒子楼, 写字楼)
BLOCK = re.compile(r"([\u4e00-\u9fa5]{2})(楼|苑|阁|大厦|公寓|新村)(?![梯道下上顶层房])")
_NOT_BLOCK = set("了在我的这那个条半是到去来跟上下层顶底高大老新旧危整栋座幢号几每各前后对隔边里外写住宅居民宿舍"
                 "办公教学商筒子主副爬跳回进出一二三四五六七八九十两百门小等楼电梯单元中间走过道廊口家屋头都也")
#: house numbers in a lane or village (兴康新村9号, 双井弄8号, 黄桷坡58号) and numbered lanes (3支弄)
HOUSE = re.compile(r"(?<=[村弄坡街巷路里])(\d{1,4})\s*号(?![楼院梯线门床])")
LANE = re.compile(_NUMBER + r"\s*支弄")
GARAGE = re.compile(r"(?<![a-z0-9])(b[1-3])(?![0-9])")
GATE = re.compile(r"([东南西北])\s*(?:大门|门|口门)")
# 街/巷/胡同 names of two characters (建设街, 和平巷); "…路" is left to the configured
# landmarks (路灯, 修路 are not streets), and 巷子 is any alley, not a name
STREET = re.compile(r"([\u4e00-\u9fa5]{2}(?:街|巷|胡同))(?!子)")
_NOT_NAME = set("了在我的这那个条半是到去来跟以后往向朝从对")
#: "不是3栋那个": a place named only to say it is not the one meant; "跟12号院那会儿一样": only compared
NEGATED = re.compile(r"(?:不是|不在|并非|而不是)[^，。,.；;！!？?\s]{0,8}"
                     r"|(?:跟|和|像|同|与)[^，。,.；;！!？?\s]{1,8}?(?:一样|那样|似的|不是一回事|不一样|不同)")
SIDE = re.compile(r"^(?:那个|那边)?([东西南北])(?:头|口|段|端|边|侧|首)")
#: Landmarks found in most estates, with their other names; a config may add local ones.
LANDMARKS = {
    "菜市场": ("菜市场", "菜场", "农贸市场"), "中心花园": ("中心花园", "小区花园"), "小广场": ("小广场",),
    "中心广场": ("中心广场",),
    "广场": ("广场",), "幼儿园": ("幼儿园",), "小学": ("小学",), "垃圾站": ("垃圾站", "垃圾房", "垃圾点"),
    "公厕": ("公厕", "公共厕所"), "车库": ("地下车库", "车库"), "车棚": ("车棚", "电动车棚", "自行车棚"),
    "河堤": ("河堤", "河边", "步道"), "活动室": ("活动室", "活动中心"), "篮球场": ("篮球场",),
    "健身区": ("健身器材", "健身区"), "物业办公室": ("物业办公室", "物业中心"), "儿童乐园": ("儿童乐园", "游乐区"),
}


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _DIGITS.get(word[1:], 0)
    if word.endswith("十"):
        return _DIGITS.get(word[0], 0) * 10
    if "十" in word:
        tens, ones = word.split("十", 1)
        return _DIGITS.get(tens, 0) * 10 + _DIGITS.get(ones, 0)
    return _DIGITS.get(word, 0)


@dataclass(frozen=True)
class Place:
    keys: frozenset[str] = field(default_factory=frozenset)
    display: str = ""

    def strict(self, prefix: str) -> frozenset[str]:
        return frozenset(k for k in self.keys if k.startswith(prefix))


class Locator:
    def __init__(self, landmarks: dict[str, tuple[str, ...]] | None = None) -> None:
        self.landmarks = {**LANDMARKS, **(landmarks or {})}
        aliases = sorted(((alias, name) for name, names in self.landmarks.items() for alias in names),
                         key=lambda pair: -len(pair[0]))
        self._aliases = aliases

    def locate(self, text: str) -> Place:
        keys: dict[str, str] = {}
        text = NEGATED.sub(" ", text)
        for pattern, kind, show in ((BUILDING, "bldg", "{}栋"), (UNIT, "unit", "{}单元"), (PHASE, "phase", "{}期")):
            for match in pattern.finditer(text):
                n = _number(match.group(1))
                if 0 < n < 1000:
                    keys[f"{kind}:{n}"] = show.format(n)
        for match in LETTER_BUILDING.finditer(text):
            keys[f"bldg:{match.group(1)}"] = f"{match.group(1).upper()}栋"
        for match in LETTER_UNIT.finditer(text):
            keys[f"unit:{match.group(1)}"] = f"{match.group(1).upper()}单元"
        for match in LIFT.finditer(text):
            lift = match.group(1).replace(" ", "").rstrip("号")
            keys[f"lift:{lift}"] = f"{lift.upper()}梯"
        for match in SIDE_AREA.finditer(text):
            kind = "area" if match.group(2) == "区" else "yard"
            keys[f"{kind}:{match.group(1)}"] = match.group(1) + match.group(2)
        for match in BLOCK.finditer(text):
            name = match.group(1)
            if set(name) & _NOT_BLOCK:
                continue
            keys[f"block:{name}{match.group(2)}"] = name + match.group(2)
        for match in HOUSE.finditer(text):
            keys[f"house:{int(match.group(1))}"] = f"{int(match.group(1))}号"
        for match in LANE.finditer(text):
            n = _number(match.group(1))
            if 0 < n < 1000:
                keys[f"lane:{n}"] = f"{n}支弄"
        for match in AREA.finditer(text):
            keys[f"area:{match.group(1)}"] = f"{match.group(1).upper()}区"
        for match in GARAGE.finditer(text):
            keys[f"garage:{match.group(1)}"] = match.group(1).upper()
        for match in GATE.finditer(text):
            keys[f"gate:{match.group(1)}"] = f"{match.group(1)}门"
        for match in STREET.finditer(text):
            street = match.group(1)
            if set(street[:2]) & _NOT_NAME:
                continue
            keys[f"street:{street}"] = street
            side = SIDE.match(text[match.end():])
            if side:
                keys[f"side:{street}:{side.group(1)}"] = f"{street}{side.group(1)}段"
        rest = text
        for alias, name in self._aliases:
            if alias in rest:
                keys.setdefault(f"place:{name}", name)
                rest = rest.replace(alias, " ")
        return Place(frozenset(keys), "、".join(dict.fromkeys(keys.values())))


#: kinds of place where two different values are two different spots
STRICT = ("bldg:", "gate:", "unit:", "phase:", "area:", "yard:", "garage:", "lift:", "block:", "house:", "lane:",
          "street:")
#: kinds that name a specific spot (a building, a unit, a gate, a named block, a lift...)
SPECIFIC = STRICT + ("side:", "place:")


def compatible(a: Place, b: Place) -> bool:
    """Could two reports be about the same spot? Buildings, gates, streets' ends must agree,
    and when either names a place they must share one."""
    for prefix in STRICT:
        left, right = a.strict(prefix), b.strict(prefix)
        if left and right and not left & right:
            return False
    sides_a, sides_b = a.strict("side:"), b.strict("side:")
    for side in sides_a:
        street = side.rsplit(":", 1)[0]
        other = {s for s in sides_b if s.rsplit(":", 1)[0] == street}
        if other and side not in other:
            return False
    if a.keys or b.keys:
        return bool(a.keys & b.keys)
    return True
