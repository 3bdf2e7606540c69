"""Reminders: what is due each day, queued and sent exactly once, on a schedule.

* gather: the day's reminders from the read models;
* items: a digest's reminders as kept in its Queued event;
* outbox: the table of dispatches and their state, fed from the events;
* delivery: the transport and the rendered message;
* dispatcher: queueing and sending;
* scheduler: the APScheduler jobs (``start_scheduler`` / ``stop_scheduler``).
"""
