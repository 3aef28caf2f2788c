"""Employees, departments and job positions (`hr.employee`, `hr.department`, `hr.job`), Odoo 17's hr.

Archiving is Odoo's delete for people: `active = False` hides an employee from every search (and
from one2many lists) unless the context says `active_test: False` or the domain names `active`.
`action_archive` / `toggle_active` also empty the manager and coach links that pointed at the
archived employees and answer the "Register Departure" wizard action, as Odoo does; a plain
`write({"active": False})` only archives.

Like Odoo's stored computes, a new department sets the employee's manager to the department's
manager, a new manager becomes the coach when the coach was the previous manager (or empty), and
a department's new manager becomes the manager of its members who reported to the previous one.
"""

from __future__ import annotations

from typing import Any

from connectors.emulators.odoo import writes
from connectors.emulators.odoo.database import Database
from connectors.emulators.odoo.errors import ValidationError
from connectors.emulators.odoo.fields import Env, FieldSpec, Hooks, Record
from connectors.emulators.odoo.models import make_model
from connectors.emulators.odoo.relations import one2many, records_of

EMPLOYEE_TYPES = (
    ("employee", "Employee"),
    ("worker", "Worker"),
    ("student", "Student"),
    ("trainee", "Trainee"),
    ("contractor", "Contractor"),
    ("freelance", "Freelancer"),
)
GENDERS = (("male", "Male"), ("female", "Female"), ("other", "Other"))


def _ancestors_ok(db: Database, model: str, record: Record, message: str) -> None:
    table, seen, parent = db.tables[model], {record["id"]}, record.get("parent_id")
    while parent:
        if parent in seen:
            raise ValidationError(message)
        seen.add(parent)
        parent = (table.get(parent) or {}).get("parent_id")


def complete_name(db: Database, department: Record) -> str:
    """ "Parent / Child" down the hierarchy (`_compute_complete_name`)."""
    names, seen, table = [], set(), db.tables["hr.department"]
    current: Record | None = department
    while current is not None and current["id"] not in seen:
        seen.add(current["id"])
        names.append(current.get("name") or "")
        current = table.get(current.get("parent_id") or 0)
    return " / ".join(reversed(names))


def total_employee(db: Database, department: Record) -> int:
    employees = db.tables["hr.employee"]
    members = db.children("hr.employee", "department_id").get(department["id"], [])
    return sum(1 for member in members if employees[member].get("active"))


def update_members_manager(env: Env, departments: list[Record], vals: Record) -> None:
    """A new department manager manages the members who reported to the previous one."""
    if "manager_id" not in vals:
        return
    manager = vals["manager_id"] or None
    employees, db = env.db.tables["hr.employee"], env.db
    moved = [
        employee["id"]
        for department in departments
        for employee in employees.values()
        if employee.get("department_id") == department["id"]
        and employee.get("parent_id") == department.get("manager_id")
        and employee["id"] != manager
        and employee.get("active")
    ]
    if moved:
        writes.write_records(db, "hr.employee", moved, {"parent_id": manager or False}, env.uid)


HR_DEPARTMENT = make_model(
    "hr.department",
    "Department",
    {
        "name": FieldSpec("char", "Department Name", required=True),
        "complete_name": FieldSpec("char", "Complete Name", readonly=True, compute=complete_name),
        "active": FieldSpec("boolean", "Active", default=True),
        "parent_id": FieldSpec("many2one", "Parent Department", relation="hr.department"),
        "child_ids": one2many("Child Departments", "hr.department", "parent_id"),
        "manager_id": FieldSpec("many2one", "Manager", relation="hr.employee"),
        "member_ids": one2many("Members", "hr.employee", "department_id", readonly=True),
        "total_employee": FieldSpec(
            "integer", "Total Employee", readonly=True, store=False, compute=total_employee
        ),
        "note": FieldSpec("text", "Note"),
        "color": FieldSpec("integer", "Color Index"),
        "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
    },
    display_name=complete_name,
    rec_name="complete_name",
    order="name",
    constraints=(
        lambda db, record: _ancestors_ok(
            db, "hr.department", record, "You cannot create recursive departments."
        ),
    ),
    hooks=Hooks(before_write=update_members_manager),
)

HR_JOB = make_model(
    "hr.job",
    "Job Position",
    {
        "name": FieldSpec("char", "Job Position", required=True),
        "department_id": FieldSpec("many2one", "Department", relation="hr.department"),
        "active": FieldSpec("boolean", "Active", default=True),
        "description": FieldSpec("html", "Job Description"),
    },
    order="name",
)


def _department_manager(db: Database, department_id: Any, employee_id: int | None) -> int | None:
    department = db.tables["hr.department"].get(department_id or 0)
    manager = department.get("manager_id") if department else None
    return manager if manager and manager != employee_id else None


