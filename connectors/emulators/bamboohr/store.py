"""BambooHR's employees in memory: the fields, validation, change stamps and the deleted log.

Every employee has a numeric id (answered as text, like every BambooHR value), the fields of
`FIELDS`, and `lastChanged` (`2024-03-01T12:00:00+00:00`, whole seconds), which moves when a write
really changes a value. Empty values are None here; the API renders an empty date as "0000-00-00".
A refused write raises `Invalid`, whose message becomes the `X-BambooHR-Error-Message` header.

The departments are the options of the Department list field (`GET /meta/lists`): ids 1, 2, … in
order of creation; an archived option stays listed (and stays a valid value, as employees may still
hold it). An employee's `department` is the option's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

Clock = Callable[[], datetime]
Action = Literal["Inserted", "Updated", "Deleted"]
EMPTY_DATE = "0000-00-00"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
DEPARTMENTS = ("Sales", "Support", "Engineering", "Finance", "Operations", "People")
STATUSES = ("Active", "Inactive")

# name: (type, label) as `GET /meta/fields` and custom reports describe them.
FIELDS: dict[str, tuple[str, str]] = {
    "id": ("int", "Employee ID"),
    "employeeNumber": ("text", "Employee #"),
    "firstName": ("text", "First Name"),
    "lastName": ("text", "Last Name"),
    "displayName": ("text", "Display name"),
    "workEmail": ("email", "Work Email"),
    "mobilePhone": ("phone", "Mobile Phone"),
    "workPhone": ("phone", "Work Phone"),
    "department": ("list", "Department"),
    "division": ("list", "Division"),
    "jobTitle": ("list", "Job Title"),
    "location": ("list", "Location"),
    "supervisorEId": ("employee", "Supervisor EID"),
    "status": ("status", "Status"),
    "hireDate": ("date", "Hire Date"),
    "terminationDate": ("date", "Termination Date"),
    "customHubId": ("text", "Hub ID"),
    "lastChanged": ("timestamp", "Last Changed"),
}
READ_ONLY = frozenset({"id", "displayName", "lastChanged"})
WRITABLE = tuple(name for name in FIELDS if name not in READ_ONLY)
DATES = frozenset(name for name, (kind, _label) in FIELDS.items() if kind == "date")


def bamboo_time(moment: datetime) -> str:
    """`2011-06-02T19:26:23+00:00`: how BambooHR writes change timestamps."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """An ISO-8601 timestamp (`…+00:00`, `…Z` or a bare date) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# The tabular fields BambooHR keeps a dated history of: table -> its columns -> the employee field
TABLES: dict[str, dict[str, str]] = {
    "jobInfo": {
        "location": "location",
        "department": "department",
        "division": "division",
        "jobTitle": "jobTitle",
        "reportsTo": "supervisorEId",
    },
    "employmentStatus": {"employmentStatus": "status", "terminationDate": "terminationDate"},
}


class Invalid(ValueError):
    """A refused request: the message BambooHR puts in `X-BambooHR-Error-Message`, and the status."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of `GET /employees/changed/`."""

    id: int
    action: Action
    when: datetime


@dataclass(slots=True)
class Option:
    """One option of a list field, as `GET /meta/lists` lists it."""

    id: int
    name: str
    created: datetime
    archived: datetime | None = None

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "archived": "no" if self.archived is None else "yes",
            "createdDate": bamboo_time(self.created),
            "archivedDate": None if self.archived is None else bamboo_time(self.archived),
            "name": self.name,
        }


