"""The ``shangliang`` command line: replay, export, run, deliver, migrate and the intake tools."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, text

from handlers import ledger
from handlers.clock import SimulatedClock
from storage.db import session_factory
from storage.models import Base

from . import export
from .bootstrap import bootstrap, connect
from .config import ConfigError, load
from .replay import Replay, ReplayError, TranscriptTransport, load_events, render_json, render_transcript


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ConfigError, ReplayError) as exc:
        print(f"shangliang: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shangliang", description="有事好商量 — consultation bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    sub = parser.add_subparsers(dest="command", required=True)

    replay = sub.add_parser("replay", help="replay a scripted conversation on a simulated clock")
    replay.add_argument("scenario", help="JSON Lines file of events")
    replay.add_argument("--config", help="TOML config with grids, chats and people")
    replay.add_argument("--json", action="store_true", help="one JSON object per outgoing message")
    replay.add_argument("--database", help="database URL (default: a fresh temporary SQLite file)")
    replay.add_argument("--reset", action="store_true", help="empty the --database first")
    replay.add_argument("--ledger", choices=("json", "csv"), help="print the ledger after the transcript")
    replay.add_argument("--files", help="folder to write the files the bot sends (ledgers, charts)")
    replay.set_defaults(func=_replay)

    exp = sub.add_parser("export", help="write the ledger (台账) of every concern")
    exp.add_argument("--format", choices=("json", "csv", "xlsx", "corrections"), default="json",
                     help="xlsx: the Excel ledger with summary sheet; corrections: members' category "
                          "corrections as JSON Lines training data")
    exp.add_argument("--period", default="",
                     help="xlsx only: 本月, 上月, 本季度, 本年, 2026-03, 2026-03-01~2026-03-15 … (default: all)")
    exp.add_argument("--config", help="TOML config (for the database URL and time zone)")
    exp.add_argument("--database", help="database URL (overrides the config)")
    exp.add_argument("--output", help="file to write (default: standard output)")
    exp.add_argument("--hide-reporters", action="store_true", help="leave every reporter's identity out")
    exp.set_defaults(func=_export)

    cls = sub.add_parser("classify", help="explain category, size, place and keywords of messages on stdin")
    cls.add_argument("--config", help="TOML config (lexicons, local words and places)")
    cls.add_argument("--json", action="store_true", help="one JSON object per message")
    cls.set_defaults(func=_classify)

    ev = sub.add_parser("intake-eval", help="score intake on labelled corpora (JSON Lines files or folders of them)")
    ev.add_argument("corpus", nargs="+", help="a part: one file, or a folder scored as one (e.g. tests/data/intake/test)")
    ev.add_argument("--config", help="TOML config (lexicons, local words and places)")
    ev.add_argument("--json", action="store_true", help="the scores as JSON")
    ev.set_defaults(func=_intake_eval)

    tr = sub.add_parser("intake-train", help="learn the intake model shipped in the package from labelled "
                                             "corpora (the development part; never the test part)")
    tr.add_argument("corpus", nargs="*", help="files or folders (default: tests/data/intake/dev and "
                                              "../shared/intake/corpus-dev.jsonl when present)")
    tr.add_argument("--config", help="TOML config (report tags)")
    tr.add_argument("--output", help="model file to write (default: handlers/data/intake-model.json.gz)")
    tr.add_argument("--urgent-recall", type=float, default=1.0,
                    help="held-out urgent recall the urgent threshold aims for (default 1.0)")
    tr.add_argument("--max-false-alarms", type=float, default=0.05,
                    help="held-out share of non-urgent reports it may flag urgent (default 0.05)")
    tr.set_defaults(func=_intake_train)

    run = sub.add_parser("run", help="serve the platforms the config enables: Telegram (token from "
                                     "SHANGLIANG_TELEGRAM_TOKEN), WeChat (WECHATY_PUPPET_SERVICE_TOKEN)")
    run.add_argument("--config", help="TOML config (database, community rules, grids, chats, people)")
    run.add_argument("--no-deliver", action="store_true",
                     help="leave sending to `shangliang deliver` workers")
    run.set_defaults(func=_run)

    dlv = sub.add_parser("deliver", help="a delivery worker: send queued messages (several may run at once)")
    dlv.add_argument("--config", help="TOML config (database, [telegram] base_url)")
    dlv.add_argument("--database", help="database URL (overrides the config)")
    dlv.add_argument("--platform", choices=("telegram",), default="telegram")
    dlv.add_argument("--batch", type=int, default=5, help="rows leased at a time (the most sent twice if killed)")
    dlv.add_argument("--lease", type=float, default=60.0, help="seconds a leased row is kept from other workers")
    dlv.add_argument("--until-idle", action="store_true", help="stop when nothing is due instead of waiting")
    dlv.set_defaults(func=_deliver)

    play = sub.add_parser("play", help="try the bot in a browser: a local page with a grid, the committee, "
                                       "the coordinators and private chats (no account needed)")
    play.add_argument("--port", type=int, default=8700)
    play.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    play.add_argument("--platform", choices=("telegram", "wechat"), default="telegram")
    play.add_argument("--config", help="TOML config whose grids, chats and people to use "
                                       "(default: config.example.toml)")
    play.add_argument("--data", default="data/play", help="folder for the playground's database")
    play.add_argument("--sample", action="store_true", help="start with the sample week loaded")
    play.set_defaults(func=_play)

    mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    mig.add_argument("--config")
    mig.add_argument("--database")
    mig.set_defaults(func=_migrate)
    return parser


def _replay(args: argparse.Namespace) -> int:
    config = load(args.config)
    events = load_events(args.scenario)
    if not events:
        raise ReplayError(f"{args.scenario}: no events")
    with tempfile.TemporaryDirectory(prefix="shangliang-replay-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'replay.db'}"
        engine = connect(config, url)
        _prepare_empty(engine, args.reset)
        app = bootstrap(config, clock=SimulatedClock(events[0]["_at"]), engine=engine)
        try:
            transport = TranscriptTransport(app, Path(args.files) if args.files else None)
            sent = Replay(app, transport).run(events)
            print(render_json(sent) if args.json else render_transcript(sent))
            if args.ledger:
                with app.sessions() as session:
                    rows = ledger.rows(session, config.settings.zone)
                print()
                print(export.to_json(rows) if args.ledger == "json" else export.to_csv(rows), end="")
        finally:
            app.close()
    return 0


def _prepare_empty(engine, reset: bool) -> None:
    """A replay numbers concerns from #1, so it needs an empty database."""
    names = set(inspect(engine).get_table_names())
    if not names & set(Base.metadata.tables):
        return
    if not reset:
        raise ReplayError("the replay database already holds data; pass --reset to empty it first")
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _export(args: argparse.Namespace) -> int:
    config = load(args.config)
    engine = connect(config, args.database)
    try:
        if args.format == "xlsx":
            return _export_xlsx(args, config, engine)
        rows: list[dict] = []
        if "concerns" in inspect(engine).get_table_names():  # a database never used has an empty ledger
            with session_factory(engine)() as session:  # read only: export never writes
                if args.format == "corrections":
                    rows = ledger.corrections(session)
                else:
                    rows = ledger.rows(session, config.settings.zone, hide_reporters=args.hide_reporters)
        if args.format == "corrections":
            body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        else:
            body = export.to_json(rows) + "\n" if args.format == "json" else export.to_csv(rows)
        if args.output:
            Path(args.output).write_text(body, "utf-8")
        else:
            sys.stdout.write(body)
    finally:
        engine.dispose()
    return 0


