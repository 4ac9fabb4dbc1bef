"""Read queries for reports, one module per reader: the analysts' queues, the provider's notice
list, the reporter's status and the clock's health. Entry points import their queries from here
(or from reports.sla), never from one another.
"""
