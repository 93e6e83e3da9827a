"""mer_keras: music and speech emotion models in Keras 3, judged against the claims they were sold with."""

__version__ = "0.1.0"
