"""`/desk` for every platform: read the words, run one core command, answer with a view.

The Slack adapter (slash command) and the Teams adapter (text commands) both call
`run_command`; they only translate their payload into a `Caller` and the outcome's
view into their card format. Bad input never raises: it comes back as a private
`Reply(kind="error")` saying what was wrong and the right form.
"""

from conversations.command_line.runner import Caller, Outcome, run_command

__all__ = ["Caller", "Outcome", "run_command"]
