"""The district of the scale-out test: grids, a big committee, many residents, and its config.

Everything here is data: Telegram ids, names, the reports residents post (with the
duplicates that must fold into one concern), and the TOML each ``shangliang run`` process
reads (the same file but for the port its webhook server listens on).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

GRIDS = 4
MEMBERS = 30                        # committee members (plus one coordinator): the electorate
RESIDENTS = 1200
COORDINATOR = 9000
COMMITTEE, COORDINATORS = -1002000, -1003000
WEBHOOK_URL = "https://bot.example.test/telegram"  # the public address nginx would serve
PROBLEMS = ["路灯坏了", "楼道灯不亮", "电梯停运", "下水道堵了", "垃圾没人清运", "有人飞线充电", "消防通道被车堵住",
            "井盖松动", "路面塌陷一个坑", "水管漏水", "楼顶渗水", "外墙瓷砖掉落", "门禁坏了", "监控不亮",
            "自来水发黄", "滑梯坏了", "台阶太滑", "车棚顶棚漏雨", "化粪池有臭味", "树枝挡住窗户"]
PLACES = ["号楼门口", "号楼楼道", "栋电梯口", "栋地下车库", "号楼后面", "栋单元门"]


def grid_chat(g: int) -> int:
    return -1001001 - g


def member_id(m: int) -> int:
    return 9100 + m


def resident_id(r: int) -> int:
    return 200000 + r


@dataclass(frozen=True)
class Report:
    grid: int
    sender: int       # Telegram user id
    text: str
    group: int        # reports with the same group are one matter, told by several residents


def reports(per_grid: int, duplicates: list[int], rng: random.Random) -> list[Report]:
    """``per_grid`` distinct matters in each grid, and for each of that grid's first matters
    ``duplicates[i]`` more residents reporting it in the same words; shuffled."""
    out, senders = [], iter(rng.sample(range(RESIDENTS), GRIDS * (per_grid + sum(duplicates))))
    for g in range(GRIDS):
        for i in range(per_grid):
            place = f"{i + 1}{PLACES[(i + g) % len(PLACES)]}"
            text = f"#报事 {place}{PROBLEMS[(i * 7 + g) % len(PROBLEMS)]}，麻烦尽快处理"
            group = g * per_grid + i
            copies = 1 + (duplicates[i] if i < len(duplicates) else 0)
            out += [Report(g, resident_id(next(senders)), text, group) for _ in range(copies)]
    rng.shuffle(out)
    return out


def config_toml(database_url: str, base_url: str, port: int) -> str:
    lines = [f'[database]\nurl = "{database_url}"\n',
             '[community]\ntimezone = "Asia/Shanghai"\nlanguage = "zh"\nweekly_summary_day = "none"\n'
             'members_monthly = false\n',
             # one person's reports in a minute are limited; residents here post by script
             '[intake]\nflood_per_minute = 100000\n',
             f'[telegram]\nbase_url = "{base_url}"\nwebhook_url = "{WEBHOOK_URL}"\nwebhook_listen = "127.0.0.1"\n'
             f'webhook_port = {port}\nwebhook_path = "telegram"\nrate_limit = false\ntick_seconds = 1\n']
    for g in range(GRIDS):
        lines.append(f'[[grids]]\nkey = "g{g}"\nname = "第{g + 1}网格"\n')
        lines.append(f'[[chats]]\nkey = "g{g}"\nkind = "grid"\ngrid = "g{g}"\ntelegram = {grid_chat(g)}\n')
    lines.append(f'[[chats]]\nkey = "committee"\nkind = "committee"\ntelegram = {COMMITTEE}\n')
    lines.append(f'[[chats]]\nkey = "coordinators"\nkind = "coordinators"\ntelegram = {COORDINATORS}\n')
    lines.append(f'[[people]]\nhandle = "ma"\nname = "马书记"\ntelegram = {COORDINATOR}\nroles = ["coordinator"]\n')
    for m in range(MEMBERS):
        lines.append(f'[[people]]\nhandle = "m{m}"\nname = "委员{m:02d}"\ntelegram = {member_id(m)}\n'
                     'roles = ["member"]\n')
    return "\n".join(lines)


def write_configs(folder: Path, database_url: str, base_url: str, ports: list[int]) -> list[Path]:
    paths = []
    for port in ports:
        path = folder / f"run-{port}.toml"
        path.write_text(config_toml(database_url, base_url, port), "utf-8")
        paths.append(path)
    return paths


def populate(sb) -> None:
    """The sandbox's users and chats."""
    sb.add_user(COORDINATOR, "马书记", username="ma")
    for m in range(MEMBERS):
        sb.add_user(member_id(m), f"委员{m:02d}")
    for r in range(RESIDENTS):
        sb.add_user(resident_id(r), f"居民{r}")
    for g in range(GRIDS):
        sb.add_chat(grid_chat(g), "supergroup", title=f"第{g + 1}网格居民群")
    sb.add_chat(COMMITTEE, "supergroup", title="议事委员会")
    sb.add_chat(COORDINATORS, "supergroup", title="联络组")
