"""jieba segmentation with community words, loaded once per process (≈1–2 s, not per message).

jieba is imported and its dictionaries loaded when the segmenter is first used (or warmed),
not when this module is imported nor when the segmenter is made: importing the handlers
(``shangliang export``, the start of ``shangliang run``) does not pay for them.
"""
from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections.abc import Iterable

#: Words jieba should keep whole in neighbourhood talk; a config adds local names.
COMMUNITY_WORDS = (
    "路灯", "楼道灯", "垃圾站", "垃圾房", "僵尸车", "飞线充电", "广场舞", "物业费", "物业公司", "业委会", "业主大会",
    "加装电梯", "化粪池", "井盖", "消防通道", "高空抛物", "电动车", "充电桩", "车位", "地锁", "围挡", "减速带",
    "斑马线", "红绿灯", "老年食堂", "日间照料", "无障碍", "盲道", "坡道", "独居老人", "彩礼", "居住证", "医保",
    "漏水", "渗水", "爆管", "停水", "停电", "燃气", "被困", "噪音", "油烟", "装修", "狗叫", "狗屎", "杨絮",
)
STOPWORDS = frozenset("""的 了 是 在 我 我们 你 你们 他 她 它 这 那 这个 那个 一个 有 没有 没 也 都 就 还 又 很 太 吧 啊 呀 吗 呢
 嘛 哦 么 和 跟 与 及 能 能不能 可以 可不可以 请 麻烦 谢谢 一下 一直 已经 现在 今天 昨天 每天 天天 好几天 什么 怎么 为什么
 谁 哪 哪里 这边 那边 这里 那里 里面 上面 下面 旁边 门口 楼下 楼上 附近 大家 社区 有人 问题 情况 事情 时候 一点 一些 不是
 不要 不能 而且 但是 但 所以 因为 如果 要 会 得 着 过 被 把 让 给 到 从 对 说 看 去 来 又是 还是 真的 根本 自己 几 多 个""".split())
log = logging.getLogger(__name__)
_CONTENT = re.compile(r"[\u4e00-\u9fa5]{2,}|[a-z]{2,}")


class Segmenter:
    """jieba's tokenizer with the community words, and a TF-IDF keyword extractor on it.

    Both are built on first use (or by ``load``, which ``warm`` runs in a thread), once,
    whichever thread asks first; a caller that comes during the build waits for it.
    """

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self.user_words = tuple(user_words)
        self._lock = threading.Lock()
        self._built: tuple | None = None  # (tokenizer, tfidf)

    @property
    def ready(self) -> bool:
        return self._built is not None

    def load(self) -> None:
        """Build jieba's parts now if they are not built yet (≈1–2 s; idempotent)."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()

    def warm(self) -> threading.Thread:
        """``load`` in a daemon thread, so a caller can go on (and the first report waits less)."""
        thread = threading.Thread(target=self.load, name="jieba-load", daemon=True)
        thread.start()
        return thread

    def _build(self) -> tuple:
        started = time.perf_counter()
        import jieba
        import jieba.analyse  # loads the default IDF table (and jieba.posseg's word tags) once

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in (*COMMUNITY_WORDS, *self.user_words):
            tokenizer.add_word(word, freq=20000)
        # jieba.analyse's own extractor, reading the IDF table it has already loaded (a new
        # ``TFIDF()`` would parse idf.txt again: ~0.4 s and ~35 MB); only its tokenizer is ours
        tfidf = copy.copy(jieba.analyse.default_tfidf)
        tfidf.stop_words = set(tfidf.stop_words)
        tfidf.tokenizer = tokenizer
        log.info("jieba loaded in %.2f s", time.perf_counter() - started)
        return tokenizer, tfidf

    @property
    def tokenizer(self):
        self.load()
        return self._built[0]

    @property
    def tfidf(self):
        self.load()
        return self._built[1]

    def tokens(self, text: str) -> list[str]:
        """Content words: two or more characters, not stop words."""
        return [t for t in self.tokenizer.lcut(text) if _CONTENT.fullmatch(t) and t not in STOPWORDS]

    def keywords(self, text: str, k: int = 5) -> list[str]:
        return [w for w in self.tfidf.extract_tags(text, topK=k + 3) if w not in STOPWORDS][:k]
