"""Sentry's side: the read-only client, the network probe, and the readers that turn its answers
into frozen facts (``discovery``, ``auth``, ``release_facts``).

Nothing here imports pytest: the plugin's fixtures call these readers once per session and hand
the facts to the checks, which never see a client.
"""