def _text(value: Any) -> str | None:
    """A written value as BambooHR keeps it: text, with "" (and a null) meaning empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value).strip()
    return text or None


class Store:
    """The company's employees by id, when each was created, and the employees deleted."""

    def __init__(self, clock: Clock, departments: tuple[str, ...] = DEPARTMENTS) -> None:
        self.clock = clock
        self.department_options = [Option(n, name, self.now()) for n, name in enumerate(departments, 1)]
        self.employees: dict[int, dict[str, Any]] = {}
        self.stamps: dict[int, datetime] = {}  # lastChanged, as datetimes
        self.tables: dict[str, dict[int, list[dict[str, Any]]]] = {}  # table -> employee -> rows
        self.table_stamps: dict[str, dict[int, datetime]] = {}  # table -> employee -> last change
        self.created: dict[int, datetime] = {}
        self.deleted: dict[int, datetime] = {}
        self._next = 1

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    @property
    def departments(self) -> tuple[str, ...]:
        """The names an employee's `department` may take: every option, archived ones included."""
        return tuple(option.name for option in self.department_options)

    def add_department(self, name: str) -> int:
        """A new option of the Department list; returns its id."""
        text = _text(name)
        if text is None or text in self.departments:
            raise Invalid(f"department '{name}' is empty or already an option")
        option = Option(len(self.department_options) + 1, text, self.now())
        self.department_options.append(option)
        return option.id

    def archive_department(self, name: str) -> None:
        """Archive a Department option (it stays listed, `archived` "yes"); again is a no-op."""
        option = next((o for o in self.department_options if o.name == name), None)
        if option is None:
            raise Invalid(self._not_an_option(name))
        option.archived = option.archived or self.now()

    def _not_an_option(self, department: str) -> str:
        return f"department '{department}' is not one of the options: {', '.join(self.departments)}"

    def get(self, employee_id: int) -> dict[str, Any] | None:
        return self.employees.get(employee_id)

    def insert(self, values: dict[str, Any]) -> int:
        """Add an employee (validated); returns the new id."""
        record: dict[str, Any] = {name: None for name in WRITABLE} | {"status": "Active"}
        record.update(self._writable(values))
        self.validate(record, None)
        employee_id, self._next = self._next, self._next + 1
        now = self.now()
        self.employees[employee_id] = record
        self.created[employee_id] = now
        self._stamp(employee_id, now)
        self._record_rows(employee_id, None, record, now)
        return employee_id

    def update(self, employee_id: int, values: dict[str, Any]) -> bool:
        """Change the given fields (validated); whether any value really changed."""
        current = self.employees[employee_id]
        merged = {**current, **self._writable(values)}
        self.validate(merged, employee_id)
        if merged == current:
            return False
        self.employees[employee_id] = merged
        self._stamp(employee_id, self.now())
        self._record_rows(employee_id, current, merged, self.now())
        return True

    def _record_rows(
        self, employee_id: int, before: dict[str, Any] | None, after: dict[str, Any], when: datetime
    ) -> None:
        """A new row in each table whose fields the change touched, dated today, as HR keys it."""
        for table, fields in TABLES.items():
            values = {column: after.get(source) for column, source in fields.items()}
            if before is not None and values == {c: before.get(s) for c, s in fields.items()}:
                continue
            rows = self.tables.setdefault(table, {}).setdefault(employee_id, [])
            day = (after.get("hireDate") if not rows else None) or when.date().isoformat()
            rows.append({"id": str(len(rows) + 1), "date": day, **values})
            self.table_stamps.setdefault(table, {})[employee_id] = when

    def table_changes(self, table: str, since: datetime) -> dict[int, datetime]:
        """The employees whose rows of `table` changed at or after `since`, with when."""
        if table not in TABLES:
            raise Invalid(f"Table '{table}' does not exist", 404)
        stamps = self.table_stamps.get(table, {})
        return {i: when for i, when in sorted(stamps.items()) if when >= since and i in self.employees}

    def remove(self, employee_id: int) -> None:
        """Delete an employee for good, as an administrator can; the change feed says "Deleted"."""
        del self.employees[employee_id]
        del self.stamps[employee_id]
        self.created.pop(employee_id, None)
        self.deleted[employee_id] = self.now()

    def _stamp(self, employee_id: int, moment: datetime) -> None:
        record = self.employees[employee_id]
        record["displayName"] = " ".join(p for p in (record["firstName"], record["lastName"]) if p)
        record["lastChanged"] = bamboo_time(moment)
        self.stamps[employee_id] = moment

    def _writable(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(name for name in values if name not in FIELDS)
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
        clean = {name: _text(value) for name, value in values.items() if name not in READ_ONLY}
        for name in DATES & clean.keys():
            clean[name] = None if clean[name] == EMPTY_DATE else clean[name]
        return clean

    def validate(self, record: dict[str, Any], own_id: int | None) -> None:
        """Raise Invalid naming every problem of a record, the way BambooHR refuses a write."""
        problems = [f"{name} is required" for name in ("firstName", "lastName") if not record.get(name)]
        email = record.get("workEmail")
        if email and not EMAIL.match(email):
            problems.append(f"workEmail '{email}' is not a valid email address")
        department = record.get("department")
        if department and department not in self.departments:
            problems.append(self._not_an_option(department))
        if record.get("status") not in STATUSES:
            problems.append(f"status '{record.get('status')}' must be Active or Inactive")
        for name in sorted(DATES):
            if record.get(name) and not _is_date(record[name]):
                problems.append(f"{name} '{record[name]}' is not a date (YYYY-MM-DD)")
        problems += self._supervisor_problems(record.get("supervisorEId"), own_id)
        if problems:
            raise Invalid("; ".join(problems))

    def _supervisor_problems(self, supervisor: str | None, own_id: int | None) -> list[str]:
        if not supervisor:
            return []
        if not supervisor.isdigit() or int(supervisor) not in self.employees:
            return [f"supervisorEId '{supervisor}' is not an employee"]
        if own_id is not None and int(supervisor) == own_id:
            return ["supervisorEId: an employee cannot supervise themselves"]
        return []

    def changes(self, since: datetime, kind: str | None = None) -> list[Change]:
        """Employees inserted, updated or deleted at or after `since`, by id; `kind` keeps one action."""
        found = [
            Change(i, "Inserted" if self.created[i] >= since else "Updated", when)
            for i, when in self.stamps.items()
            if when >= since
        ]
        found += [Change(i, "Deleted", when) for i, when in self.deleted.items() if when >= since]
        if kind:
            found = [c for c in found if c.action.lower() == kind]
        return sorted(found, key=lambda c: c.id)

    def render(self, employee_id: int, fields: list[str]) -> dict[str, Any]:
        """One employee as the API answers it: every value text, an empty date "0000-00-00"."""
        record = self.employees[employee_id]
        shown: dict[str, Any] = {"id": str(employee_id)}
        for name in fields:
            if name != "id":
                value = record.get(name)
                shown[name] = EMPTY_DATE if name in DATES and value is None else value
        return shown


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