def _export_xlsx(args: argparse.Namespace, config, engine) -> int:
    from handlers import ledger_book
    from handlers.periods import BadPeriod, parse
    from storage import migrate

    settings, now = config.settings, datetime.now(timezone.utc)
    try:
        period = parse(args.period, now, settings.zone, default="all")
    except BadPeriod:
        raise ConfigError(f"--period: cannot read {args.period!r} (try 本月, 2026-03, 2026-03-01~2026-03-15)") from None
    if "concerns" not in inspect(engine).get_table_names() or not migrate.is_current(engine):
        raise ConfigError("the database is empty or not up to date: run `shangliang migrate` first")
    with session_factory(engine)() as session:  # read only: export never writes
        content = ledger_book.build(session, settings, period, now, hide_reporters=args.hide_reporters).content
    output = Path(args.output or f"ledger-{period.label}.xlsx")
    output.write_bytes(content)
    print(f"wrote {output} ({len(content) // 1024 + 1} KB)", file=sys.stderr)
    return 0


def _classify(args: argparse.Namespace) -> int:
    from . import intake_cli
    print(intake_cli.classify(load(args.config), intake_cli.read_stdin(), args.json))
    return 0


def _intake_train(args: argparse.Namespace) -> int:
    from . import intake_train
    root = Path(__file__).resolve().parent.parent
    defaults = [root / "tests/data/intake/dev", root.parent / "shared/intake/corpus-dev.jsonl"]
    parts = [Path(p) for p in args.corpus] or [p for p in defaults if p.exists()]
    if not parts or not all(p.exists() for p in parts):
        raise ConfigError(f"no corpus at {', '.join(map(str, parts)) or 'the default places'}")
    config = load(args.config)
    for line in intake_train.main(parts, Path(args.output) if args.output else None,
                                  tags=config.settings.report_tags, urgent_recall=args.urgent_recall,
                                  max_false_alarms=args.max_false_alarms):
        print(line)
    return 0


def _intake_eval(args: argparse.Namespace) -> int:
    from . import intake_eval
    parts = [Path(p) for p in args.corpus]
    for part in parts:
        if not part.exists() or not intake_eval.corpus_files(part) or not all(
                f.is_file() for f in intake_eval.corpus_files(part)):
            raise ConfigError(f"no corpus at {part}")
    config = load(args.config)
    results = {str(p): intake_eval.evaluate(config, p) for p in parts}
    if len(parts) == 1:
        result = next(iter(results.values()))
        print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else intake_eval.render(result))
        return 0
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json
          else "\n\n".join(intake_eval.render(r, title=p) for p, r in results.items()))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .serve import run
    return run(load(args.config), os.environ, deliver=not args.no_deliver)


def _play(args: argparse.Namespace) -> int:
    """The playground lives beside the Bot API sandbox in the source checkout (``sandbox/``),
    outside the installed packages."""
    try:
        import sandbox.play.main as play
    except ModuleNotFoundError as exc:
        checkout = Path(__file__).resolve().parents[1]
        if exc.name not in ("sandbox", "sandbox.play") or not (checkout / "sandbox" / "play").is_dir():
            raise ConfigError(f"shangliang play needs the source checkout and its test tools ({exc.name} is "
                              "missing): run scripts/play from the repository") from None
        sys.path.insert(0, str(checkout))
        import sandbox.play.main as play
    kwargs = {"config": Path(args.config)} if args.config else {}
    return play.run(host=args.host, port=args.port, platform=args.platform, data_dir=Path(args.data),
                    sample=args.sample, **kwargs)


def _deliver(args: argparse.Namespace) -> int:
    from .telegram.main import deliver
    sent = deliver(load(args.config), os.environ, database_url=args.database, batch=args.batch,
                   lease_seconds=args.lease, until_idle=args.until_idle)
    print(f"delivered {sent} message(s)", flush=True)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from storage import migrate
    config = load(args.config)
    engine = connect(config, args.database)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    print("schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
