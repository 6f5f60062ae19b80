"""The one place that wires the parts together: engine, migrations, directory, dispatcher."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from handlers import digest, directory, jobs, learning, second_opinion, sla
from handlers.capabilities import TEXT_ONLY, Capabilities
from handlers.nlp.pipeline import Intake
from handlers.clock import Clock, SystemClock
from handlers.dispatch import Dispatcher
from storage import migrate
from storage.db import make_engine, redact_url, session_factory

from .config import AppConfig

log = logging.getLogger(__name__)


@dataclass
class App:
    config: AppConfig
    engine: Engine
    sessions: sessionmaker[Session]
    intake: Intake
    clock: Clock
    dispatcher: Dispatcher
    model_id: int = 0  # the community model (trained_models.id) intake reads with; 0: the shipped one

    def run_due(self) -> int:
        """Run the scheduled work due now (poll closes, surveys, reminders, digests), then read
        the next reports with the community's newest intake model if one was trained. A large
        model's second opinions are asked first, outside any transaction."""
        second_opinion.ask(self.sessions, self.intake.judge, self.intake.categories, self.clock.now())
        ran = jobs.run_due(self.sessions, self.config.settings, self.intake, self.clock.now(),
                           caps=self.dispatcher.caps)
        self.refresh_model()
        return ran

    def refresh_model(self) -> bool:
        """Switch to the newest model retrained from the corrections (in this or another
        process), if there is a newer one; only this app's intake changes."""
        with self.sessions() as session:
            found = learning.newest(session, self.model_id)
        if found is None:
            return False
        self.model_id, model = found
        self.intake = self.intake.with_model(model)
        self.dispatcher.intake = self.intake
        log.info("intake reads with the community's model %s", self.model_id)
        return True

    def close(self) -> None:
        if self.intake.judge is not None:
            self.intake.judge.close()
        self.engine.dispose()


def connect(config: AppConfig, database_url: str | None = None) -> Engine:
    """The one way an engine is made: the given URL, else the config's (password never logged)."""
    url = database_url or config.database_url
    log.info("database %s", redact_url(url))
    return make_engine(url)


def bootstrap(config: AppConfig, *, clock: Clock | None = None, database_url: str | None = None,
              platforms: tuple[str, ...] = ("replay",), engine: Engine | None = None,
              caps: Capabilities = TEXT_ONLY, load_jieba: bool = True) -> App:
    """Connect, migrate, build the intake (jieba, OpenCC, lexicons), write the directory and
    schedule the digest. With ``load_jieba=False`` jieba's dictionaries (1–2 s) are left for
    the caller to warm (``app.intake.warm()``: ``shangliang run`` does once it receives) or
    for the first report."""
    clock = clock or SystemClock()
    if engine is None:
        engine = connect(config, database_url)
    if not migrate.is_current(engine):  # a restart finds it current: no Alembic run (~0.15 s)
        migrate.upgrade(engine)
    sessions = session_factory(engine)
    intake = Intake.load(tags=config.settings.report_tags, lexicon=config.lexicon, sizes=config.sizes,
                         words=config.intake_words, landmarks=config.landmarks)
    if load_jieba:
        intake.prepare()
    with sessions() as session:
        directory.sync(session, config.directory, clock.now(), platforms)
        digest.ensure_scheduled(session, config.settings, clock.now())
        sla.fill_missing_deadlines(session, config.settings)
        session.commit()
    intake = intake.with_model()  # this app's own: a retrained model changes only it
    if config.intake_llm is not None:  # a second opinion from the community's large model
        from .llm import LlmClassifier
        intake.judge = LlmClassifier.from_environment(config.intake_llm, os.environ)
    dispatcher = Dispatcher(sessions, config.settings, intake, clock, caps)
    app = App(config, engine, sessions, intake, clock, dispatcher)
    app.refresh_model()
    return app
