"""/export and /chart through Telegram: the ledger arrives as a document in the coordinator's
private chat, the chart as a photo in the committee group (real PTB Application, sandbox)."""
import io
from datetime import timedelta

import openpyxl
import pytest

from .conftest import COMMITTEE, COORDINATORS, GRID

pytestmark = pytest.mark.asyncio


def uploaded(sb, file_id: str):
    """The file the bot uploaded for a document or photo, as the sandbox keeps it (``.data``)."""
    return sb.files.files.get(file_id) or sb.files.files[file_id.removesuffix("s")]


async def test_export_sends_the_ledger_privately_and_chart_a_photo_to_the_committee(tgbot):
    sb = tgbot.sb
    ma = tgbot.uid("ma")
    await tgbot.say(ma, "ma", "/start")  # the coordinator has opened the private chat
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了一周了，电话13812345678")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    private_before = len(sb.sent(ma))

    await tgbot.say(COORDINATORS, "ma", "/export")
    group = [m for m in sb.sent(COORDINATORS) if "台账正在生成，完成后私信发给您" in m.get("text", "")]
    assert len(group) == 1
    assert not [m for m in sb.sent(ma)[private_before:] if "document" in m]  # built by the ticker, not the command
    await tgbot.advance(timedelta(0))  # the ticker's next round runs the job that builds it
    documents = [m for m in sb.sent(ma)[private_before:] if "document" in m]
    assert len(documents) == 1, sb.sent(ma)
    document = documents[0]
    assert document["caption"].startswith("📎 台账") and "事项 1 件" in document["caption"]
    assert document["document"]["file_name"].endswith(".xlsx")
    assert not [m for m in sb.sent(COORDINATORS) if "document" in m]  # never in the group

    stored = uploaded(sb, document["document"]["file_id"])
    book = openpyxl.load_workbook(io.BytesIO(stored.data))
    assert book.sheetnames == ["事项台账", "协商与投票", "满意度评价", "汇总"]
    ledger = book["事项台账"]
    header = [c.value for c in ledger[1]]
    row = dict(zip(header, [c.value for c in ledger[2]]))
    assert (row["编号"], row["报事人"], row["接单委员"]) == (1, "王阿姨", "刘委员")
    assert "138****5678" in row["内容"] and "13812345678" not in row["内容"]
    # the same bytes come back through getFile and the file download
    got = await tgbot.runtime.application.bot.get_file(document["document"]["file_id"])
    assert bytes(await got.download_as_bytearray()) == stored.data

    committee_before = len(sb.sent(COMMITTEE))
    await tgbot.say(COMMITTEE, "liu", "/chart")
    photos = [m for m in sb.sent(COMMITTEE)[committee_before:] if "photo" in m]
    assert len(photos) == 1, sb.sent(COMMITTEE)[committee_before:]
    photo = photos[0]
    assert photo["caption"].startswith("📊")
    biggest = photo["photo"][-1]
    assert (biggest["width"], biggest["height"]) == (800, 600)
    assert uploaded(sb, biggest["file_id"]).data.startswith(b"\x89PNG")
    assert sb.errors == []


async def test_a_coordinator_who_never_wrote_privately_is_told_to_start_first(tgbot):
    """Telegram lets the bot write privately only to people who wrote to it: the ledger is
    refused with what to do, rather than announced and then lost."""
    sb = tgbot.sb
    await tgbot.say(COORDINATORS, "ma", "/export")
    answers = [m["text"] for m in sb.sent(COORDINATORS)]
    assert any("请先私聊我发一句 /start，再发送 /export" in text for text in answers), answers
    assert not any("台账正在生成" in text for text in answers)
    assert not [m for m in sb.sent() if "document" in m]

    await tgbot.say(tgbot.uid("ma"), "ma", "/start")
    await tgbot.say(COORDINATORS, "ma", "/export")
    await tgbot.advance(timedelta(0))
    assert [m for m in sb.sent(tgbot.uid("ma")) if "document" in m]
