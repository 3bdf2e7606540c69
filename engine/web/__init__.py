"""The web application: pages for leads, boards, approvers and auditors, and a JSON API.

`create_app(rt)` builds it over an open runtime; `actiontrail serve` runs it.
Reminder emails' links are signed by ``engine.links``, which the web checks.
"""

from engine.links import make_action_link

__all__ = ["make_action_link"]
