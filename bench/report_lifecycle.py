"""What one concern of the reports bench leaves behind, step by step, as rows to insert.

A concern goes the way concerns go (reported → claimed → (deliberated →) decided → in progress
→ resolved → surveyed → closed; some late, some reopened by a dissatisfied answer, some
withdrawn, rejected or converted, a few stuck open past their deadlines); every step leaves the
rows the bot writes for it (audit lines, supports, committee polls with options and votes,
plans, surveys and answers, proposals, comments, an outbox row), and how far it got depends on
its age at ``NOW``. Its text is made afresh from the generated corpus's places, problems and
details, one in twenty with a phone number; residents have Chinese names.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from storage.models import (AuditEntry, Comment, Concern, Deliberation, Option, OutboxMessage, Outcome, Proposal,
                            Support, Survey, SurveyResponse, Vote)

from .corpus import DETAILS, PLACES, PROBLEMS

YEAR = datetime.fromisoformat("2026-01-01T00:00:00+08:00")
NOW = datetime.fromisoformat("2027-01-01T08:30:00+08:00")  # the digest of 1 January is due
H, D = timedelta(hours=1), timedelta(days=1)
SLA = {"small": (24 * H, 7 * D), "big": (72 * H, 30 * D), "urgent": (2 * H, 1 * D)}
OPTIONS = ("同意", "反对", "需要再调研")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英桂兰建华玉兰淑珍国强志明丽娟海燕红梅晓东文斌春生金凤德福美玲俊杰子轩雨涵浩然欣怡宇航思远"
TABLES = (Concern, AuditEntry, Support, Deliberation, Option, Vote, Outcome, Survey, SurveyResponse, Proposal,
          Comment, OutboxMessage)  # parents before children


class Rows:
    """Rows waiting to be inserted, by table, with the next id of each."""

    def __init__(self, first_ids: dict) -> None:
        self.ids = dict(first_ids)
        self.rows: dict = {model: [] for model in TABLES}

    def add(self, model, **values) -> int:
        values["id"] = self.ids[model]
        self.ids[model] += 1
        self.rows[model].append(values)
        return values["id"]


def name(n: int) -> str:
    surname = SURNAMES[n % len(SURNAMES)]
    given = n // len(SURNAMES)
    return surname + GIVEN[given % len(GIVEN)] + ("" if given < len(GIVEN) else GIVEN[given // len(GIVEN) % len(GIVEN)])


def _text(rng: random.Random, categories: dict[str, str]) -> tuple[str, str, str]:
    """A resident's report as the corpus makes them: its text, category and place."""
    place = rng.choice(PLACES).format(b=rng.randint(1, 40), c=rng.randint(1, 40), u=rng.randint(1, 6),
                                      f=rng.randint(1, 30))
    problem = rng.choice(PROBLEMS)
    phone = f"，电话13{rng.randint(0, 999_999_999):09d}" if rng.random() < 0.05 else ""
    return f"{place}{problem}{rng.choice(DETAILS)}{phone}", categories.get(problem, "其他"), place


def concern(rows: Rows, rng: random.Random, created: datetime, grid: int, residents: dict, committee: list,
            categories: dict[str, str]) -> None:
    """One concern reported at ``created`` in ``grid``, and the rows of its steps up to ``NOW``."""
    body, category, location = _text(rng, categories)
    r = rng.random()
    size = "urgent" if r < 0.08 else "big" if r < 0.20 else "small"
    respond_in, resolve_in = SLA[size]
    reporter = rng.choice(residents[grid])
    member = rng.choice(committee)
    c = dict(text=body, category=category, size=size, size_confirmed=size != "small", state="reported",
             location=location, grid_id=grid, reporter_id=reporter, anonymous=rng.random() < 0.05,
             claimed_by_id=None, reopen_count=0, created_at=created, updated_at=created, first_response_at=None,
             claimed_at=None, decided_at=None, resolved_at=None, closed_at=None, reopened_at=None,
             responded_at=None, respond_by=created + respond_in, resolve_by=created + resolve_in, version=1)
    cid = rows.ids[Concern]
    events: list[tuple[datetime, str, int | None]] = [(created, "report", reporter)]
    for who in rng.sample(residents[grid], rng.choice((0, 0, 0, 1, 1, 2, 3))):
        if who != reporter:
            at = created + rng.random() * 2 * D
            if at <= NOW:
                rows.add(Support, concern_id=cid, person_id=who, follow=True, at=at)
                events.append((at, "support", who))
    stall = rng.random() < 0.02  # stuck at some step, past its deadlines
    fate = rng.random()
    answered = created + rng.random() * (respond_in * 0.9 if rng.random() < 0.9 else respond_in * 3)
    if fate < 0.03:
        _exit(rows, c, events, created + rng.random() * 6 * H, "withdrawn", None)
    elif answered <= NOW and not (stall and rng.random() < 0.3):
        c.update(state="claimed", claimed_by_id=member, claimed_at=answered, responded_at=answered,
                 first_response_at=answered)
        events.append((answered, "claim", member))
        if fate < 0.05:
            _exit(rows, c, events, answered + 2 * H, "rejected", member)
        elif not (stall and rng.random() < 0.4):
            _decide(rows, rng, c, cid, events, answered, size, committee, member, fate < 0.06, stall)
    rows.add(Concern, **c)
    for at, action, actor in events:
        rows.add(AuditEntry, concern_id=cid, actor_id=actor, action=action, from_state=None, to_state=None,
                 detail={}, at=at)
    rows.add(OutboxMessage, kind="reply:report", platform="replay", chat_id=None, person_id=reporter,
             concern_id=cid, text=f"已登记 #{cid}", reply_to_external_id=None, buttons=[], payload={},
             dedupe_key=None, state="unreachable" if rng.random() < 0.001 else "sent", attempts=1, last_error="",
             created_at=created, not_before=created, locked_until=None, sent_at=created, external_message_id=None)


