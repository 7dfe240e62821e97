"""Notice kinds, as the conversations core speaks of them (defined with the outbox in storage)."""

from storage.notices import COALESCED_KINDS, NoticeKind

__all__ = ["COALESCED_KINDS", "NoticeKind"]
