"""The matcher of a case's terms, built once per change of those terms and kept per process."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.cases import terms_in_session
from storage.crypto import Crypto
from storage.models import Term
from takedown.term_masking import TermMasker

_CACHE: OrderedDict[tuple[object, ...], TermMasker] = OrderedDict()
_LOCK = Lock()
_MAX = 64


def masker_for(session: Session, crypto: Crypto, case_id: int) -> TermMasker:
    # Keyed by the ciphertexts: any change of a term (or a key rotation) builds a new matcher.
    key = (
        case_id,
        *session.execute(
            select(Term.id, Term.term_ct, Term.context_ct, Term.active).where(Term.case_id == case_id)
        ).all(),
    )
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    masker = TermMasker(terms_in_session(session, crypto, [case_id]))
    with _LOCK:
        _CACHE[key] = masker
        while len(_CACHE) > _MAX:
            _CACHE.popitem(last=False)
    return masker
