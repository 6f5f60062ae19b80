"""A generated district for the benchmarks: N grids, each with its residents' group, one
committee, one coordinators' group, five members and a coordinator (config TOML, the
loader's own input)."""
from __future__ import annotations

from pathlib import Path

ESTATES = ["幸福里", "锦绣花园", "和平新村", "阳光小区", "翠竹苑", "东风里", "柳岸", "春晖园", "桃源居", "金桥",
           "望江", "梧桐院", "新华里", "长乐坊", "青年路", "滨河湾", "枫林", "槐树街", "南湖", "北苑"]
MEMBERS = [("liu", "刘委员"), ("zhao", "赵委员"), ("sun", "孙委员"), ("zhou", "周委员"), ("wu", "吴委员")]


def grid_key(n: int) -> str:
    return f"grid-{n + 1}"


def grid_name(n: int) -> str:
    return f"{ESTATES[n % len(ESTATES)]}{n // len(ESTATES) + 1}期网格"


def config_toml(grids: int, database_url: str) -> str:
    lines = [f'[database]\nurl = "{database_url}"\n',
             '[community]\ntimezone = "Asia/Shanghai"\nlanguage = "zh"\ndigest_when_quiet = false\n'
             'weekly_summary_day = "none"\nmembers_monthly = false\n']
    for n in range(grids):
        lines.append(f'[[grids]]\nkey = "{grid_key(n)}"\nname = "{grid_name(n)}"\n')
        lines.append(f'[[chats]]\nkey = "{grid_key(n)}"\nkind = "grid"\ngrid = "{grid_key(n)}"\n'
                     f'title = "{grid_name(n)}居民群"\n')
    lines.append('[[chats]]\nkey = "committee"\nkind = "committee"\ntitle = "议事委员会"\n')
    lines.append('[[chats]]\nkey = "coordinators"\nkind = "coordinators"\ntitle = "联络组"\n')
    lines.append('[[people]]\nhandle = "ma"\nname = "马书记"\nroles = ["coordinator"]\n')
    for handle, name in MEMBERS:
        lines.append(f'[[people]]\nhandle = "{handle}"\nname = "{name}"\nroles = ["member"]\n')
    return "\n".join(lines)


def write_config(folder: Path, grids: int, database_url: str) -> Path:
    path = folder / f"bench-{grids}-grids.toml"
    path.write_text(config_toml(grids, database_url), encoding="utf-8")
    return path
