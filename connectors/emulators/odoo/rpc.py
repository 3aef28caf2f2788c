"""The three RPC services (common, db, object) that /jsonrpc and /xmlrpc/2 dispatch to.

Mirrors odoo/service/{common,db,model}.py (17.0): method lookup, argument unpacking (so a wrong
call fails with the same KeyError/TypeError Odoo's Python raises), credential checks, and one
transaction per `execute_kw` whose database errors become Odoo's ValidationError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import (
    PG_FOREIGN_KEY,
    PG_NOT_NULL,
    AccessDenied,
    AccessError,
    DatabaseNotFound,
    IntegrityViolation,
    UserError,
    ValidationError,
)
from connectors.emulators.odoo.orm import call_kw

PROTECTED_DB_METHODS = frozenset(
    {
        "create_database",
        "duplicate_database",
        "drop",
        "dump",
        "restore",
        "rename",
        "change_admin_password",
        "migrate_databases",
    }
)


@dataclass(frozen=True)
class OdooUser:
    """A user who may call the external API: password, or any of the API keys, authenticates."""

    login: str = "admin"
    password: str = "admin"
    uid: int = 2
    name: str = "Administrator"
    api_keys: tuple[str, ...] = ()
    active: bool = True

    def accepts(self, secret: Any) -> bool:
        return (
            self.active and isinstance(secret, str) and (secret == self.password or secret in self.api_keys)
        )


@dataclass(frozen=True)
class ServerVersion:
    """The version `version()` and /web/version report."""

    serie: str = "17.0"

    @property
    def info(self) -> list[Any]:
        numbers = [int(part) for part in self.serie.replace("saas~", "").split(".")[:2] if part.isdigit()]
        major, minor = [*numbers, 0, 0][:2]
        return [major, minor, 0, "final", 0, ""]


class RpcServices:
    """`dispatch_rpc(service, method, params)` over one database and its users."""

    def __init__(self, db: Database, users: Mapping[int, OdooUser], version: ServerVersion) -> None:
        self.db = db
        self.users = dict(users)
        self.version = version

    def dispatch(self, service: str, method: str, params: list[Any]) -> Any:
        """Run one RPC call; raises what Odoo raises (KeyError for an unknown service)."""
        dispatchers: dict[str, Callable[[str, list[Any]], Any]] = {
            "common": self._common,
            "db": self._db,
            "object": self._object,
        }
        return dispatchers[service](method, list(params))

    # ---- common ----

    def _common(self, method: str, params: list[Any]) -> Any:
        exported: dict[str, Callable[..., Any]] = {
            "exp_version": self.exp_version,
            "exp_login": self.exp_login,
            "exp_authenticate": self.exp_authenticate,
            "exp_about": self.exp_about,
        }
        return exported["exp_" + method](*params)

    def exp_version(self) -> dict[str, Any]:
        return {
            "server_version": self.version.serie,
            "server_version_info": self.version.info,
            "server_serie": self.version.serie,
            "protocol_version": 1,
        }

    def exp_about(self, extended: bool = False) -> Any:
        info = "See http://openerp.com"
        return [info, self.version.serie] if extended else info

    def exp_login(self, db: str, login: str, password: str) -> int | bool:
        return self.exp_authenticate(db, login, password, None)

    def exp_authenticate(self, db: str, login: str, password: str, user_agent_env: Any) -> int | bool:
        """The uid, or False for bad credentials (which are not an error)."""
        self._check_database(db)
        for user in self.users.values():
            if user.login == login and user.accepts(password):
                return user.uid
        return False

    # ---- db ----

    def _db(self, method: str, params: list[Any]) -> Any:
        public: dict[str, Callable[..., Any]] = {
            "list": self.exp_list,
            "server_version": lambda: self.version.serie,
            "db_exist": lambda name: name == self.db.name,
            "list_lang": lambda: [["en_US", "English (US)"]],
        }
        if method in public:
            return public[method](*params)
        if method in PROTECTED_DB_METHODS:
            raise AccessDenied()
        raise KeyError(f"Method not found: {method}")

    def exp_list(self, document: bool = False) -> list[str]:
        return [self.db.name]

    # ---- object ----

    def _object(self, method: str, params: list[Any]) -> Any:
        db, uid, password = params[0], int(params[1]), params[2]
        self._check_credentials(db, uid, password)
        if method == "execute":
            return self.execute(db, uid, *params[3:])
        if method == "execute_kw":
            return self.execute_kw(db, uid, *params[3:])
        raise NameError(f"Method not available {method}")

    def execute_kw(self, db: str, uid: int, obj: str, method: str, args: list[Any], kw: Any = None) -> Any:
        return self.execute(db, uid, obj, method, *args, **(kw or {}))

    def execute(self, db: str, uid: int, obj: str, method: str, *args: Any, **kw: Any) -> Any:
        """Call a model method in its own transaction (rolled back entirely on any error)."""
        if method.startswith("_"):
            raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
        if obj not in self.db.specs or self.db.specs[obj].internal:
            raise UserError(f"Object {obj} doesn't exist")
        try:
            with self.db.transaction():
                return call_kw(self.db, obj, uid, method, list(args), kw)
        except IntegrityViolation as violation:
            raise as_validation_error(self.db, violation) from violation

    def _check_database(self, name: Any) -> None:
        if name != self.db.name:
            raise DatabaseNotFound(str(name))

    def _check_credentials(self, db: Any, uid: int, password: Any) -> None:
        self._check_database(db)
        user = self.users.get(uid)
        if user is None or not user.accepts(password):
            raise AccessDenied()


def as_validation_error(db: Database, violation: IntegrityViolation) -> ValidationError:
    """What `odoo.service.model._as_validation_error` makes of a PostgreSQL error."""
    spec = next((s for s in db.specs.values() if s.table == violation.table), None)
    model_line = f"Model: {spec.description} ({spec.name})\n" if spec else "Model: Unknown (unknown)\n"
    if violation.pgcode == PG_NOT_NULL:
        field = spec.fields.get(violation.column or "") if spec else None
        field_line = (
            f"Field: {field.string} ({violation.column})\n" if field else "Field: Unknown (unknown)\n"
        )
        return ValidationError(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
            "- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"
            + model_line
            + field_line
        )
    if violation.pgcode == PG_FOREIGN_KEY:
        return ValidationError(
            "The operation cannot be completed: another model requires the record being deleted. "
            "If possible, archive it instead.\n\n" + model_line + f"Constraint: {violation.constraint}\n"
        )
    for constraint in spec.sql_constraints if spec else ():
        if violation.constraint == f"{violation.table}_{constraint.name}":
            return ValidationError(f"The operation cannot be completed: {constraint.message}")
    return ValidationError(f"The operation cannot be completed: {violation.pgmessage}")
