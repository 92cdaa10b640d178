"""Koe: neural text-to-speech with one pure-Python core and pluggable ONNX runtimes."""

__version__ = "0.1.0"
