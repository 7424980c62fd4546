"""Follow-up check-ins (issue 12): time-zone search, the reminder scheduler (and what it does
about missed reminders) and each member's history. Their calendar (`bot.schedule`) and their
records (`bot.storage.checkins`) stand below them.

Pure core, no Discord types: the Discord shell supplies a `send` callback and a
`should_send` predicate to `ReminderScheduler`, and uses `CheckinService` for the rest.
"""
