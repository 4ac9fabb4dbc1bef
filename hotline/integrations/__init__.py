"""Clients of outside systems (DNS, RDAP, status probes, webhooks, partner hotlines).

One module per system. They hold no models and import nothing of the project but the URL guards
(``hotline.url``), as the import contract in pyproject.toml checks; each has a timeout and raises
typed errors, and retries belong to the task that calls it, not to the client.
"""
