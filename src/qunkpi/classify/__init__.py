"""Message intelligence: classes, sentiment, PII redaction, spam/shill detection and topics (SPEC §4, §9).

- :mod:`qunkpi.classify.pii` — vectorised PII redaction used by the importer.
- :mod:`qunkpi.classify.rules` — the text rules (one SQL for the bulk and the single-text path).
- :mod:`qunkpi.classify.engine` — :func:`classify_workspace`, stored labels in ``message_labels``.
- :mod:`qunkpi.classify.sentiment` — lexicon + shipped offline model.
- :mod:`qunkpi.classify.topics` — keywords per community and period, trend, high-conversion topics.
"""