def _exit(rows: Rows, c: dict, events: list, at: datetime, state: str, actor: int | None) -> None:
    if at <= NOW:
        c.update(state=state, updated_at=at, closed_at=at)
        events.append((at, {"withdrawn": "withdraw", "rejected": "reject", "converted": "convert"}[state], actor))


def _decide(rows: Rows, rng, c: dict, cid: int, events: list, claimed: datetime, size: str, committee: list,
            member: int, convert: bool, stall: bool) -> None:
    decided, poll = claimed + rng.uniform(1, 48) * H, None
    if size == "big":
        opened = claimed + H
        closes = opened + 48 * H
        voters = rng.sample(committee, min(len(committee), rng.randint(2, 6)))
        quorum = len(voters) * 2 >= len(committee)
        poll = rows.add(Deliberation, concern_id=cid, opened_by_id=member, question="是否按方案办理", multiple=False,
                        quorum_share=0.5, quorum_count=None, threshold=None, hide_results=False, kind="committee",
                        grid_id=None, electorate=len(committee), state="closed" if closes <= NOW else "open",
                        result=("同意" if quorum else "no_quorum") if closes <= NOW else "", opened_at=opened,
                        closes_at=closes, closed_at=closes if closes <= NOW else None, external_poll_id=None)
        options = [rows.add(Option, deliberation_id=poll, position=p, text=t) for p, t in enumerate(OPTIONS, 1)]
        for who in voters:
            at = opened + rng.random() * 40 * H
            if at <= NOW:
                rows.add(Vote, deliberation_id=poll, person_id=who, option_id=rng.choice(options[:2] * 3 + options),
                         slot=0, platform="replay", at=at)
                events.append((at, "vote", who))
        c["state"] = "deliberating" if opened <= NOW else c["state"]
        decided = closes + rng.uniform(1, 24) * H
    if convert:
        if decided <= NOW:
            rows.add(Proposal, concern_id=cid, kind=rng.choice(("proposal", "report")), title="关于加装电梯的提案",
                     summary="", created_by_id=member, at=decided)
        return _exit(rows, c, events, decided, "converted", member)
    if decided > NOW:
        return
    rows.add(Outcome, concern_id=cid, deliberation_id=poll, decided_by_id=member, plan=f"联系物业处理：{c['text'][:40]}",
             vote_summary="", review_at=None, notice_until=None, residents_result="", at=decided)
    c.update(state="decided", decided_at=decided, updated_at=decided)
    events.append((decided, "decide", member))
    if rng.random() < 0.1:
        who = rng.choice(committee)
        rows.add(Comment, concern_id=cid, deliberation_id=poll, person_id=who, chat_id=None,
                 text="支持：尽快办理", position="support", at=decided - 0.5 * H)
        events.append((decided - 0.5 * H, "comment", who))
    if stall:
        return
    resolved = decided + rng.uniform(0.05, 1.3) * (c["resolve_by"] - c["created_at"])
    if rng.random() < 0.5 and decided + (resolved - decided) / 2 <= NOW:
        events.append((decided + (resolved - decided) / 2, "progress", member))
        c.update(state="in_progress")
    for round_ in (1, 2):
        if resolved > NOW:
            return
        c.update(state="resolved", resolved_at=resolved, updated_at=resolved)
        events.append((resolved, "resolve", member))
        sent = resolved + 24 * H
        if sent > NOW:
            return
        survey = rows.add(Survey, concern_id=cid, round=round_, state="closed" if sent + 3 * D <= NOW else "open",
                          send_at=sent, sent_at=sent, closes_at=sent + 3 * D,
                          closed_at=sent + 3 * D if sent + 3 * D <= NOW else None, resolved_by_id=member)
        rating = None
        if rng.random() < 0.6:
            at = sent + rng.random() * 2 * D
            if at <= NOW:
                r = rng.random()
                rating = "satisfied" if r < 0.7 else "basically" if r < 0.9 else "dissatisfied"
                rows.add(SurveyResponse, survey_id=survey, person_id=c["reporter_id"], rating=rating,
                         comment="还没修好" if rating == "dissatisfied" else "", at=at)
                events.append((at, "survey", c["reporter_id"]))
        if rating == "dissatisfied" and round_ == 1:
            c.update(state="reopened", reopened_at=at, reopen_count=1, updated_at=at)
            events.append((at, "survey_reopen", c["reporter_id"]))
            resolved = at + rng.uniform(1, 5) * D
            continue
        if sent + 3 * D <= NOW:
            c.update(state="closed", closed_at=sent + 3 * D, updated_at=sent + 3 * D)
        return
