

@luisy.{{ task.layer }}
@luisy.requires({{ task.input }})
class {{ task.name }}(DirectoryTask):
    """One array per input file, in {{ task.layer }}/{{ task.name }}/."""

    def transform(self, data):
        # Your per-file work: `data` is one array of the input task, and the array returned
        # is saved as <id>.npy. Until you change it, the array is kept as it is.
        return data
