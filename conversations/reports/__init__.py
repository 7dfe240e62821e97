"""Reports (SPEC §6): the figures of a desk's period and what they suggest.

`periods` reads the period a person asks for, `reading` reads its requests,
`figures` counts them, `recommendations` draws short advice from the figures,
`report` puts them together, as JSON or as the CSV of its requests.
"""
