"""luisy-scaffold: generate luisy pipelines that process thousands of files."""

__version__ = "0.2.0"
