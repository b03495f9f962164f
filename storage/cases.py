"""Cases, their watch terms and watched targets: plaintext in, ciphertext stored, plaintext out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.breadth import TermRejectedError, breadth_problem
from matching.queries import search_queries
from matching.terms import TermSpec, TermSpecError, compact, compile_term
from storage.crypto import Cipher, Crypto
from storage.database import Store
from storage.errors import NotFoundError, TermTooBroadError, ValidationError
from storage.keyring import locked_keyring, new_case_key_id, new_fernet_key
from storage.models import Case, Target, Term, utcnow

TERM_KINDS = ("name", "alias", "handle", "keyword")
CASE_STATUSES = ("open", "closed")
MAX_TERM_LENGTH = 100


@dataclass(frozen=True)
class Consent:
    """Who consented, when and how, in the advocate's words, and who recorded it when."""

    statement: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class CaseView:
    id: int
    label: str
    notes: str | None
    consent: Consent
    status: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class TermView:
    id: int
    case_id: int
    kind: str
    text: str
    context: tuple[str, ...]
    exclude: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class TargetView:
    id: int
    case_id: int | None
    url: str
    platform: str
    render: bool
    active: bool
    last_checked_at: datetime | None
    last_outcome: str | None
    last_error: str | None


def _clean(value: str, field: str, *, max_length: int = 500) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValidationError(f"{field} must not be empty")
    if len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters")
    return value


def create_case(store: Store, label: str, consent: Consent, notes: str | None = None) -> int:
    """A case needs a consent record: no one is watched without it (threat T1)."""
    label = _clean(label, "label", max_length=200)
    consent = Consent(
        statement=_clean(consent.statement, "consent", max_length=1000),
        recorded_by=_clean(consent.recorded_by, "consent recorded by", max_length=64),
        recorded_at=_clean(consent.recorded_at, "consent recorded at", max_length=64),
    )
    key_id = new_case_key_id()
    # The case key goes into the key file before the row exists: a crash in between leaves an
    # unused key, never a row nobody can decrypt.
    with locked_keyring(store.crypto.keyring) as keyring:
        keyring.cases[key_id] = [new_fernet_key()]
    cipher = store.crypto.for_case(key_id)
    with store.session() as session:
        case = Case(
            key_id=key_id,
            label_ct=cipher.encrypt(label),
            notes_ct=cipher.encrypt_opt(notes.strip() if notes else None),
            consent_ct=cipher.encrypt(json.dumps(consent.__dict__, ensure_ascii=False)),
            status="open",
        )
        session.add(case)
        session.flush()
        return case.id


def _case_row(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case with id {case_id}")
    return case


def case_view(crypto: Crypto, case: Case) -> CaseView:
    cipher = crypto.for_case(case.key_id)
    consent = json.loads(cipher.decrypt(case.consent_ct))
    return CaseView(
        id=case.id,
        label=cipher.decrypt(case.label_ct),
        notes=cipher.decrypt_opt(case.notes_ct),
        consent=Consent(**consent),
        status=case.status,
        created_at=case.created_at,
        closed_at=case.closed_at,
    )


def get_case(store: Store, case_id: int) -> CaseView:
    with store.session() as session:
        return case_view(store.crypto, _case_row(session, case_id))


def list_cases(store: Store, status: str | None = None) -> list[CaseView]:
    if status is not None and status not in CASE_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(CASE_STATUSES)}")
    with store.session() as session:
        query = select(Case).order_by(Case.id)
        if status:
            query = query.where(Case.status == status)
        return [case_view(store.crypto, c) for c in session.scalars(query)]


def close_case(store: Store, case_id: int) -> None:
    with store.session() as session:
        case = _case_row(session, case_id)
        if case.status != "closed":
            case.status = "closed"
            case.closed_at = utcnow()


def reopen_case(store: Store, case_id: int) -> None:
    with store.session() as session:
        case = _case_row(session, case_id)
        case.status = "open"
        case.closed_at = None


def _clean_words(words: Sequence[str], field: str) -> list[str]:
    return [_clean(w, field, max_length=MAX_TERM_LENGTH) for w in words]


def check_term(
    text: str, kind: str, context: Sequence[str] = (), exclude: Sequence[str] = (), *, broad: bool = False
) -> tuple[str, list[str], list[str]]:
    """The cleaned term, context and exclude words, or the reason they cannot be registered."""
    if kind not in TERM_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(TERM_KINDS)}")
    text = _clean(text, "term", max_length=MAX_TERM_LENGTH)
    try:
        problem = breadth_problem(text, kind)
    except TermRejectedError as exc:
        raise ValidationError(str(exc)) from None
    if problem and not broad:
        raise TermTooBroadError(problem)
    return text, _clean_words(context, "context word"), _clean_words(exclude, "exclude word")


