"""Cards: what deskbot shows, rendered per platform from plain view models.

- `conversations.view_models`: the view models (ticket card, relays, prompts, lists, homes, modal),
  built by `conversations.view_queries` from the database; no platform and no database here.
- `conversations.button_ids`: action ids, block ids and value formats the adapters' listeners match.
- `cards.slack`: Block Kit (`messages`, `message`, `home`, `modal`) from Jinja2
  templates in `cards/templates/slack/`; user text escaped for mrkdwn, everything cut
  to Slack's limits, long relays split into several messages.
- `cards.text`: escaping (`escape_mrkdwn`), cutting and splitting text, Slack tokens.
- `cards.i18n`: `t(key, locale, **values)` over the catalogues in `cards/locales/`
  (English now; another language is another JSON file).

Adaptive Cards for Teams come later, from the same view models.
"""
