"""Follow-up check-ins (issue 12): schedules, time-zone search and the reminder scheduler.

Pure core, no Discord types: the Discord shell supplies a `send` callback and a
`should_send` predicate to `ReminderScheduler`, and uses `CheckinService` for the rest.
"""
