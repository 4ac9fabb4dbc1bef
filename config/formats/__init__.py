"""Date formats per language that name the time zone ("T": CET, CEST, UTC), so that every time
Django shows (the admin's read-only fields, lists and inlines) says its zone."""
