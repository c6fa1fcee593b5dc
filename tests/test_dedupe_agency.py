"""Tests for dedupe.agency.agency_of."""

from __future__ import annotations

import pytest

from dedupe.agency import agency_of


class TestAgencyOf:
    """agency_of()."""

    @pytest.mark.parametrize(
        ("text", "agency"),
        [
            ("PARIS (AFP) - Le gouvernement a annoncé lundi", "AFP"),
            ("WASHINGTON, Feb 28 (Reuters) - The Federal Reserve", "Reuters"),
            ("INDIANAPOLIS (AP) — Kansas City Chiefs coach Andy Reid", "AP"),
            ("BERLIN (dpa) - Die Bundesregierung", "dpa"),
            ("ROMA (ANSA) - Il governo", "ANSA"),
            ("MADRID (EFE) - El Gobierno", "EFE"),
            ("BEIJING, March 1 (Xinhua) -- China's economy", "Xinhua"),
            ("The central bank held rates.\n\n© AFP", "AFP"),
            ("The central bank held rates.\n\n© 2024 Bloomberg", "Bloomberg"),
            ("The storm moved north overnight.\n— AP", "AP"),
            ("Le texte sera examiné au Sénat. (avec AFP)", "AFP"),
            ("Reporting by Jane Doe; Editing by John Roe. Copyright Thomson Reuters", "Reuters"),
            ("The Associated Press contributed to this report.", "AP"),
        ],
    )
    def test_credits_are_recognised(self, text: str, agency: str) -> None:
        """Datelines, copyright lines and sign-offs name the agency."""
        assert agency_of(text) == agency

    @pytest.mark.parametrize(
        "text",
        [
            "The council met on Tuesday to discuss the new budget.",
            "Students took the AP exam last week.",
            "He said the map - ap - was wrong.",
        ],
    )
    def test_no_credit_no_agency(self, text: str) -> None:
        """Texts without an agency credit give None, even with the letters AP inside."""
        assert agency_of(text) is None

    def test_earliest_credit_wins(self) -> None:
        """A dateline beats a later credit to another agency."""
        assert agency_of("PARIS (AFP) - Talks resumed.\n\nWith Reuters") == "AFP"
