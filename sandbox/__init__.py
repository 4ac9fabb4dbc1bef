"""Local stand-ins for outside systems (DNS, ...), for the tests and the local demo.

They serve on 127.0.0.1 only and are never used in production; nothing here imports the service
(the import contract in pyproject.toml checks it).
"""
