"""DVC stage `evaluate`: score the exported model on the test split, through the serving path.

The model is loaded from the .bentomodel archive with its stored preprocess and postprocess, as the
service loads it, so the figures describe what is served. Writes metrics (dvc metrics) and a
confusion matrix (dvc plots) into paths.eval_reports.
"""

import logging

from dvclive import Live

from celestial import cli
from celestial.config import load_params
from celestial.data import load_arrays, read_split
from celestial.inference import Classifier
from celestial.metrics import classification_metrics
from celestial.store import import_export

log = logging.getLogger(__name__)


def main() -> None:
    params = load_params()
    bento_model = import_export(params.model_export)
    classifier = Classifier.from_store(bento_model)
    labels = bento_model.custom_objects["postprocess"].labels
    test = read_split(params.paths.split_file)["test"]
    images, targets = load_arrays(test, labels, classifier.preprocess)
    probabilities = classifier.probabilities(images)

    metrics = classification_metrics(targets, probabilities, labels)
    live = Live(str(params.paths.eval_reports), save_dvc_exp=False, dvcyaml=None)
    live.summary = metrics
    predicted = probabilities.argmax(axis=1)
    live.log_sklearn_plot(
        "confusion_matrix",
        [labels[i] for i in targets],
        [labels[i] for i in predicted],
        name="confusion_matrix.json",
    )
    live.make_summary()
    log.info(
        "%s: test accuracy %.4f, macro F1 %.4f on %d images",
        bento_model.tag,
        metrics["accuracy"],
        metrics["macro"]["f1"],
        len(targets),
    )


if __name__ == "__main__":
    cli.run(main)
