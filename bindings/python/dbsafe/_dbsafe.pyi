"""Type stubs for dbsafe._dbsafe, the native layer over the dbsafe C ABI."""

from typing import Callable, Optional, Sequence, Tuple, Union

ABI_VERSION: int

def version() -> str: ...
def version_info() -> Tuple[int, int, int]: ...
def abi_version() -> int: ...
def status_name(status: int) -> str: ...

class CancelToken:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

def migrations_open(
    path: Union[str, bytes],
    layout: str = "auto",
    max_file_bytes: int = 0,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def check(
    paths: Sequence[Union[str, bytes]],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def stats_collect(
    database_url: str,
    timeout_ms: int = 0,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
RESOLVE_APPLIED: int
RESOLVE_ROLLED_BACK: int

def migrate_status(
    path: Union[str, bytes],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def migrate_deploy(
    path: Union[str, bytes],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def migrate_resolve(
    path: Union[str, bytes],
    name: str,
    action: int,
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def migrate_baseline(
    path: Union[str, bytes],
    name: str,
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def migrate_baseline_from_database(
    path: Union[str, bytes],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def schema_dump(
    database_url: str,
    format: str = "sql",
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def schema_render(
    source: str,
    format: str = "sql",
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def schema_diff(
    from_: str,
    to: str,
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def drift(
    database_url: str,
    path: Union[str, bytes],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def verify(
    database_url: str,
    path: Union[str, bytes],
    options_json: Optional[str] = None,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def deploy(
    options_json: str,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def restore(
    options_json: str,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def backup(
    command: str,
    options_json: str,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def maintenance(
    options_json: str,
    timeout_ms: int = 0,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def copy(
    options_json: str,
    timeout_ms: int = 0,
    progress: Optional[Callable[[str], object]] = None,
    cancel: Optional[CancelToken] = None,
    log: Optional[Callable[[int, str, str], object]] = None,
    log_level: int = 30,
) -> str: ...
def check_sql(
    sql: Union[str, bytes], name: str = "<sql>", options_json: Optional[str] = None
) -> str: ...
def cli_main(argv: Sequence[Union[str, bytes]]) -> int: ...
def checksum_matches(script: Union[str, bytes], stored_checksum: str) -> bool: ...

class Provider:
    def __init__(self, options_json: Optional[str] = None) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def requests_made(self) -> int: ...
    def list_branches(
        self,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def create_branch(
        self,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def delete_branch(
        self,
        name_or_id: str,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> None: ...
    def restore_branch(
        self,
        name_or_id: str,
        at_timestamp: str,
        preserve_under_name: str = "",
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def connection_url(
        self,
        name_or_id: str,
        pooled: bool = False,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def list_snapshots(
        self,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def create_snapshot(
        self,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def delete_snapshot(
        self,
        name_or_id: str,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> None: ...
    def restore_snapshot(
        self,
        name_or_id: str,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def rotate_snapshot(
        self,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def snapshot_retention(
        self,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
    def branch_prune(
        self,
        options_json: Optional[str] = None,
        timeout_ms: int = 0,
        cancel: Optional[CancelToken] = None,
        log: Optional[Callable[[int, str, str], object]] = None,
        log_level: int = 30,
    ) -> str: ...
