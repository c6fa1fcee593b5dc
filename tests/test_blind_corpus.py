"""scripts/blind_corpus.py: the blind wire-copy corpus is deterministic, consistently labelled, and its edits edit."""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import blind_corpus as bc  # noqa: E402  (scripts/ is put on the path above)

NAMES = ("Maria Lopez", "Tom Becker", "Aisha Khan", "Peter Novak", "Lena Ortiz", "Sam Reid", "Ines Duarte")
WORDS = ("council", "budget", "river", "bridge", "school", "harbour", "election", "vote", "plan", "report",
         "week", "city", "road", "project", "market", "water", "station", "court", "ruling", "museum")
VERBS = ("said", "told", "announced", "warned", "noted", "believes")


def _sentence(rng: random.Random) -> str:
    """One sentence of our own fixture text: a name, a verb from the synonym list, words and a number."""
    name, verb = rng.choice(NAMES), rng.choice(VERBS)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
    quote = f' "The {rng.choice(WORDS)} is important," they said.' if rng.random() < 0.2 else ""
    return f"{name} {verb} the {words} would cost {rng.randint(2, 900)} million - officials however disagreed.{quote}"


def _pieces(sources: int = 12, parts: int = 3) -> list[bc.Piece]:
    """Fixture pieces of our own: English sources of several pieces, a Chinese one and a few short ones."""
    rng = random.Random(5)
    pieces = []
    for s in range(sources):
        for part in range(parts):
            paragraphs = tuple(" ".join(_sentence(rng) for _ in range(3)) for _ in range(rng.randint(4, 6)))
            dateline = "LONDON (AP) — " if part == 0 and s % 2 else ""
            pieces.append(bc.Piece(f"own:{s}", part, "en", f"Story {s} part {part}: {rng.choice(WORDS)}",
                                   (dateline + paragraphs[0], *paragraphs[1:])))
    chinese = "新华社北京11月17日电 记者17日从国家卫生健康委获悉，目前短缺药品保供稳价工作进行顺利。" * 3
    pieces.append(bc.Piece("own:zh", 0, "zh", "短缺药品保供稳价", (chinese, "专家表示，这一工作十分重要。" * 20,
                                                                 "“我们将继续推进合作。”他说。" * 10)))
    pieces += [bc.Piece(f"own:short{i}", 0, "en", f"Brief {i}", (" ".join(_sentence(rng) for _ in range(4)),))
               for i in range(6)]
    return pieces


@pytest.fixture(scope="module")
def rows() -> list[bc.Row]:
    """A 400-document corpus from the fixture pieces (they run out, so copies stretch)."""
    return bc.Generator(_pieces(), seed=3).generate(400)


def _stories(rows: list[bc.Row]) -> dict[str, list[bc.Row]]:
    """Rows by story, in file order."""
    stories: dict[str, list[bc.Row]] = defaultdict(list)
    for row in rows:
        stories[row.story].append(row)
    return stories


class TestDeterminism:
    """One seed, one corpus."""

    def test_same_seed_same_rows(self, rows: list[bc.Row]) -> None:
        """The same pieces and seed give the same rows, field for field."""
        assert bc.Generator(_pieces(), seed=3).generate(400) == rows

    def test_other_seed_other_rows(self, rows: list[bc.Row]) -> None:
        """Another seed gives another corpus."""
        other = bc.Generator(_pieces(), seed=4).generate(400)
        assert [r.text for r in other] != [r.text for r in rows]


