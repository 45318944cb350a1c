

@luisy.{{ task.layer }}
@luisy.requires({{ task.input }})
class {{ task.name }}(DirectoryTask):
    """One array per file of {{ task.input }}, in {{ task.layer }}/{{ task.name }}/."""

    def transform(self, data):
        # Your per-file work: `data` is one array from {{ task.input }}, and what you return is
        # saved as {{ task.name }}/<id>.npy. Until you change it, the array is kept as it is.
        return data
