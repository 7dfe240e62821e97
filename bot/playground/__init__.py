"""The playground: deskbot's real Slack path against a local Slack in the browser.

`state` and `webapi` are a Slack-compatible Web API (the subset deskbot calls);
`signed` builds the signed requests Slack would send to `/slack/events`; `server`
serves the Web API and the page on deskbot's own aiohttp application.
"""