class TestLabels:
    """Every label points at something that exists, and times agree with it."""

    def test_size_and_order(self, rows: list[bc.Row]) -> None:
        """Exactly the documents asked for, in publication order, with unique ids and offset-aware times."""
        times = [datetime.fromisoformat(r.published) for r in rows]
        assert len(rows) == 400
        assert times == sorted(times)
        assert all(t.utcoffset() is not None for t in times)
        assert len({r.id for r in rows}) == len(rows)

    def test_every_story_opens_with_its_original(self, rows: list[bc.Row]) -> None:
        """A story's first document has no edits and copies nothing; every later one carries 1+ edits."""
        for story in _stories(rows).values():
            assert story[0].edits == []
            assert story[0].copied_from is None
            assert all(r.edits and r.copied_from for r in story[1:])

    def test_copies_come_from_earlier_documents_of_their_story(self, rows: list[bc.Row]) -> None:
        """A copy's source is an earlier document of the same story; a copy of a copy names a copy."""
        seen: dict[str, bc.Row] = {}
        for row in rows:
            if row.copied_from is not None:
                parent = seen[row.copied_from]
                assert parent.story == row.story
                assert datetime.fromisoformat(parent.published) <= datetime.fromisoformat(row.published)
                assert ("copy_of_copy" in row.edits) == (parent.copied_from is not None)
            seen[row.id] = row

    def test_reruns_are_months_later(self, rows: list[bc.Row]) -> None:
        """A re-run (or a copy of one) is published 30-200 days after its original; other copies within 4 days."""
        reruns = 0
        for story in _stories(rows).values():
            start = datetime.fromisoformat(story[0].published)
            for row in story[1:]:
                delay = datetime.fromisoformat(row.published) - start
                if "rerun" in row.edits:
                    reruns += 1
                    assert timedelta(days=30) <= delay <= timedelta(days=200)
                else:
                    assert timedelta(0) < delay <= timedelta(days=4)
        assert reruns > 0

    def test_negatives_point_at_earlier_stories(self, rows: list[bc.Row]) -> None:
        """Follow-ups and same-event texts name an existing story published before them."""
        stories = _stories(rows)
        negatives = [s[0] for s in stories.values() if s[0].negative]
        assert {r.negative for r in negatives} == {"followup", "same_event"}
        for row in negatives:
            assert row.kind == row.negative
            assert row.of in stories
            assert row.of != row.story
            assert datetime.fromisoformat(stories[row.of][0].published) < datetime.fromisoformat(row.published)

    def test_followup_reuses_the_opening(self, rows: list[bc.Row]) -> None:
        """A follow-up holds the earlier story's first paragraph (its dateline aside) and 3+ paragraphs of its own."""
        stories = _stories(rows)
        for story in stories.values():
            row = story[0]
            if row.negative != "followup":
                continue
            assert row.of is not None
            earlier = stories[row.of][0].text.split("\n\n")
            assert bc.DATELINE.sub("", earlier[0], count=1) in row.text
            assert len([p for p in row.text.split("\n\n") if p not in earlier]) >= 3

    def test_template_families(self, rows: list[bc.Row]) -> None:
        """A family is 3-10 template stories in one language with different texts."""
        families: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.kind == "template" and not row.edits:
                families[str(row.family)].add(row.text)
        assert families
        assert all(3 <= len(texts) <= 10 for texts in families.values())

    def test_footers_are_one_block_per_outlet(self, rows: list[bc.Row]) -> None:
        """Every document labelled with a footer ends with that outlet's block, shared by several stories."""
        outlets = {o.footer_id: o for o in bc.make_outlets(["en", "zh"])}
        stories_by_footer: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            for footer in row.footers:
                assert (outlets[footer].footer or "").split("\n")[-1] in row.text
                stories_by_footer[footer].add(row.story)
        assert max(len(s) for s in stories_by_footer.values()) > 1

    def test_eval_reads_it(self, rows: list[bc.Row], tmp_path: Path) -> None:
        """scripts/eval_dedupe.py reads the written file as this generator labelled it."""
        from eval_dedupe import read_corpus

        path = tmp_path / "blind.jsonl"
        bc.write(rows, path)
        read = read_corpus(path)
        assert [r.story for r in read] == [r.story for r in rows]
        assert {r.of_kind for r in read} == {None, "followup", "same_event"}
        first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        assert first["kind"] in {"news", "brief", "template", "followup", "same_event"}
        assert first["edits"] == []


DRAFT = bc.Draft("Council backs plan: bridge to open next year", [
    "LONDON (AP) — The council said on Monday the bridge would open next year, officials told reporters.",
    "\"It is important,\" said Maria Lopez. The cost rose to 300 million - nearly twice the estimate...",
    "Tom Becker warned the budget was hard to meet. He believes the plan needs more time.",
    "The river crossing was first proposed in 1998 by the city's transport board.",
    "Residents asked whether the road would close. Officials noted it would not."])
ZH = bc.Draft("短缺药品保供稳价", ["新华社北京11月17日电 记者17日从国家卫生健康委获悉，目前工作进行顺利。",
                              "专家表示，这一工作十分重要。", "“我们将继续推进合作。”他说。"])


