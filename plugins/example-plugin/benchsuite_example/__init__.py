"""An example benchsuite plugin: one tiny convolutional model for binary and quantitative tasks."""

__version__ = "0.1.0"