def prepare_employee(env: Env, values: Record) -> None:
    if values.get("department_id") and not values.get("parent_id"):
        values["parent_id"] = _department_manager(env.db, values["department_id"], None)
    if values.get("parent_id") and not values.get("coach_id"):
        values["coach_id"] = values["parent_id"]


def follow_department_and_manager(env: Env, employees: list[Record], vals: Record) -> None:
    """The manager follows a new department; the coach follows a new manager when it was the old one."""
    for employee in employees:
        derived: Record = {}
        parent = employee.get("parent_id")
        if "department_id" in vals and "parent_id" not in vals:
            manager = _department_manager(env.db, vals["department_id"], employee["id"])
            if manager:
                derived["parent_id"] = parent = manager
        elif "parent_id" in vals:
            parent = vals["parent_id"] or None
        coach = employee.get("coach_id")
        if (
            parent != employee.get("parent_id")
            and "coach_id" not in vals
            and (not coach or coach == employee.get("parent_id"))
        ):
            derived["coach_id"] = parent
        if derived:
            env.db.update("hr.employee", employee["id"], derived)


def toggle_active(env: Env, ids: list[int]) -> Any:
    """Archive or restore; archived employees stop being anyone's manager or coach."""
    db = env.db
    employees = records_of(db, "hr.employee", ids)
    archived = [e["id"] for e in employees if e.get("active")]
    restored = [e["id"] for e in employees if not e.get("active")]
    if archived:
        writes.write_records(db, "hr.employee", archived, {"active": False}, env.uid, env.context)
    if restored:
        cleared = {"active": True, "departure_date": False, "departure_description": False}
        writes.write_records(db, "hr.employee", restored, cleared, env.uid, env.context)
    for name in ("parent_id", "coach_id"):
        linked = [e["id"] for e in db.tables["hr.employee"].values() if e.get(name) in archived]
        if linked:
            writes.write_records(db, "hr.employee", linked, {name: False}, env.uid, {"active_test": False})
    if len(ids) == 1 and archived and not env.context.get("no_wizard"):
        return {
            "type": "ir.actions.act_window",
            "name": "Register Departure",
            "res_model": "hr.departure.wizard",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"active_id": ids[0], "toggle_active": True},
        }
    return True


def _archive(active: bool) -> Any:
    def method(env: Env, ids: list[int]) -> Any:
        wanted = [e["id"] for e in records_of(env.db, "hr.employee", ids) if bool(e.get("active")) == active]
        return toggle_active(env, wanted) if wanted else True

    return method


HR_EMPLOYEE = make_model(
    "hr.employee",
    "Employee",
    {
        "name": FieldSpec("char", "Employee Name", required=True),
        "active": FieldSpec("boolean", "Active", default=True),
        "work_email": FieldSpec("char", "Work Email"),
        "work_phone": FieldSpec("char", "Work Phone"),
        "mobile_phone": FieldSpec("char", "Work Mobile"),
        "job_title": FieldSpec("char", "Job Title"),
        "job_id": FieldSpec("many2one", "Job Position", relation="hr.job"),
        "department_id": FieldSpec("many2one", "Department", relation="hr.department"),
        "parent_id": FieldSpec("many2one", "Manager", relation="hr.employee"),
        "coach_id": FieldSpec("many2one", "Coach", relation="hr.employee"),
        "child_ids": one2many("Direct subordinates", "hr.employee", "parent_id"),
        "employee_type": FieldSpec(
            "selection", "Employee Type", selection=EMPLOYEE_TYPES, required=True, default="employee"
        ),
        "private_email": FieldSpec("char", "Private Email"),
        "private_phone": FieldSpec("char", "Private Phone"),
        "birthday": FieldSpec("date", "Date of Birth"),
        "gender": FieldSpec("selection", "Gender", selection=GENDERS),
        "departure_date": FieldSpec("date", "Departure Date"),
        "departure_description": FieldSpec("html", "Additional Information"),
        "x_hub_id": FieldSpec("char", "Hub ID", manual=True),
    },
    order="name",
    rec_names_search=("name", "work_email"),
    constraints=(
        lambda db, record: _ancestors_ok(
            db, "hr.employee", record, "You cannot create a recursive hierarchy."
        ),
    ),
    hooks=Hooks(prepare=prepare_employee, before_write=follow_department_and_manager),
    methods={
        "toggle_active": toggle_active,
        "action_archive": _archive(True),
        "action_unarchive": _archive(False),
    },
)

HR_MODELS = (HR_DEPARTMENT, HR_JOB, HR_EMPLOYEE)
