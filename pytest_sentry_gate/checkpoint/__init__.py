"""The verify_loop checkpoint: what the last good run saw, so the next one can say what changed.

One JSON file per org/project (default ``<repo>/.sentry-gate/<org>_<project>.json``) with a
versioned schema (``pytest-sentry-gate/checkpoint@2``, with the last 30 runs; ``@1`` migrates
on read). ``commit`` takes a ``filelock`` lock beside
the file and, under it, reads the checkpoint as it is *now*, computes the changes against it, and
writes a temporary file in the same directory, fsyncs it and renames it over the old one (readers
see the old or the new file, never half of one). So when several runs finish at once a change is
counted once, and an older snapshot never replaces a newer checkpoint (``checked_at`` never moves
backwards).

Reading is bounded (``repo.files``: a regular file of at most ``CAP_CHECKPOINT`` bytes). A regular
file that does not validate (not JSON, ``1e999``, nested 200,000 deep, an unknown schema, another
project's, a file above the cap) is moved aside to ``<name>.corrupt-<time>`` and named, once, and a
new baseline starts. Anything else at the path (a symlink, FIFO, device) is ``CheckpointRefused``:
never read, moved or replaced (``repo.state_files``). No pytest, no httpx here.
"""

from pytest_sentry_gate.checkpoint.model import (
    SCHEMA,
    Changes,
    Checkpoint,
    CheckpointError,
    CheckpointRefused,
    Committed,
    Loaded,
    changes,
    decode,
    default_path,
    id_order,
)
from pytest_sentry_gate.checkpoint.store import (
    LOCK_TIMEOUT,
    commit,
    load,
    save,
    writable_problem,
)

__all__ = [
    "LOCK_TIMEOUT",
    "SCHEMA",
    "Changes",
    "Checkpoint",
    "CheckpointError",
    "CheckpointRefused",
    "Committed",
    "Loaded",
    "changes",
    "commit",
    "decode",
    "default_path",
    "id_order",
    "load",
    "save",
    "writable_problem",
]
