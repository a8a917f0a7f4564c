"""A compact console logger for `parkpi run`: one line per stage and per message.

Dagster's default console logger prints run ids and every engine event; a person running
`make run` wants to see which stage is running, what it found, and what went wrong.
"""

import logging
import sys

import dagster as dg

from sources.settings import local_time

_STEP_EVENTS = {
    dg.DagsterEventType.STEP_START: "started",
    dg.DagsterEventType.STEP_SUCCESS: "done",
    dg.DagsterEventType.STEP_FAILURE: "FAILED",
}


# dagster-dbt's bookkeeping chatter; its "Running/Finished dbt command" lines stay.
_QUIET_PREFIXES = ("A dbt subsetted execution", "Copying `")


class CompactHandler(logging.Handler):
    """Receives every record (stage events arrive at DEBUG) and prints stage events plus
    messages at or above ``threshold``."""

    def __init__(self, stream, threshold: int) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.threshold = threshold
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        step = meta.get("step_key") or ""
        event = meta.get("dagster_event")
        clock = f"{local_time(record.created):%H:%M:%S}"
        if event is not None:
            label = _STEP_EVENTS.get(event.event_type)
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.asset_check_evaluation_data
                if not evaluation.passed:
                    label = f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed"
            if label is None:
                return
            if event.event_type == dg.DagsterEventType.STEP_START:
                self.started[step] = record.created
            elif step in self.started and label in ("done", "FAILED"):
                label += f" in {record.created - self.started.pop(step):.1f} s"
            line = f"{clock}  {step:<18} {label}"
        elif record.levelno >= self.threshold:
            message = meta.get("orig_message", record.getMessage())
            if message.startswith(_QUIET_PREFIXES):
                return
            prefix = "" if record.levelno < logging.WARNING else f"{record.levelname}: "
            line = f"{clock}  {step:<18} {prefix}{message}"
        else:
            return
        self.stream.write(line + "\n")
        self.stream.flush()


@dg.logger(
    config_schema={"log_level": dg.Field(str, default_value="INFO", is_required=False)},
    description="One line per stage and message (the default for `parkpi run`).",
)
def compact_console(init_context: "dg.InitLoggerContext") -> logging.Logger:
    level = logging.getLevelName(init_context.logger_config["log_level"].upper())
    logger = logging.getLogger("parkpi.console")
    logger.propagate = False
    logger.handlers.clear()
    logger.addHandler(CompactHandler(sys.__stdout__, level))
    logger.setLevel(logging.DEBUG)  # stage events arrive at DEBUG; the handler filters
    return logger
