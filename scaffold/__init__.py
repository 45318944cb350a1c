"""luisy-scaffold: generate luisy pipelines that process thousands of files."""

__version__ = "0.1.0"
