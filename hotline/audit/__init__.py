"""The audit trail's mechanism, usable by both apps: hashing (``hashing``) and signed
checkpoints (``checkpoints``). The case's events, their sealing and their verification are in
``reports.audit``; directory changes reach the same chain through
``hotline.directory.directory_changed``."""
