"""The training side: the DVC stages and what only they need.

Stages (`python -m celestial.pipeline.<stage>`, wired in dvc.yaml): prepare, train, evaluate,
leave_out. Beside them: params (params.yaml, typed), dataset (the image folder and its split),
network (the Keras CNN and its LiteRT export), recipe (how a classifier is trained), metrics,
model_card, robustness (retraining with other seeds) and versioned_model (the model DVC holds).
"""
