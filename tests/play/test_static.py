"""The page is three files shipped with the playground; it names no address on the internet
(no CDN, no web font), so nothing a visitor does in it leaves the machine."""
from __future__ import annotations

import re


def test_the_page_ships_its_own_files_and_loads_nothing_from_the_internet():
    from sandbox.play.server import STATIC
    names = sorted(p.name for p in STATIC.iterdir())
    assert names == ["app.js", "index.html", "style.css"]
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), f"{path.name} names an outside address"
        assert not re.search(r"@import|url\(\s*['\"]?//", text), f"{path.name} pulls in another file"
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["/static/style.css", "/static/app.js"]
