"""What an extraction worker prepares for the writer (`ingest.page_work.describe`), each paragraph hashed once."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ingest.extract.boilerplate import MAX_BLOCK_CHARS, block_key, block_keys
from ingest.extract.page import extract_page
from ingest.page_work import DedupeShape, describe
from tests.world import page

# Paragraphs near the boilerplate length limit, blank or whitespace-only ones, repeats, and CJK text (whose
# text_width exceeds its len, so len and text_width disagree about the limit).
PARAGRAPH = st.one_of(
    st.sampled_from(["", " ", "\n", "Subscribe to our newsletter.", "© The Gazette 2026", "东京" * 200,
                     "x" * MAX_BLOCK_CHARS, "y" * (MAX_BLOCK_CHARS + 1), " padded footer "]),
    st.text(alphabet=st.sampled_from("ab 东京\n."), max_size=700),
)
# An extracted article whose text each test replaces.
ARTICLE = replace(extract_page(page("Harbour plan", ["The council approved the harbour plan on Monday. " * 9]),
                               url="https://gazette.example/a.html"), is_article=True, not_article_reason=None)


class TestDescribe:
    """describe() gives the writer the same keys as the boilerplate model's own functions."""

    @given(st.lists(PARAGRAPH, min_size=1, max_size=12))
    def test_keys_as_block_keys(self, blocks: list[str]) -> None:
        """Lookup keys are block_keys(text), split keys one per "\\n\\n" block (None past the length limit)."""
        text = "\n\n".join(blocks)
        ready = describe(replace(ARTICLE, text=text), "Harbour plan", DedupeShape(), body_z=b"z", records=None)
        if not text:
            assert ready.lookup_keys == ()
            return
        assert ready.lookup_keys == tuple(block_keys(text))
        assert ready.split_keys == tuple(block_key(b) if b and len(b) <= MAX_BLOCK_CHARS else None
                                         for b in text.split("\n\n"))
        assert ready.count_keys == ready.lookup_keys
        assert (ready.body_z, ready.records) == (b"z", None)

    def test_raw_forms_kept_by_redo(self) -> None:
        """redo() keeps the page's raw forms (the WARC records made once in the worker)."""
        ready = describe(ARTICLE, "Harbour plan", DedupeShape(), body_z=None, records=b"warc")
        again = ready.redo(replace(ARTICLE, text="Only this paragraph is left of the article."), "Harbour plan",
                           DedupeShape())
        assert (again.body_z, again.records) == (None, b"warc")
        assert again.lookup_keys == tuple(block_keys("Only this paragraph is left of the article."))
