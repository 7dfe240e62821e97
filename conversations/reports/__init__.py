"""Reports (SPEC §6): the figures of a desk's period and what they suggest.

`periods` reads the period a person asks for, `figures` counts it from the
conversations and events, `recommendations` draws short advice from the figures,
`export` writes a report as JSON or as the CSV of its requests.
"""
