"""wirefeed: dedupe -- near-duplicate detection and story clustering of article texts."""

from dedupe.agency import agency_of
from dedupe.cluster import Clusterer, cluster_docs, story_id
from dedupe.index import CandidateIndex, Entry, InMemoryIndex
from dedupe.model import Decision, Doc
from dedupe.text import normalise, text_hash

__all__ = [
    "CandidateIndex",
    "Clusterer",
    "Decision",
    "Doc",
    "Entry",
    "InMemoryIndex",
    "agency_of",
    "cluster_docs",
    "normalise",
    "story_id",
    "text_hash",
]
