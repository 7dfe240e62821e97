"""The Slack adapter: slack-bolt listeners that translate, and the Slack sender."""