class TestEdits:
    """Each edit kind changes the text it is given, as its name says."""

    @pytest.mark.parametrize("kind", sorted(bc.TEXT_EDITS))
    @pytest.mark.parametrize(("draft", "lang"), [(DRAFT, "en"), (ZH, "zh")])
    def test_each_edit_changes_the_document(self, kind: str, draft: bc.Draft, lang: str) -> None:
        """Applied with any of 20 seeds, an edit changes the headline or the text, or says it cannot (None)."""
        outlet = next(o for o in bc.make_outlets(["en", "zh"]) if o.footer and lang in o.langs)
        ctx = bc.Context(lang, outlet, ("Another story's headline",), datetime(2024, 3, 5, tzinfo=UTC))
        applied = 0
        for seed in range(20):
            out = bc.TEXT_EDITS[kind](random.Random(seed), draft.copy(), ctx)
            if out is not None:
                applied += 1
                assert (out.title, out.text()) != (draft.title, draft.text())
        assert applied > 0

    def test_trimmed_keeps_forty_percent(self) -> None:
        """A trim cuts paragraphs off the end and keeps at least 40 % of the words."""
        ctx = bc.Context("en", bc.make_outlets(["en"])[0], (), datetime(2024, 3, 5, tzinfo=UTC))
        for seed in range(20):
            out = bc.edit_trimmed(random.Random(seed), DRAFT.copy(), ctx)
            assert out is not None
            assert out.paragraphs == DRAFT.paragraphs[: len(out.paragraphs)]
            assert bc.count_words(" ".join(out.paragraphs)) >= 0.4 * bc.count_words(" ".join(DRAFT.paragraphs))

    def test_dateline_is_dropped_or_added(self) -> None:
        """A text with a dateline loses it; one without gains one in its language."""
        ctx = bc.Context("en", bc.make_outlets(["en"])[0], (), datetime(2024, 3, 5, tzinfo=UTC))
        dropped = bc.edit_dateline(random.Random(1), DRAFT.copy(), ctx)
        assert dropped is not None
        assert dropped.paragraphs[0].startswith("The council said")
        added = bc.edit_dateline(random.Random(1), dropped, ctx)
        assert added is not None
        assert bc.DATELINE.match(added.paragraphs[0])

    def test_typos_and_words_are_small(self) -> None:
        """Typos and word swaps leave the paragraph count and most words as they were."""
        ctx = bc.Context("en", bc.make_outlets(["en"])[0], (), datetime(2024, 3, 5, tzinfo=UTC))
        for edit in (bc.edit_typos, bc.edit_words):
            out = edit(random.Random(2), DRAFT.copy(), ctx)
            assert out is not None
            assert len(out.paragraphs) == len(DRAFT.paragraphs)
            before, after = " ".join(DRAFT.paragraphs).split(), " ".join(out.paragraphs).split()
            assert sum(a != b for a, b in zip(before, after, strict=False)) <= 8


class TestSources:
    """Real texts are read when present and skipped when not; nothing is fetched."""

    def test_absent_sources_give_nothing(self, tmp_path: Path) -> None:
        """No fundus folder and no newspaper4k archive: no pieces, and the script exits 2."""
        assert bc.load_pieces(tmp_path, tmp_path / "missing.tar.gz") == []
        assert bc.main(["--data", str(tmp_path), "--newspaper4k", str(tmp_path / "x"), "-o",
                        str(tmp_path / "out.jsonl")]) == 2

    def test_fundus_layout_is_read_and_cut(self, tmp_path: Path) -> None:
        """A ground_truth.json body is cut into pieces of at most ~520 words; brackets are dropped."""
        rng = random.Random(1)
        body = ["[A summary line]"] + [" ".join(_sentence(rng) for _ in range(3)) for _ in range(30)]
        folder = tmp_path / "fundus-eval"
        (folder / "html").mkdir(parents=True)
        (folder / "ground_truth.json").write_text(json.dumps({"Own_0.html.gz": {"body": body}}), encoding="utf-8")
        (folder / "html" / "Own_0.html.gz").write_bytes(gzip.compress(
            b'<meta property="og:title" content="Our own headline">'))
        pieces = bc.load_pieces(tmp_path, tmp_path / "missing.tar.gz")
        assert len(pieces) > 1
        assert pieces[0].title == "Our own headline"
        assert pieces[0].paragraphs[0] == "A summary line"
        assert all(bc.count_words(" ".join(p.paragraphs)) <= bc.PIECE_MAX_WORDS + 80 for p in pieces)

    @pytest.mark.skipif(not bc.NEWSPAPER4K.exists(), reason="newspaper4k's sdist is not in eval_heldout's cache")
    def test_newspaper4k_texts_bring_other_scripts(self) -> None:
        """newspaper4k's expected texts include Chinese, Japanese, Thai and Arabic ones."""
        langs = {lang for _, lang, _, _ in bc.load_newspaper4k(bc.NEWSPAPER4K)}
        assert {"zh", "ja", "th", "ar"} <= langs

    def test_count_words_in_dense_scripts(self) -> None:
        """Chinese characters count as words (about 1 in 1.7), not as one long token."""
        assert bc.count_words("记者17日从国家卫生健康委获悉") > 5
        assert bc.count_words("one two three") == 3
