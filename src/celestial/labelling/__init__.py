"""The labelling loop: uploads the service kept -> Label Studio -> data/raw -> a retrained model.

`captures` is the format of a kept upload, shared with the service (which writes them, through
`celestial.serving.capture`) and light enough for it to import; `config` is the labelling
interface; `studio` a small client of Label Studio's REST API; `export` and `pull` are
`make label-export` and `make label-import`.
"""
