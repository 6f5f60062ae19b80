"""The bot's command menu (setMyCommands): Chinese by default, English for English users.

Telegram only allows Latin command names, so the menu lists the English aliases with
Chinese descriptions; the Chinese command words work when typed.
"""
from __future__ import annotations

from telegram import BotCommand

COMMANDS = (
    ("report", "报事（私聊可匿名）", "report a concern (privately: anonymously)"),
    ("support", "附议 编号", "support a concern"),
    ("status", "查看进度 编号", "status of a concern"),
    ("mine", "我的事项", "your concerns"),
    ("unfollow", "取消关注 编号（不再私信进展）", "stop private updates on a concern"),
    ("survey", "满意度评价 编号 1|2|3", "rate a resolved concern"),
    ("claim", "委员接单 编号", "claim (members)"),
    ("size", "定级 编号 小事|大事|急事", "size (members)"),
    ("deliberate", "发起协商 编号", "open a deliberation (members)"),
    ("vote", "投票 编号 选项", "vote (members)"),
    ("decide", "记录方案 编号 方案", "record the plan (members)"),
    ("progress", "记录进展 编号 内容", "progress note (members)"),
    ("resolve", "办结 编号 说明", "resolve (members)"),
    ("stats", "统计与三率 [本月|2026-03] [网格]", "figures and rates (members)"),
    ("chart", "每周图表 [时间段]", "weekly chart (members)"),
    ("members", "履职清单 [时间段]", "members' record (coordinators)"),
    ("export", "导出 Excel 台账 [时间段]", "Excel ledger (coordinators)"),
    ("help", "帮助", "help"),
)


def commands(language: str) -> list[BotCommand]:
    column = 2 if language == "en" else 1
    return [BotCommand(row[0], row[column]) for row in COMMANDS]
