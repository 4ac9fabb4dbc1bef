"""Server-side helpers for the benchmarks (not benchmarks themselves: ``make bench`` runs only
the scripts directly in ``bench/``)."""
