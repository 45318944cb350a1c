"""luigi parameters for settings that change what a task computes."""

import luigi

from luisy_directory_tasks.curves import rate_problem


class RateParameter(luigi.FloatParameter):
    """A rate in samples per second: a positive, finite number. Any other value, in luigi.cfg
    or on the command line, is refused with the rule when it is read."""

    def parse(self, x):
        value = super().parse(x)
        problem = rate_problem(value)
        if problem:
            raise ValueError(problem)
        return value
