"""`python -m <package> run`: luisy's pipeline mode (hashes checked before the run, saved
after it) over every final task, or the tasks named, run together as luigi.build runs them.

By default it shows the task summaries, problems and luigi's execution summary (logs.py);
`verbose` adds luisy's and luigi's own output. A failure this project expects (a
DirectoryTaskError: bad files, an id collision, an empty input, a failure of the machine) ends
the run with its message alone; `traceback` lets luigi log the stack as well.
"""

import argparse
import importlib
import inspect
import logging
import os
import sys
from pathlib import Path

import luigi
import luigi.configuration
import luigi.execution_summary
from luigi.cmdline_parser import CmdlineParser
from luigi.execution_summary import LuigiStatusCode
from luigi.task_register import Register
from luisy import Config, luigi_interface
from luisy.cli import parse_args

from luisy_directory_tasks.builds import one_build
from luisy_directory_tasks.errors import DirectoryTaskError
from luisy_directory_tasks.manifests import ManifestTarget
from luisy_directory_tasks.unread import describe_unread

logger = logging.getLogger(__package__.split(".")[0])


class CommandLineError(Exception):
    """A word on the command line that names no task of this project, or an option neither
    luisy nor luigi takes."""


class SettingValueError(CommandLineError):
    """A setting's value, on the command line or in luigi.cfg, that its parameter refuses: the
    run cannot go on, and nothing ran."""


class UnknownTaskError(CommandLineError):
    """A word on the command line that names no task of this project."""


def project_tasks(package):
    """{name: class} of the tasks defined in `package`.tasks, in the order they are defined
    there."""
    module = importlib.import_module(f"{package}.tasks")
    classes = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, luigi.Task) and cls.__module__ == module.__name__
    ]
    classes.sort(key=lambda cls: inspect.getsourcelines(cls)[1])
    return {cls.get_task_family(): cls for cls in classes}


def is_final(cls):
    """True for a task whose outputs land in luisy's final layer (`@luisy.final`)."""
    task = cls()
    project = Path(Config().get_param("working_dir"), task.project_name)
    try:
        return Path(task.get_outdir()).relative_to(project).parts[:1] == ("final",)
    except ValueError:
        return False


def split_task_names(words, tasks):
    """(task names, the other words, for luisy and luigi). A bare word that names no task and
    is not the value of the option before it is refused."""
    names, rest = [], []
    for index, word in enumerate(words):
        if word in tasks:
            names.append(word)
            continue
        previous = words[index - 1] if index else ""
        is_value = previous.startswith("--") and "=" not in previous
        if not word.startswith("-") and not is_value:
            raise UnknownTaskError(
                f"unknown task {word!r}; this project's tasks are: {', '.join(tasks)}"
            )
        rest.append(word)
    return names, rest


def refuse_unknown_options(package, task_name, args_luigi):
    """Raise CommandLineError for an option luigi does not take for `task_name`, or a value it
    cannot read: luigi itself would print its whole usage under the name `__main__.py`, or fail
    the task with a traceback."""
    parser = CmdlineParser._build_parser(root_task=task_name)  # the parser luigi uses next
    parser.exit_on_error = False
    see = f"`python -m {package} run --help` lists the options"
    try:
        given, unknown = parser.parse_known_args([task_name, *args_luigi])
    except argparse.ArgumentError as error:
        raise CommandLineError(f"{error}; {see}") from None
    if unknown:
        raise CommandLineError(f"unknown option(s) for run: {' '.join(unknown)}; {see}")
    for task, without_section, name, parameter in Register.get_all_params():
        dest = name if without_section else f"{task}_{name}"
        value = getattr(given, dest, None)
        if not isinstance(value, str):  # not given, or a flag
            continue
        try:
            parameter.parse(value)
        except ValueError as error:
            option = "--" + dest.replace("_", "-")
            raise SettingValueError(f"{option} {value!r}: {error}; nothing ran; {see}") from None


def refuse_bad_config_values():
    """SettingValueError for a value in luigi.cfg that its parameter refuses: luigi would fail
    with a traceback when it makes the task."""
    for section, _, name, parameter in Register.get_all_params():
        try:
            parameter._get_value_from_config(section, name)  # luigi's own lookup and parse
        except ValueError as error:
            raise SettingValueError(
                f"luigi.cfg [{section}] {name}: {error}; fix it there, nothing ran"
            ) from None


