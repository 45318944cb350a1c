"""luisy-scaffold: generate luisy pipelines that process thousands of files."""

__version__ = "1.0.0"
