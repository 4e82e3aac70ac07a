"""Helper package for the notebooks of the lecture "Deep Learning" (MARL book, chapter 7)."""

__version__ = "0.1.0"