class SeveralRoots:
    """A luisy mode over several root tasks and what they need. luisy's opening lines (which
    tasks will run and why) only when verbose or in a dry run."""

    def __init__(self, roots, verbose, **kwargs):
        self.roots, self.verbose = roots, verbose
        super().__init__(root_task=roots[0], **kwargs)
        for root in roots[1:]:
            self.tasks.update(luigi_interface.get_upstream_tasks(root))

    def print_approvals(self):
        if self.verbose or Config().get_param("dry_run"):
            super().print_approvals()


class HashUpdates(SeveralRoots, luigi_interface.HashUpdateMode):
    """luisy's --hash-update-mode over several tasks: record today's hashes, run nothing."""

    def run_coordinator(self):
        outdated = self.hash_synchronizer.get_outdated_local_hash_entries()
        super().run_coordinator()
        names = ", ".join(sorted(entry.task.get_task_family() for entry in outdated))
        logger.info(f"Recorded the new hashes of {names or 'no task'}; no task ran")


class Pipeline(SeveralRoots, luigi_interface.PipelineMode):
    """luisy's pipeline mode over several tasks, which luigi runs together."""

    def run_luigi(self):
        result = luigi.build(self.roots, detailed_summary=True, local_scheduler=True)
        self.tasks_set = luigi.execution_summary._summary_dict(result.worker)  # as luisy does
        # luigi's verdict, not a last look at the folders: another run may have committed a
        # newer state of them since this one finished its work.
        return result.status not in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY)


class ExpectedFailures(logging.Filter):
    """Drops luigi's log record of a task that failed with a DirectoryTaskError (a traceback)
    and keeps its message for the end of the run."""

    def __init__(self):
        super().__init__()
        self.messages = []
        self.pid = os.getpid()

    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, DirectoryTaskError):
            return True
        if os.getpid() != self.pid:  # a task in a luigi worker process (--workers N)
            print(f"Error: {error}", file=sys.stderr)
        else:
            self.messages.append(f"Error: {error}")
        return False


def run_tasks(package, words, working_dir, verbose=False, traceback=False):
    """Run the tasks of `package` named in `words` (none: every final task) with luisy,
    passing the other words on to luisy and luigi; return the exit code (0 done, 1 a task
    failed)."""
    Config().set_param("working_dir", str(working_dir))
    tasks = project_tasks(package)
    refuse_bad_config_values()
    chosen, rest = split_task_names(words, tasks)
    chosen = chosen or [name for name, cls in tasks.items() if is_final(cls)]
    plain_output()
    expected = ExpectedFailures()
    if not traceback:
        logging.getLogger("luigi-interface").addFilter(expected)
    args_luisy, args_luigi = parse_args(["--working-dir", str(working_dir), "--no-ask", *rest])
    refuse_unknown_options(package, chosen[0], args_luigi)
    with CmdlineParser.global_instance([chosen[0], "--local-scheduler", *args_luigi]) as parser:
        roots = [parser.get_task_obj()] + [tasks[name]() for name in chosen[1:]]
        if args_luisy.pop("hash_update_mode"):
            mode = HashUpdates(roots, verbose, args_luisy=args_luisy)
        else:
            mode = Pipeline(roots, verbose, args_luisy=args_luisy, args_luigi=args_luigi)
        with one_build():  # the report looks at the folders as the run did
            code = mode.run()
            report_unread(mode.tasks.values())
    for message in expected.messages:
        print(message, file=sys.stderr)
    return code


def report_unread(tasks):
    """One line per complete directory task whose input holds files it does not read, with
    their counts and how to read them: on every run, not only when the task ran."""
    for task in tasks:
        target = task.output()
        if not isinstance(target, ManifestTarget) or not task.complete():
            continue
        ignored = target.load()["ignored"]
        if ignored:
            source = task.input()
            unread = describe_unread(ignored, getattr(source, "unread_hint", ""))
            folder = os.path.normpath(source.folder)
            logger.warning(
                f"{task.get_task_family()} did not read {unread} (in {folder}; listed under"
                f' "ignored" in {target.path})'
            )


def plain_output():
    """luigi logs through the handler set up before (commands/logs.py); luisy's lines have no
    colour codes unless they go to a terminal."""
    luigi.configuration.get_config().set("core", "no_configure_logging", "true")
    if not sys.stdout.isatty():
        for colour in ("RED", "BLUE", "GREEN", "END"):
            setattr(luigi_interface.COLORS, colour, "")
