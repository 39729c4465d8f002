"""SQLAlchemy models. Every datum hangs off a compound (multi-compound from day one).

The schema is created and migrated by Alembic (`storage/migrations`); these classes are the
source the migrations are checked against (`tests/storage/test_migrations.py`).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend (SQLite keeps no zone; it is added back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[str]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native PG enum): adding a member needs no type migration.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ResidencyRole(enum.StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    FAMILY = "family"


class ResidencyStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class StaffRole(enum.StrEnum):
    STAFF = "staff"
    MANAGER = "manager"


# The skills a staff member may have; repairs are routed by them. `/addstaff` and the staff
# import both check against this one list.
KNOWN_SKILLS = (
    "plumbing",
    "electrical",
    "lifts",
    "doors",
    "cleaning",
    "security",
    "greening",
    # Fees and payments: billing questions ("I paid but it still shows unpaid") go to them.
    "billing",
)


class ChatPurpose(enum.StrEnum):
    RESIDENTS = "residents"
    STAFF = "staff"


class Compound(Base):
    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # How residents write a unit, e.g. "{building}-{entrance}-{room}" -> 3-2-1502.
    unit_label_format: Mapped[str] = mapped_column(String(64), default="{building}-{room}")
    # Per-compound values: knowledge-base placeholders (office_phone, ...), feature switches.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    buildings: Mapped[list[Building]] = relationship(back_populates="compound")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))

    compound: Mapped[Compound] = relationship(back_populates="buildings")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("compound_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    floor: Mapped[int | None] = mapped_column(Integer)
    area_m2: Mapped[float | None] = mapped_column()

    building: Mapped[Building] = relationship()


class Person(Base):
    """Someone the bot knows: by messenger identity, or from an imported roster."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    # The language the person chose (/lang) or the one their messenger reported.
    locale: Mapped[str | None] = mapped_column(String(5))
    locale_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when Telegram answers 403: the person blocked the bot; cleared when they write again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Notice topics the person asked not to receive (`storage.repos.audience.MUTABLE_TOPICS`).
    muted: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Residency(Base):
    __tablename__ = "residencies"
    __table_args__ = (Index("ix_residencies_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    role: Mapped[ResidencyRole] = mapped_column(_enum(ResidencyRole))
    status: Mapped[ResidencyStatus] = mapped_column(_enum(ResidencyStatus))
    # How the binding came about: "invite", "request", "import".
    source: Mapped[str] = mapped_column(String(16))
    # The name the resident gave for the office's register (requests and imports).
    registered_name: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class StaffMember(Base):
    __tablename__ = "staff_members"
    __table_args__ = (UniqueConstraint("compound_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    skills: Mapped[list[str]] = mapped_column(default=list)  # names from KNOWN_SKILLS
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship()


class ChatBinding(Base):
    """A messenger chat with a purpose in a compound: its resident group or its staff chat."""

    __tablename__ = "chat_bindings"
    __table_args__ = (UniqueConstraint("chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[ChatPurpose] = mapped_column(_enum(ChatPurpose))
    title: Mapped[str] = mapped_column(String(200), default="")
    is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InviteCode(Base):
    """A one-time code that binds whoever redeems it to a unit."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    # A unit invite binds a resident (role owner/tenant/family); a staff invite (no unit)
    # makes the person staff or manager of the compound with the given skills.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    skills: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit | None] = relationship()


class InviteAttempts(Base):
    """Wrong invite codes a person typed lately. Unit codes are short enough to type from
    paper, so guessing is stopped here: too many wrong ones in a while lock the person out
    for a while (storage/repos/invites.py). Kept in the store, so a restart or a second
    process does not forget it."""

    __tablename__ = "invite_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), unique=True
    )
    wrong: Mapped[int] = mapped_column(Integer, default=0)
    # When the first wrong code of the current window was typed.
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Conversation(Base):
    """Where one user is in a multi-step flow in one chat, and what they typed so far."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("user_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Changes with every step; buttons of a step carry it, so a stale press is recognised.
    nonce: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SentMessage(Base):
    """A bot message that may be edited later (a staff card, a request card), by what it shows."""

    __tablename__ = "sent_messages"
    __table_args__ = (
        Index("ix_sent_messages_ref", "ref"),
        # A staff reply to a card is matched back to its case by (chat, message).
        Index("ix_sent_messages_chat_message", "chat_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    # The forum topic the message opened or went to, when the chat is a forum.
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboxUpdate(Base):
    """An update from Telegram, stored before Telegram is told it arrived (the polling offset
    moves past it, or the webhook answers 200), and marked handled in the same transaction as
    what handling it changed. A restart handles every stored update not yet handled."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "handled_at", "update_id"),)

    # Telegram's update id: a repeated delivery of the same update is stored once.
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanently: Telegram refused the message, or it kept failing
    BLOCKED = "blocked"  # permanently: the chat refuses the bot (403)
    CANCELLED = "cancelled"  # a broadcast row the manager stopped before it went out


class BroadcastKind(enum.StrEnum):
    NOTICE = "notice"
    EMERGENCY = "emergency"
    ALL_CLEAR = "all_clear"
    FEE_REMINDER = "fee_reminder"
    EVENT = "event"
    DISCLOSURE = "disclosure"


class Broadcast(Base):
    """One message to many: a notice, an emergency, reminders. Its messages are outbox rows,
    one per chat (`OutboxMessage.broadcast_id`), sent by `bot.engine.bulk.BulkSender`.

    `subject` names what was sent ("notice:12:2026-12-07T00:00Z") and is unique, so a
    scheduled slot fired twice (two processes, a restart) opens one broadcast only.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    kind: Mapped[BroadcastKind] = mapped_column(_enum(BroadcastKind))
    subject: Mapped[str] = mapped_column(String(96), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Urgent: sent before everything else, ignoring quiet hours (emergencies).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The chat where the sender's progress message is edited in place, and when it last was.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(5), default="zh")


class OutboxMessage(Base):
    """One message the bot owes someone: a reply, a card, a card edit, a notification.

    Written in the transaction of the change that caused it and delivered after the commit by
    `bot.engine.outbox`, which claims a row before sending it and marks it sent with the
    message id. A crash leaves unsent rows pending; they are delivered after the restart, in
    order per chat. Only rows handed to Telegram with no result recorded can go out twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before", "id"),
        Index("ix_outbox_chat", "chat_id", "status", "id"),
        Index("ix_outbox_ref", "ref", "status"),
        # The bulk sender's queue: urgent first, then oldest.
        Index("ix_outbox_bulk", "status", "priority", "not_before", "id"),
        # One message per broadcast and chat; ordinary rows (no broadcast) are not limited.
        UniqueConstraint("broadcast_id", "chat_id"),
        # A broadcast's counts and whether anything of it is left to send.
        Index("ix_outbox_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # "send" or "edit"
    # The chat it goes to; None for an edit of every message sent under `ref`.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    ref: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    # Set for a broadcast's rows: sent by the bulk sender, apart from replies.
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # 0 urgent, 1 a reply or notification, 2 bulk (`bot.engine.bulk.Priority`).
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Held by a sender until then; a sender that died lets go when it passes.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what, when: every decision and every change of someone else's data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A question the knowledge base had no confident answer for, kept for managers."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5))
    best_topic: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(default=0.0)
    # "low_confidence" (no answer given) or "not_helpful" (answered, resident said it did not help)
    reason: Mapped[str] = mapped_column(String(20), default="low_confidence")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerFeedback(Base):
    """Counts "this did not help" presses against a knowledge-base entry."""

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("compound_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)


# ── Cases: repairs, complaints, inquiries and emergencies share one model and lifecycle ──


class CaseKind(enum.StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    EMERGENCY = "emergency"


class CaseStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.CLOSED, CaseStatus.CANCELLED)


class Urgency(enum.StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    NORMAL = "normal"


class Case(Base):
    """One resident request that staff work on, with a readable number like R-20261127-007."""

    __tablename__ = "cases"
    __table_args__ = (
        # Numbers restart every day in every compound: two compounds both have an
        # R-20261127-001, so a number is unique only within its compound.
        UniqueConstraint("compound_id", "number"),
        Index("ix_cases_compound_status", "compound_id", "status"),
        Index("ix_cases_resident", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(24))
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.SUBMITTED)
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.NORMAL)
    resident_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    # In-unit work names the unit; a common-area case names building, floor and place instead.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    building: Mapped[str | None] = mapped_column(String(32))
    place: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[str]] = mapped_column(default=list)
    visit_window: Mapped[str | None] = mapped_column(String(32))
    # Complaints: staff do not see who filed it; managers do.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    mediation: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    last_urged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    resident: Mapped[Person] = relationship(foreign_keys=[resident_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    unit: Mapped[Unit | None] = relationship()
    # The filer's residencies in the case's compound, so cards can say owner, tenant or family
    # member; loaded with the case (selectin), and read by cards only if loaded.
    filer_residencies: Mapped[list[Residency]] = relationship(
        primaryjoin="and_(Case.resident_id == foreign(Residency.person_id), "
        "Case.compound_id == foreign(Residency.compound_id))",
        viewonly=True,
        lazy="selectin",
        order_by="Residency.id",
    )


class CaseEventKind(enum.StrEnum):
    """What happened to a case; stored in `case_events.kind` as its value."""

    CREATED = "created"
    ASSIGNED = "assigned"
    STARTED = "started"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    RATED = "rated"
    RATING_COMMENT = "rating_comment"
    AUTO_CLOSED = "auto_closed"
    URGED = "urged"
    RESIDENT_MESSAGE = "resident_message"
    STAFF_MESSAGE = "staff_message"
    STAFF_QUESTION = "staff_question"
    # Staff answered a resident's question: the inquiry is resolved with the answer as its note.
    ANSWERED = "answered"
    NOTE = "note"
    ESCALATED = "escalated"


class CaseEvent(Base):
    """Every change and message on a case, with who and when. `internal` notes stay with staff."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseFollower(Base):
    """A resident who chose to follow an existing case instead of opening a duplicate."""

    __tablename__ = "case_followers"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))


class CaseCounter(Base):
    """The last case number used per compound and day (numbers restart every day)."""

    __tablename__ = "case_counters"
    __table_args__ = (UniqueConstraint("compound_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(8))
    last: Mapped[int] = mapped_column(Integer, default=0)


class DeadlineKind(enum.StrEnum):
    RESPONSE_REMINDER = "response_reminder"
    RESPONSE_BREACH = "response_breach"
    RESOLVE_REMINDER = "resolve_reminder"
    RESOLVE_BREACH = "resolve_breach"
    EMERGENCY_REALERT = "emergency_realert"
    AUTO_CLOSE = "auto_close"


class Deadline(Base):
    """A timed step on a case. The scheduler is rebuilt from these rows on start; a row is
    claimed (fired_at set) in the same transaction that acts on it, so none fires twice."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_pending", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[DeadlineKind] = mapped_column(_enum(DeadlineKind))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class ScheduledJob(Base):
    """A timed task that is not a case deadline: a notice's next slot, a day's fee reminders,
    an event reminder. The scheduler is rebuilt from these rows on start and fires each once
    (claimed in the transaction that acts on it); `kind` names the handler
    (`Flows.job`), `subject` what it is about."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "due_at"),
        Index("ix_scheduled_jobs_pending", "fired_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(96))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


# ── Emergency broadcasts: who was asked, and what each answered ──


class RollCallAnswerKind(enum.StrEnum):
    """What a resident answered to an emergency broadcast."""

    SAFE = "safe"
    HELP = "help"
    AWAY = "away"


class RollCall(Base):
    """An emergency (or a drill) told to residents, who each answer safe / need help / away.

    The people asked are its answer rows, written when it goes out (`answer` still None), so
    a press from anyone else is refused and those who have not answered are known. It is kept
    after the all-clear, for the record (`courtyard export rollcall ID`)."""

    __tablename__ = "roll_calls"
    __table_args__ = (Index("ix_roll_calls_compound", "compound_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    # The template it started from (fire, gas, flood, power, lift, drill) or "custom".
    template: Mapped[str] = mapped_column(String(16))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # What residents read, per locale ("zh", "en"): the template's texts or the manager's own.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The buildings it went to; empty for the whole compound.
    buildings: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Where the manager's control message is (their private chat or the staff chat).
    manager_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # From then on the manager may send it again to those who have not answered.
    resend_after: Mapped[datetime] = mapped_column(UTCDateTime())
    # The interval the manager chose between sending and re-sending, in minutes.
    resend_minutes: Mapped[int] = mapped_column(Integer, default=10)
    # The last re-send to those who had not answered, and how many it went to.
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resent_to: Mapped[int] = mapped_column(Integer, default=0)
    # The staff chat's board: last edited then; `board_dirty` when answers came in since.
    board_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    board_dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    all_clear_text: Mapped[str | None] = mapped_column(Text)


class RollCallAnswer(Base):
    """One person asked by a roll-call, and their latest answer (None: not yet). A changed
    answer replaces the earlier one; the change is in the audit log."""

    __tablename__ = "roll_call_answers"
    __table_args__ = (UniqueConstraint("roll_call_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_calls.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    # Their home in the audience when it went out, as the board and the export show it.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    unit_label: Mapped[str] = mapped_column(String(32), default="")
    building: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[RollCallAnswerKind | None] = mapped_column(_enum(RollCallAnswerKind))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The emergency case a "need help" opened, so a second press does not open another.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    person: Mapped[Person] = relationship()


# ── Notices: what managers tell residents, now, at a time or on a recurrence ──


class NoticeCategory(enum.StrEnum):
    WATER_OUTAGE = "water_outage"
    POWER_OUTAGE = "power_outage"
    MAINTENANCE = "maintenance"
    SAFETY = "safety"
    COMMUNITY = "community"
    FEES = "fees"
    OTHER = "other"

    @property
    def is_outage(self) -> bool:
        return self in (NoticeCategory.WATER_OUTAGE, NoticeCategory.POWER_OUTAGE)


class NoticeChannel(enum.StrEnum):
    PRIVATE = "private"  # a private message to every bound resident of the audience
    GROUP = "group"  # a post in the compound's residents' group
    BOARD = "board"  # listed by /notices


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its (next) time
    SENT = "sent"  # went out and has no further time
    CANCELLED = "cancelled"
    ENDED = "ended"  # a recurrence past its last date, or a one-off no longer relevant


class Notice(Base):
    """A notice a manager wrote, with who it is for, how and when it goes out.

    Each time it goes out is a broadcast (subject `notice:<id>:<slot>`); the schedule's next
    time is a scheduled job row, so a restart loses none and fires none twice.
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_compound_status", "compound_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    category: Mapped[NoticeCategory] = mapped_column(_enum(NoticeCategory))
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(200))  # a Telegram file id
    # Who it is for: {"buildings": [...], "units": [...], "owners_only": bool}; empty lists
    # mean the whole compound.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channels: Mapped[list[str]] = mapped_column(default=list)  # NoticeChannel values
    # When: {"repeat": "once"|"daily"|"weekly"|"monthly", "at": ISO local datetime (once),
    # "clock": "HH:MM", "days": [0-6, Monday 0], "day": 1-31, "until": "YYYY-MM-DD"|None};
    # times in the compound's timezone. "Now" is a once whose `at` is when it was confirmed.
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Outages: the buildings without water or power (empty: the whole compound) and when.
    outage_buildings: Mapped[list[str]] = mapped_column(default=list)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[NoticeStatus] = mapped_column(
        _enum(NoticeStatus), default=NoticeStatus.SCHEDULED
    )
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(Integer, default=0)
    # Until when residents' /notices lists it once it went out.
    shown_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# ── Community events: a sign-up list with a capacity, a waitlist and check-in at the door ──


class EventStatus(enum.StrEnum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Event(Base):
    """A community event residents sign up for (handlers/events/). Capacity counts people;
    each household (unit) brings at most `per_household`. `buildings` empty: the whole
    compound is invited."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_compound_starts", "compound_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    per_household: Mapped[int] = mapped_column(Integer)
    buildings: Mapped[list[str]] = mapped_column(default=list)
    photo: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), default=EventStatus.PUBLISHED)
    # Arrival order of sign-ups: each sign-up (and each re-sign-up) takes the next number,
    # in the transaction that holds the event's row, so the waitlist is first come first served.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class EventSignup(Base):
    """One household's place at an event: how many come, whether they have a place or wait
    for one, and the code they show at the door."""

    __tablename__ = "event_signups"
    __table_args__ = (
        # One sign-up per household and event: a second member of the home sees the first's.
        UniqueConstraint("event_id", "unit_id", name="uq_event_signups_household"),
        UniqueConstraint("event_id", "code", name="uq_event_signups_code"),
        Index("ix_event_signups_event_status", "event_id", "status", "seq"),
        Index("ix_event_signups_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    people: Mapped[int] = mapped_column(Integer)
    status: Mapped[SignupStatus] = mapped_column(_enum(SignupStatus))
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship()


# ── Fees: bills per unit, payments against them, the office's ledger, disclosures ──


class FeeItem(enum.StrEnum):
    """What a bill is for."""

    MANAGEMENT = "management"  # 物业费
    PARKING = "parking"  # 停车费
    WATER = "water"  # 水费
    ELECTRICITY = "electricity"  # 电费
    SHARED = "shared"  # 公摊 (shared utilities)
    GARBAGE = "garbage"  # 垃圾费
    OTHER = "other"


class LedgerKind(enum.StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


class Bill(Base):
    """What a unit owes for one item and one period ("2026-11", or a quarter "2026-Q4").
    Amounts are whole cents in the compound's currency: money is never a float here."""

    __tablename__ = "fee_bills"
    __table_args__ = (
        UniqueConstraint("unit_id", "period", "item"),
        Index("ix_fee_bills_compound_due", "compound_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    item: Mapped[FeeItem] = mapped_column(_enum(FeeItem))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    payment_link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Payment(Base):
    """Money received against a unit's bill (one item and period); several partial payments
    may settle one bill. `reference` is the office's (receipt or transfer number): importing
    the same payment twice finds it by reference and adds nothing."""

    __tablename__ = "fee_payments"
    __table_args__ = (
        UniqueConstraint("compound_id", "reference"),
        Index("ix_fee_payments_unit", "unit_id", "period", "item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    item: Mapped[FeeItem] = mapped_column(_enum(FeeItem))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerEntry(Base):
    """One line of the office's accounts for a month: income or expense by category, for the
    monthly financial disclosure (财务公开)."""

    __tablename__ = "fee_ledger"
    __table_args__ = (UniqueConstraint("compound_id", "month", "kind", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    kind: Mapped[LedgerKind] = mapped_column(_enum(LedgerKind))
    category: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")


class FeeDisclosure(Base):
    """A month's financial disclosure as published: what residents were shown, and when."""

    __tablename__ = "fee_disclosures"
    __table_args__ = (UniqueConstraint("compound_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeeReminder(Base):
    """A reminder queued for a household (a broadcast of its own, to its residents' private
    chats): at most one a week per unit; a payment imported before it went out cancels the
    broadcast's rows that are still waiting."""

    __tablename__ = "fee_reminders"
    __table_args__ = (Index("ix_fee_reminders_unit", "unit_id", "queued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    broadcast_id: Mapped[int | None] = mapped_column(Integer)
    owed_cents: Mapped[int] = mapped_column(BigInteger)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a payment arrived before it went out: its rows were cancelled, it never counted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
