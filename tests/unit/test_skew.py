"""One preprocessing: the training path and the stored, served preprocess give the same arrays."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from celestial.pipeline.dataset import load_arrays, scan_image_folder
from celestial.preprocessing import Preprocessor

# Runs in a fresh interpreter: only the serving side is imported, never the training code.
SERVING_SIDE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import bentoml, numpy as np
    from celestial.imaging import open_image
    from celestial.inference import Classifier

    tag, paths, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    classifier = Classifier.from_store(bentoml.models.get(tag))
    images = [open_image(Path(p).read_bytes()) for p in paths]  # as an upload arrives
    arrays = np.stack([classifier.preprocess(image) for image in images])
    predictions = classifier.predict(images)
    heavy = ("celestial.pipeline", "tensorflow", "keras")
    training = sorted(m for m in sys.modules if m in heavy)
    np.save(out, arrays)
    print(json.dumps({"training_modules": training, "predictions": predictions}))
    """
)


def test_training_and_serving_preprocess_identically(
    image_folder: Path, trained_model, tmp_path: Path
) -> None:
    folder = scan_image_folder(image_folder)
    training_arrays, _ = load_arrays(folder.samples, folder.labels, Preprocessor(image_size=32))

    out = tmp_path / "served.npy"
    paths = json.dumps([str(sample.path) for sample in folder.samples])
    result = subprocess.run(
        [sys.executable, "-c", SERVING_SIDE, str(trained_model.tag), paths, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["training_modules"] == [], "serving needs neither training code nor TensorFlow"
    assert np.array_equal(np.load(out), training_arrays)
    assert len(report["predictions"]) == len(folder.samples)
    for prediction in report["predictions"]:
        assert set(prediction["probabilities"]) == set(trained_model.info.metadata["class_names"])
        assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-4
