"""Which features a dataset and model family use: ``--features`` -> a :class:`FeatureSpec`."""

from __future__ import annotations

from mer_keras.data.records import Dataset
from mer_keras.errors import DataError
from mer_keras.features.extract import FeatureSpec
from mer_keras.specs import load_spec

FEATURES = ("mel", "opensmile", "handcrafted", "waveform", "embeddings", "egemaps", "musicnn", "musicnn_mel")
SPEECH_FEATURES = ("mel", "waveform", "embeddings")      # the Keras speech models'
SPEECH_CLASSIC_FEATURES = ("egemaps", "handcrafted")    # the classic speech models' (svc, logreg)


def speech_feature_spec(features: str, embeddings: str | None = None, family: str = "keras") -> FeatureSpec:
    """Speech (task ``emotion``), per ``specs/features.yaml`` ``speech``: ``mel`` -> the 16 kHz speech
    log-mel (CNN-LSTM), ``waveform`` -> the raw 16 kHz window (attention CRNN), ``embeddings`` ->
    precomputed wav2vec2 frames read from ``embeddings`` (a folder of <clip>.npy); for the classic
    models (``family`` sklearn: svc, logreg) ``egemaps`` -> openSMILE's 88 eGeMAPS v02 functionals per clip,
    ``handcrafted`` -> the project's 181 librosa descriptors over the clip (up to ``speech.handcrafted.duration``)."""
    from mer_keras.features.logmel import LogMelConfig
    from mer_keras.features.waveform import WaveformConfig

    if family != "keras":
        if features not in SPEECH_CLASSIC_FEATURES:
            raise DataError(f"the classic speech models (svc, logreg) take --features egemaps (88 openSMILE functionals "
                            f"per clip) or handcrafted (181 librosa descriptors per clip), not {features!r}")
        if features == "handcrafted":
            return FeatureSpec("handcrafted", dict(load_spec("features")["speech"]["handcrafted"]))
        from mer_keras.features.opensmile import egemaps_params

        return FeatureSpec("egemaps", egemaps_params())
    if features in SPEECH_CLASSIC_FEATURES:
        raise DataError(f"--features {features} (one vector per clip) is for the classic speech models svc and logreg; "
                        f"the Keras speech models take --features {' / '.join(SPEECH_FEATURES)}")
    if features == "mel":
        spec = load_spec("features")["speech"]["logmel"]
        config = LogMelConfig(sample_rate=spec["sample_rate"], n_mels=spec["n_mels"], hop_length=spec["hop_length"],
                              n_fft=spec["n_fft"], duration=float(spec["duration"]),
                              top_db=float(spec["power_to_db"]["top_db"]))
        return FeatureSpec("logmel", config.to_dict())
    if features == "waveform":
        return FeatureSpec("waveform", WaveformConfig.from_spec().to_dict())
    if features == "embeddings":
        if not embeddings:
            raise DataError("--features embeddings needs --embeddings DIR (one <clip name>.npy of wav2vec2 frames per clip)")
        from mer_keras.features.embeddings import embeddings_params

        return FeatureSpec("embeddings", embeddings_params(embeddings))
    raise DataError(f"speech datasets take --features {' / '.join(SPEECH_FEATURES)}, not {features!r}")


def feature_spec(dataset: Dataset, features: str, family: str = "keras", embeddings: str | None = None) -> FeatureSpec:
    """The extraction for ``features`` on ``dataset``, per ``specs/features.yaml``.

    - ``mel``: log-mel sequence (Keras models), window starting at the dataset's offset;
    - ``handcrafted``: 181 librosa descriptors per clip over the same window (baselines);
    - ``musicnn``: the pretrained musicnn's 400-d clip embedding over the same window (baselines: a frozen
      backbone with a classic head);
    - ``musicnn_mel``: musicnn's own log-mel of the same window (1,876 x 96 for 30 s), the input of ``--model
      musicnn`` (its registry default);
    - ``opensmile``: openSMILE frames in DEAM's layout (Keras models) or their per-song mean/std (baselines):
      DEAM's own feature files when the dataset holds them, else computed from the audio over the
      log-mel's window (``opensmile_audio``; 59 rows x 260 for 30 s);
    - speech datasets (task ``emotion``): see :func:`speech_feature_spec`.
    """
    from mer_keras.features.logmel import LogMelConfig

    if dataset.task == "emotion":
        return speech_feature_spec(features, embeddings, family)
    if features in ("waveform", "embeddings", "egemaps"):
        raise DataError(f"--features {features} applies to the speech datasets (ravdess, cremad, emodb) only")
    window = LogMelConfig.from_spec(offset=dataset.window_offset)
    if features == "mel":
        if family != "keras":
            raise DataError("the classic baselines take --features handcrafted or opensmile, not a log-mel sequence")
        return FeatureSpec("logmel", window.to_dict())
    if features == "handcrafted":
        return FeatureSpec("handcrafted", {"sample_rate": window.sample_rate, "n_fft": window.n_fft,
                                           "hop_length": window.hop_length, "duration": window.duration,
                                           "offset": window.offset})
    if features == "musicnn":
        from mer_keras.features.musicnn_mel import musicnn_params

        if family == "keras" or dataset.input_kind != "audio":
            raise DataError("--features musicnn (one 400-d embedding per clip, from its audio) is for the classic "
                            "baselines ridge, svr and xgboost; the Keras models take --features mel")
        return FeatureSpec("musicnn", musicnn_params(offset=dataset.window_offset))
    if features == "musicnn_mel":
        from mer_keras.features.musicnn_mel import musicnn_mel_params

        if family != "keras" or dataset.input_kind != "audio":
            raise DataError("musicnn_mel (musicnn's log-mel of the whole clip, from its audio) is the input of "
                            "--model musicnn; the classic baselines take --features musicnn (its clip embedding)")
        return FeatureSpec("musicnn_mel", musicnn_mel_params(offset=dataset.window_offset))
    if features == "opensmile":
        from mer_keras.features.opensmile import opensmile_audio_params, opensmile_params

        if dataset.input_kind == "opensmile":       # DEAM's features/<id>.csv
            return FeatureSpec("opensmile" if family == "keras" else "opensmile_summary", opensmile_params())
        if dataset.input_kind == "audio":
            return FeatureSpec("opensmile_audio" if family == "keras" else "opensmile_audio_summary",
                               opensmile_audio_params(offset=dataset.window_offset))
        raise DataError(f"--features opensmile needs audio or DEAM's openSMILE files; {dataset.name} has {dataset.input_kind}")
    raise DataError(f"unknown features {features!r}; choose from {FEATURES}")
