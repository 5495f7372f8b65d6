"""Seed vocabulary: business domains, repository names and personas for the scenarios.

A scenario draws its nouns from here so that the same bug shows up in an invoicing
service one time and in a fleet tracker the next, with field names that fit the domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from fabricator.convo import Ctx


@dataclass(frozen=True)
class Domain:
    """A business domain and the names a codebase in it would use."""

    pkg: str
    entity: str
    plural: str
    owner_field: str
    amount_field: str
    label_field: str
    words: tuple[str, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "billing",
        "invoice",
        "invoices",
        "customer_id",
        "amount",
        "number",
        ("overdue", "draft", "refund", "vat", "credit note"),
    ),
    Domain(
        "shop",
        "order",
        "orders",
        "customer_id",
        "total",
        "reference",
        ("cart", "checkout", "shipping", "coupon", "basket"),
    ),
    Domain(
        "support",
        "ticket",
        "tickets",
        "assignee",
        "priority",
        "subject",
        ("escalation", "sla", "queue", "reply", "triage"),
    ),
    Domain(
        "library",
        "loan",
        "loans",
        "member_id",
        "fine",
        "title",
        ("return", "renewal", "hold", "catalogue", "branch"),
    ),
    Domain(
        "fleet",
        "vehicle",
        "vehicles",
        "depot",
        "mileage",
        "plate",
        ("service", "fuel", "route", "driver", "inspection"),
    ),
    Domain(
        "clinic",
        "appointment",
        "appointments",
        "doctor_id",
        "fee",
        "slot",
        ("patient", "booking", "reminder", "cancellation", "ward"),
    ),
    Domain(
        "hr",
        "employee",
        "employees",
        "department",
        "salary",
        "name",
        ("leave", "payroll", "onboarding", "review", "contract"),
    ),
    Domain(
        "logistics",
        "shipment",
        "shipments",
        "carrier",
        "weight",
        "tracking_code",
        ("parcel", "warehouse", "manifest", "customs", "pallet"),
    ),
    Domain(
        "crm",
        "lead",
        "leads",
        "owner",
        "value",
        "company",
        ("pipeline", "contact", "deal", "campaign", "follow-up"),
    ),
    Domain(
        "telemetry",
        "reading",
        "readings",
        "sensor_id",
        "value",
        "unit",
        ("sensor", "sample", "threshold", "gateway", "alert"),
    ),
    Domain(
        "blog",
        "post",
        "posts",
        "author",
        "views",
        "slug",
        ("draft", "comment", "tag", "feed", "editor"),
    ),
    Domain(
        "events",
        "booking",
        "bookings",
        "venue",
        "seats",
        "code",
        ("ticketing", "attendee", "waitlist", "session", "check-in"),
    ),
    Domain(
        "ledger",
        "entry",
        "entries",
        "account_id",
        "amount",
        "memo",
        ("balance", "journal", "posting", "reconciliation", "transfer"),
    ),
    Domain(
        "school",
        "enrollment",
        "enrollments",
        "course_id",
        "credits",
        "student",
        ("semester", "grade", "timetable", "roster", "transcript"),
    ),
    Domain(
        "catalog",
        "product",
        "products",
        "category",
        "price",
        "sku",
        ("variant", "stock", "listing", "discount", "supplier"),
    ),
    Domain(
        "travel",
        "reservation",
        "reservations",
        "hotel_id",
        "nights",
        "guest",
        ("itinerary", "check-in", "room", "fare", "voucher"),
    ),
    Domain(
        "music",
        "track",
        "tracks",
        "album_id",
        "plays",
        "title",
        ("playlist", "royalty", "artist", "release", "stream"),
    ),
    Domain(
        "payroll",
        "payslip",
        "payslips",
        "employee_id",
        "gross",
        "period",
        ("deduction", "bonus", "tax code", "overtime", "pension"),
    ),
)

REPO_SUFFIXES = ("service", "api", "core", "backend", "platform", "tools", "app", "worker")


def domain(ctx: Ctx) -> Domain:
    return ctx.pick(DOMAINS)


def repo_name(ctx: Ctx, d: Domain) -> str:
    return f"{d.pkg}-{ctx.pick(REPO_SUFFIXES)}"


SERVICE_SUFFIXES = ("svc", "api", "worker", "gateway")


def service_name(ctx: Ctx, d: Domain) -> str:
    """A directory name for one service of the domain's monorepo."""
    word = ctx.pick(d.words) if d.words else d.pkg
    return f"{word}_{ctx.pick(SERVICE_SUFFIXES)}"
