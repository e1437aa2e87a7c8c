"""Result records (JSON schema, checksum, atomic writes) and W&B logging.

- :mod:`benchsuite.results.record`: :func:`build_record`, :func:`write_record`, :func:`read_record`;
  the schema is ``record.schema.json`` next to it.
- :mod:`benchsuite.results.wandb_logging`: :class:`WandbRun` (online, offline by default, or disabled).
"""

from benchsuite.results.record import SCHEMA_VERSION, build_record, read_record, write_record

__all__ = ["SCHEMA_VERSION", "build_record", "read_record", "write_record"]
