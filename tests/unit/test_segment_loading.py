"""jieba is loaded when first needed, once: `shangliang run` can poll before its dictionaries
are read (bench/startup.py), and what the segmenter finds is what jieba finds."""
from __future__ import annotations

import subprocess
import sys
import threading

from handlers.nlp.segment import Segmenter


def test_starting_the_bot_imports_no_jieba_until_a_report_needs_it():
    code = ("import sys, bot.cli, bot.serve, bot.bootstrap, bot.telegram.main; "
            "from handlers.nlp.pipeline import Intake; intake = Intake.build(tags=('#报事',)); "
            "print('jieba' in sys.modules, intake.ready); "
            "print(intake.analyse('#报事 3栋门口路灯坏了').category, intake.ready, 'jieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    before, after = out.splitlines()
    assert before == "False False"
    category, ready, loaded = after.split()
    assert category and ready == loaded == "True"


def test_threads_asking_at_once_share_one_load_and_get_jieba_s_own_words():
    import jieba.analyse

    segmenter = Segmenter(["幸福里"])
    assert not segmenter.ready
    found: list[list[str]] = []
    threads = [threading.Thread(target=lambda: found.append(segmenter.tokens("幸福里3栋门口路灯坏了好几天")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert segmenter.ready and len({tuple(f) for f in found}) == 1 and "幸福里" in found[0]
    tokenizer = segmenter.tokenizer
    assert segmenter.tokenizer is tokenizer  # built once
    # the keywords are those of a TF-IDF extractor jieba builds afresh on the same tokenizer
    fresh = jieba.analyse.TFIDF()
    fresh.tokenizer = tokenizer
    text = "小区东门的路灯坏了好几天，晚上老人下楼看不清，物业电话也没人接"
    assert segmenter.tfidf.extract_tags(text, topK=20, withWeight=True) == fresh.extract_tags(text, topK=20,
                                                                                              withWeight=True)
    assert segmenter.keywords(text)
