"""Print the tag of the model DVC versions, importing it into this machine's store if needed.

`make serve` and `make bento` serve and pack exactly this model, whatever else the store holds.
"""

from celestial import cli
from celestial.errors import UserError
from celestial.pipeline.params import load_params
from celestial.store import import_export


def main() -> None:
    export = load_params().model_export
    if not export.is_file():
        raise UserError(f"{export} does not exist: run `make train`, or `dvc pull` to fetch it")
    print(import_export(export).tag)


if __name__ == "__main__":
    cli.run(main)
