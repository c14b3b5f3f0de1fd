"""everyday country names

Countries get the names people write ("Democratic Republic of the Congo", not "Congo, The Democratic
Republic of the"); the reasons already stored on assignments are rewritten to match.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rename(new_name, *, up: bool) -> None:
    """Rename the countries, and rewrite "posted to <name> from" in stored reasons (with "the" where it belongs)."""
    import pycountry

    from app.services.organisation.countries import in_sentence

    bind = op.get_bind()
    known = dict(bind.execute(sa.text("SELECT code, name FROM country")).all())
    for country in pycountry.countries:
        code = country.alpha_2
        old, new = known.get(code), new_name(country)
        if old is None:
            continue
        if old != new:
            bind.execute(sa.text("UPDATE country SET name = :new WHERE code = :code"), {"new": new, "code": code})
        old_words, new_words = (old, in_sentence(code, new)) if up else (in_sentence(code, old), new)
        if old_words != new_words:
            bind.execute(
                sa.text("UPDATE assignment SET reason = replace(reason, :old, :new) WHERE reason LIKE :like"),
                {"old": f" to {old_words} from ", "new": f" to {new_words} from ", "like": f"% to {old_words} from %"},
            )


def upgrade() -> None:
    from app.services.organisation.countries import natural_name

    _rename(natural_name, up=True)


def downgrade() -> None:
    _rename(lambda c: getattr(c, "common_name", None) or c.name, up=False)
