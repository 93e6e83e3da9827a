"""``python -m mer_keras.sweep specs/sweeps/NAME.yaml``: a grid of train.py + evaluate.py cells, then the summaries.

``spec`` reads a sweep file into cells (one train.py run each, named as train.py names it); ``cells`` runs one
cell (train, resume or evaluate as its files say; never a finished one again); ``engines`` runs the cells one
after another (local) or as Ray Tune trials; ``summaries`` writes each group's summary over its seeds;
``command`` is the entry point.
"""
