"""View models -> Jinja2 templates -> Block Kit and Adaptive Card JSON (later issues)."""
