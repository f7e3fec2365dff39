"""Importers: the canonical layout (:mod:`.canonical`) and the real export formats operators hold
(:mod:`.formats`: WeCom session archive and customer groups, official-account data, Channels, personal WeChat
chat history). See docs/importing.md."""
