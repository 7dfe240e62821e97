"""Microsoft Teams: the Bot Framework adapter, its sender and the app package."""
