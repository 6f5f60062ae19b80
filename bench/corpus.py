"""Generated resident reports for the benchmarks: distinct texts, varied places and problems,
spread over the grids and many residents (none of it from the labelled intake corpus, so no
figure here is tuned on what the lexicon was built from)."""
from __future__ import annotations

import random
from dataclasses import dataclass

TAGS = ["#报事", "#报事", "#报事", "#求助", "#投诉", "#建议"]
PLACES = ["{b}栋", "{b}号楼", "{b}栋{u}单元", "{b}号楼{u}单元{f}楼", "{b}栋门口", "{b}栋楼道", "东门", "西门口",
          "南门岗亭旁", "北区车棚", "小区花园", "地下车库{b}区", "{b}栋电梯", "健身器材区", "垃圾站", "幼儿园门口",
          "{b}栋和{c}栋之间的路", "菜场后面", "物业办公室旁", "{b}单元顶楼"]
PROBLEMS = [
    "路灯坏了", "路灯不亮好几天了", "楼道灯不亮", "电梯停运", "电梯经常卡住", "下水道堵了", "污水冒出来",
    "垃圾没人清运", "垃圾桶满了没人收", "有人飞线充电", "电动车在楼道充电", "消防通道被车堵住", "井盖松动",
    "路面塌陷一个坑", "水管漏水", "楼顶渗水", "晚上广场舞噪音太大", "装修噪音扰民", "树枝挡住窗户", "野猫太多",
    "外墙瓷砖掉落", "门禁坏了", "监控不亮", "自来水发黄", "停水没通知", "小孩玩的滑梯坏了", "台阶太滑老人摔倒",
    "车棚顶棚漏雨", "有人高空抛物", "化粪池有臭味",
]
DETAILS = ["", "，晚上老人下楼看不清", "，已经一个星期了", "，希望尽快处理", "，打物业电话没人接", "，孩子上学不安全",
           "，好几户都反映过", "，下雨天更严重", "，麻烦看一下", "，谢谢", "，影响休息", "，前天就这样了",
           "，邻居摔了一跤", "，早上七点到现在", "，拍了照片"]


@dataclass(frozen=True)
class Report:
    grid: int        # 0-based grid number
    sender: str      # resident handle
    name: str
    text: str


def reports(count: int, grids: int, *, residents_per_grid: int = 60, seed: int = 20261203) -> list[Report]:
    """``count`` distinct tagged reports, round-robin-ish over ``grids`` grids."""
    rng = random.Random(seed)
    seen: set[tuple[int, str]] = set()
    out: list[Report] = []
    while len(out) < count:
        grid = rng.randrange(grids)
        place = rng.choice(PLACES).format(b=rng.randint(1, 40), c=rng.randint(1, 40), u=rng.randint(1, 6),
                                          f=rng.randint(1, 30))
        text = f"{rng.choice(TAGS)} {place}{rng.choice(PROBLEMS)}{rng.choice(DETAILS)}"
        if (grid, text) in seen:
            continue
        seen.add((grid, text))
        resident = rng.randrange(residents_per_grid)
        out.append(Report(grid, f"r{grid + 1}-{resident}", f"居民{grid + 1}-{resident}", text))
    return out
