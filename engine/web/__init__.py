"""The web application: pages for leads, boards, approvers and auditors, and a JSON API.

`create_app(rt)` builds it over an open runtime; `actiontrail serve` runs it.
`make_action_link(settings, email, slug, ref)` signs a reminder email's link.
"""

from engine.web.security import make_action_link

__all__ = ["make_action_link"]
