"""The statistical half of intake: features, a head's arithmetic, the shipped file, the blend
with the lexicons (urgent leaning), and the training command's refusal of the test part."""
from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from bot.cli import main
from handlers.classify import Classifier, CueSet
from handlers.nlp import blend
from handlers.nlp.model import Example, Head, IntakeModel, features, lexicon_features
from handlers.nlp.pipeline import Intake
from handlers.nlp.sizing import SizeGuess, SizeHinter
from handlers.nlp.training import fit

ROOT = Path(__file__).resolve().parents[2]


def test_features_are_character_runs_and_words():
    got = features("3栋路灯坏了 wifi断", ["路灯", "坏了"])
    assert {"c路", "c路灯", "c路灯坏", "c栋路灯", "cwif", "c断", "w路灯", "w坏了"} <= set(got)
    assert not any("3" in f or " " in f for f in got)  # digits and spaces belong to no run
    assert "c灯坏了" in got and "c了w" not in got  # a run ends where the script changes


def test_a_head_adds_the_weights_present_and_explains_with_the_words_that_pushed():
    head = Head(("甲", "乙"), (0.0, 0.0), {"w漏水": (2.0, 0.0), "c漏水": (1.0, 0.0), "w今天": (0.0, 0.1)})
    p = head.probabilities({"w漏水": 1.0, "c漏水": 1.0, "w今天": 1.0, "w没见过": 1.0})
    assert math.isclose(sum(p.values()), 1.0)
    assert math.isclose(p["甲"], 1 / (1 + math.exp(0.1 - 3.0)))
    assert head.reasons({"w漏水": 1.0, "c漏水": 1.0, "w今天": 1.0}, "甲") == ("漏水",)
    assert head.reasons({"w今天": 1.0}, "甲") == ()  # nothing in the text favours 甲


def test_a_model_survives_its_file_and_refuses_another_format():
    head = Head(("a", "b"), (0.5, -0.5), {"w路灯": (1.25, -1.25)})
    model = IntakeModel(head, head, {"urgent_threshold": 0.3}, (Example("路灯坏了", "a", "small"),), {"by": "test"})
    again = IntakeModel.from_bytes(model.to_bytes())
    assert again == model
    assert IntakeModel.from_bytes(model.to_bytes(with_examples=False)).examples == ()
    newer = gzip.compress(gzip.decompress(model.to_bytes()).replace(b'"format":1', b'"format":2'))
    with pytest.raises(ValueError, match="format"):
        IntakeModel.from_bytes(newer)


def test_the_package_ships_a_model_trained_on_the_development_part_only():
    model = IntakeModel.shipped()
    assert model is not None, "handlers/data/intake-model.json.gz is missing: run shangliang intake-train"
    sources = {e.source for e in model.examples}
    assert sources and all(not s.startswith("test/") for s in sources)
    assert len(model.examples) >= 700 and set(model.category.labels) == set(Classifier.from_file().categories)
    test_texts = {json.loads(line)["text"] for f in (ROOT / "tests/data/intake/test").glob("*.jsonl")
                  for line in f.read_text("utf-8").splitlines() if line.strip()}
    assert len(test_texts) > 500 and not test_texts & {e.text for e in model.examples}


@pytest.fixture(scope="module")
def small_model():
    """Heads learnt from a dozen examples, so what they do is known."""
    intake = Intake.build(tags=("#报事",), model=False)
    rows = [("快递柜屏幕黑了", "物业服务", "small"), ("快递柜打不开", "物业服务", "small"),
            ("快递柜扫码失败", "物业服务", "small"), ("快递柜又坏了", "物业服务", "small"),
            ("路灯不亮了", "公共设施", "small"), ("楼道灯坏了", "公共设施", "small"),
            ("水管爆了", "公共设施", "urgent"), ("老人在家摔倒起不来", "养老助残", "urgent"),
            ("独居老人摔倒了没人应", "养老助残", "urgent"), ("狗一直叫", "邻里纠纷", "small"),
            ("楼上装修太吵", "邻里纠纷", "small"), ("建议加装电梯", "公共设施", "big")]
    examples = [Example(t, c, s) for t, c, s in rows]
    feats = [intake.features(t) for t, _, _ in rows]
    cues = [blend.lexicon_of(intake.classifier, t)[1] for t, _, _ in rows]
    category, size = fit(examples, feats, cues, intake.categories, c_category=30, c_size=30, min_count=1)
    return intake, IntakeModel(category, size, {"urgent_threshold": 0.25, "calm_threshold": 0.9, "big_threshold": 0.9})


