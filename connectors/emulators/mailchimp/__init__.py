"""Emulator of Mailchimp Marketing API v3 list members (`/3.0/lists/{list_id}/members`, batch, ping).

See `app.MailchimpEmulator`; the member rules (hash, consent, last_changed) live in `members`.
"""

from __future__ import annotations

from connectors.emulators.mailchimp.app import MailchimpEmulator
from connectors.emulators.mailchimp.members import subscriber_hash

__all__ = ["MailchimpEmulator", "subscriber_hash"]
