"""The serving side: the BentoML service and what only it needs.

`service` loads the model when imported; every other module here can be imported without it
(the benchmarks' reference servers and the tests rely on that).
"""