def test_without_a_model_the_lexicon_alone_decides(small_model):
    intake, _ = small_model
    text = "路灯坏了"
    assert blend.category(intake.classifier, None, text, intake.features(text)) == intake.classifier.classify(text)


def test_a_report_the_lexicon_has_no_word_for_is_decided_by_the_model_and_says_why(small_model):
    intake, model = small_model
    text = intake.normalizer("#报事 快递柜格口弹不开")
    guess = blend.category(intake.classifier, model, text, intake.features(text))
    assert guess.category == "物业服务" and guess.words and all(w in text for w in guess.words)


#: size cues that know gas and nothing else, so what the model adds is plain
FEW_CUES = SizeHinter(CueSet({"燃气味": 5.0}), CueSet({"加装电梯": 3.0}))


def test_doubt_leans_urgent_and_the_words_are_given(small_model):
    intake, model = small_model
    text = intake.normalizer("#报事 楼下老人起不来")
    assert FEW_CUES.hint(text).size == "small"  # the size cues alone miss it
    p = model.size.probabilities(intake.features(text))["urgent"]
    assert 0.25 <= p < 0.5  # less likely than not, but likely enough to alert
    guess = blend.size(FEW_CUES, model, text, intake.features(text))
    assert guess.size == "urgent" and guess.words and all(w in text for w in guess.words)


def test_the_model_never_takes_urgency_from_the_size_cues(small_model):
    intake, model = small_model
    text = intake.normalizer("#报事 楼道里一股燃气味")
    assert model.size.probabilities(intake.features(text))["urgent"] < 0.5
    strict = IntakeModel(model.category, model.size, {**model.blend, "urgent_threshold": 1.1})
    assert blend.size(FEW_CUES, strict, text, intake.features(text)) == SizeGuess("urgent", ("燃气味",))


def test_lexicon_features_are_shares_of_the_cue_weight():
    assert lexicon_features({"甲": 3.0, "乙": 1.0, "丙": 0.0}) == {"L甲": 2.25, "L乙": 0.75}
    assert lexicon_features({"甲": 0.0}) == {}


def test_the_training_command_refuses_the_test_part(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["intake-train", str(ROOT / "tests/data/intake/test"), "--output", "/dev/null"])
    assert "test part is for measuring only" in str(stopped.value)



def test_the_training_command_writes_a_model_that_reads_reports(capsys, tmp_path):
    """Two small files from the development part (each its own writer): cross-validated, trained,
    written, and the file reads reports with the blend it chose."""
    part = tmp_path / "dev"
    part.mkdir()
    for name in ("slice-1", "slice-2"):
        lines = (ROOT / f"tests/data/intake/dev/{name}.jsonl").read_text("utf-8").splitlines()[:40]
        (part / f"{name}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "model.json.gz"
    assert main(["intake-train", str(part), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out category accuracy" in printed and "chosen: unsure below" in printed
    model = IntakeModel.from_file(out)
    assert len(model.examples) == 80 and {e.source for e in model.examples} == {"dev/slice-1", "dev/slice-2"}
    assert 0.0 < model.blend["urgent_threshold"] <= 0.5
    intake = Intake.build(tags=("#报事",), model=out)
    assert intake.analyse("#报事 3栋门口路灯坏了").category in intake.categories