@dataclass(frozen=True)
class NewTerm:
    """One term to register; `line` (1-based, 0 when none) names its place in an imported file."""

    text: str
    kind: str = "name"
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    line: int = 0


def add_term(
    store: Store,
    case_id: int,
    text: str,
    kind: str = "name",
    context: Sequence[str] = (),
    exclude: Sequence[str] = (),
    *,
    broad: bool = False,
) -> int:
    """Register a term; refuses one the matcher cannot use and, unless `broad`, one too broad to watch."""
    return add_terms(store, case_id, [NewTerm(text, kind, tuple(context), tuple(exclude))], broad=broad)[0]


def _at(line: int, message: str) -> str:
    return f"line {line}: {message}" if line else message


def add_terms(store: Store, case_id: int, terms: Sequence[NewTerm], *, broad: bool = False) -> list[int]:
    """Register several terms in one transaction: all of them, or (on the first bad one) none.

    Every term passes the same checks as a single `add_term`; an error names the term's line when it has one.
    """
    ids: list[int] = []
    with store.session() as session:
        case = _case_row(session, case_id)
        if case.status != "open":
            raise ValidationError(f"case {case_id} is closed")
        checked: list[tuple[NewTerm, str, list[str], list[str]]] = []
        for new in terms:
            try:
                text, context_words, exclude_words = check_term(
                    new.text, new.kind, new.context, new.exclude, broad=broad
                )
            except ValidationError as exc:
                raise type(exc)(_at(new.line, str(exc))) from None
            checked.append((new, text, context_words, exclude_words))
        cipher = store.crypto.for_case(case.key_id)
        seen: dict[str, int] = {}
        for new, text, context_words, exclude_words in checked:
            index = store.crypto.index("term", text)
            if index in seen:
                raise ValidationError(_at(new.line, f"the same term as line {seen[index]}"))
            seen[index] = new.line
            candidates = store.crypto.index.candidates("term", text)
            clash = session.scalar(
                select(Term.id).where(Term.case_id == case_id, Term.term_idx.in_(candidates))
            )
            if clash is not None:
                raise ValidationError(
                    _at(new.line, f"this term is already registered on case {case_id} (term {clash})")
                )
            term = Term(
                case_id=case_id,
                kind=new.kind,
                term_ct=cipher.encrypt(text),
                term_idx=index,
                context_ct=cipher.encrypt_list(context_words) if context_words else None,
                exclude_ct=cipher.encrypt_list(exclude_words) if exclude_words else None,
                active=True,
            )
            session.add(term)
            session.flush()
            ids.append(term.id)
    return ids


def term_view(crypto: Crypto, term: Term, key_id: str) -> TermView:
    cipher = crypto.for_case(key_id)
    return TermView(
        id=term.id,
        case_id=term.case_id,
        kind=term.kind,
        text=cipher.decrypt(term.term_ct),
        context=tuple(cipher.decrypt_list(term.context_ct)),
        exclude=tuple(cipher.decrypt_list(term.exclude_ct)),
        active=term.active,
        created_at=term.created_at,
    )


def list_terms(store: Store, case_id: int) -> list[TermView]:
    with store.session() as session:
        case = _case_row(session, case_id)
        terms = session.scalars(select(Term).where(Term.case_id == case_id).order_by(Term.id))
        return [term_view(store.crypto, t, case.key_id) for t in terms]


def terms_in_session(session: Session, crypto: Crypto, case_ids: Sequence[int]) -> list[TermView]:
    """Every term (active or not) of these cases, inside the caller's transaction."""
    query = (
        select(Term, Case.key_id)
        .join(Case, Case.id == Term.case_id)
        .where(Case.id.in_(list(case_ids)))
        .order_by(Term.id)
    )
    return [term_view(crypto, t, key_id) for t, key_id in session.execute(query)]


def active_terms(store: Store, case_ids: Sequence[int] | None = None) -> list[TermView]:
    """Every active term of every open case: what a crawl watches for."""
    with store.session() as session:
        query = (
            select(Term, Case.key_id)
            .join(Case, Case.id == Term.case_id)
            .where(Term.active.is_(True), Case.status == "open")
            .order_by(Term.id)
        )
        if case_ids is not None:
            query = query.where(Case.id.in_(list(case_ids)))
        return [term_view(store.crypto, t, key_id) for t, key_id in session.execute(query)]


# A stored term the matcher cannot compile, by named reason (what the run report shows).
SKIP_REASONS = {
    "unknown-kind": "unknown kind",
    "empty-after-normalisation": "empty after normalisation",
    "unusable": "the matcher cannot use it",
}


