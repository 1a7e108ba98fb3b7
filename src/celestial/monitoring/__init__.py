"""Watching production: what a prediction record holds, and whether recent traffic has drifted.

`records` is shared by the service (which writes a record per image), the pipeline's reference
stage and the drift report; `drift` holds the statistics and their calibration; `report` is
`make drift-report`.
"""
