"""Text analysis shared by ingestion and questions: scripts, Arabic normalisation, language,
years, sentences, control characters and the lexical analyser.

Everything here is a pure function of strings; ``ingest``, ``index`` and ``service`` stand on it,
and it imports none of them.
"""
