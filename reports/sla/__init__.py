"""SLA compliance, read-only over the case: figures.py (the figures and their definitions),
period.py (which days a report covers), render.py (CSV and Markdown) and charts.py (the
dashboard's chart data). The dashboard, the API view and the ``sla_report`` command call them.
"""