@dataclass(frozen=True)
class SkippedTerm:
    """A stored term left out of a pass: id, case and a named reason from `SKIP_REASONS`, never its text."""

    term_id: int
    case_id: int
    reason: str

    def describe(self) -> str:
        return f"term {self.term_id} (case {self.case_id}): {SKIP_REASONS[self.reason]}"


def usable_terms(terms: Sequence[TermView]) -> tuple[list[TermView], list[SkippedTerm]]:
    """The terms the matcher can compile, and the others with a named reason.

    `term add` refuses such terms, but one may be in the database anyway (an older version, a direct
    edit): it must cost that term only, never the pass. The check is the matcher's own compile step.
    """
    usable: list[TermView] = []
    skipped: list[SkippedTerm] = []
    for term in terms:
        reason = None
        if term.kind not in TERM_KINDS:
            reason = "unknown-kind"
        else:
            try:
                compile_term(0, TermSpec(term.case_id, term.id, term.text, term.kind))
            except TermSpecError:
                reason = "unusable" if compact(term.text) else "empty-after-normalisation"
        if reason is None:
            usable.append(term)
        else:
            skipped.append(SkippedTerm(term.id, term.case_id, reason))
    return usable, skipped


def redaction_forms(terms: Sequence[TermView]) -> list[str]:
    """Every spelling of these terms a log line could carry: as registered, aliases, romanizations.

    The log redactor ignores case and separators and decodes percent-escapes and punycode itself; the
    matcher's own search variants add what it cannot derive (`Hong Gildong` for 홍길동).
    """
    forms: list[str] = []
    for term in terms:
        forms.append(term.text)
        try:
            forms += [
                query
                for _kind, query in search_queries(TermSpec(term.case_id, term.id, term.text, term.kind))
            ]
        except Exception:  # noqa: BLE001, S112 - an unusable stored term still has its text redacted
            continue
    return forms


def remove_term(store: Store, term_id: int) -> int:
    """Delete the term; returns its case id. Exposures found through it keep their record."""
    with store.session() as session:
        term = session.get(Term, term_id)
        if term is None:
            raise NotFoundError(f"no term with id {term_id}")
        case_id = term.case_id
        session.delete(term)
        return case_id


def set_term_active(store: Store, term_id: int, active: bool) -> int:
    with store.session() as session:
        term = session.get(Term, term_id)
        if term is None:
            raise NotFoundError(f"no term with id {term_id}")
        term.active = active
        return term.case_id


def add_target(
    store: Store, url: str, platform: str, case_id: int | None = None, render: bool = False
) -> int:
    """`url` must already have passed the safety gate and URL validation (the caller's job)."""
    with store.session() as session:
        key_id: str | None = None
        if case_id is not None:
            case = _case_row(session, case_id)
            if case.status != "open":
                raise ValidationError(f"case {case_id} is closed")
            key_id = case.key_id
        candidates = store.crypto.index.candidates("target", url)
        clash = session.scalar(select(Target.id).where(Target.url_idx.in_(candidates)))
        if clash is not None:
            raise ValidationError(f"this URL is already watched (target {clash})")
        target = Target(
            case_id=case_id,
            url_ct=target_cipher(store.crypto, key_id).encrypt(url),
            url_idx=store.crypto.index("target", url),
            platform=platform,
            render=render,
            active=True,
        )
        session.add(target)
        session.flush()
        return target.id


def target_cipher(crypto: Crypto, case_key_id: str | None) -> Cipher:
    """A target watched for one case is that case's data: its key, so purging the case shreds it."""
    return crypto.for_case(case_key_id) if case_key_id else crypto.data


def target_view(crypto: Crypto, target: Target, case_key_id: str | None = None) -> TargetView:
    return TargetView(
        id=target.id,
        case_id=target.case_id,
        url=target_cipher(crypto, case_key_id).decrypt(target.url_ct),
        platform=target.platform,
        render=target.render,
        active=target.active,
        last_checked_at=target.last_checked_at,
        last_outcome=target.last_outcome,
        last_error=target.last_error,
    )


def list_targets(store: Store, *, active_only: bool = False) -> list[TargetView]:
    with store.session() as session:
        query = select(Target, Case.key_id).outerjoin(Case, Case.id == Target.case_id).order_by(Target.id)
        if active_only:
            query = query.where(Target.active.is_(True))
        return [target_view(store.crypto, t, key_id) for t, key_id in session.execute(query)]


def remove_target(store: Store, target_id: int) -> None:
    with store.session() as session:
        target = session.get(Target, target_id)
        if target is None:
            raise NotFoundError(f"no target with id {target_id}")
        session.delete(target)
