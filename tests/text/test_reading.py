"""One turn's reading: each text of a turn is analysed once, and a message's clauses are understood one by
one only when it may ask for two different things."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.text.lexicon import load_lexicon
from flows.text.reading import Reading
from flows.text.talk import Talk, load_talk
from flows.text.understand import Understander, Understanding, load_default_understander
from flows.tomlfile import FlowFiles


@pytest.fixture(scope="module")
def understander() -> Understander:
    return load_default_understander()


@pytest.fixture(scope="module")
def talk(understander: Understander) -> Talk:
    lexicon = load_lexicon()
    return load_talk(FlowFiles.from_folder(), understander.canon, lexicon.classes,
                     set(understander.catalog.by_slug), lexicon.cues)


class Counting:
    """An understander that counts what it is asked to read."""

    def __init__(self, understander: Understander) -> None:
        self.understander = understander
        self.asked: Counter[str] = Counter()

    def __call__(self, text: str) -> Understanding:
        self.asked[text] += 1
        return self.understander.understand(text)


def test_each_text_is_understood_once(understander: Understander, talk: Talk) -> None:
    counting = Counting(understander)
    text = "cho hỏi làm giấy khai sinh cần giấy tờ gì, với lại hồ sơ của tôi xong chưa"
    r = Reading(text, counting, talk)
    assert (r.intent, r.aspect) == ("dossier_lookup", "papers")
    for _ in range(2):  # the layer, then the flow that answers, ask again
        assert [r.of(part).need for part in r.needs] == ["procedure", "dossier_lookup"]
        assert r.of(r.needs[0]).decision == "card" and r.of(text) is r
    assert r.canonical == talk.canon.canon(text)
    assert set(counting.asked) == {text, *r.needs} and max(counting.asked.values()) == 1


@pytest.mark.parametrize("text", [
    "con tôi sinh ở bệnh viện, được hai tuần rồi, giờ muốn làm giấy khai sinh thì cần mang theo những gì",
    "ba tôi là thương binh, năm nay 80 tuổi, có bảo hiểm y tế rồi, muốn hỏi thủ tục xin trợ cấp",
])
def test_clauses_are_not_understood_when_no_other_need_is_named(understander: Understander, talk: Talk,
                                                                 text: str) -> None:
    counting = Counting(understander)
    r = Reading(text, counting, talk)
    assert r.needs == []
    assert list(counting.asked) == [text]  # "có bảo hiểm" is no "có bão" (news): accents are respected


def test_a_message_that_is_a_need_has_its_clauses_read(understander: Understander, talk: Talk) -> None:
    text = "đăng ký nhận tin thôn Võng Nhi, còn làm giấy khai sinh cho con thì cần giấy gì"
    r = Reading(text, understander.understand, talk)
    assert [r.of(part).need for part in r.needs] == ["subscribe", "procedure"]
