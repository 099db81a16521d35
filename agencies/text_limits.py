"""How long each kind of typed text may be: one number per kind, shared by the models and the forms.

It lives in the lowest layer so that partnerships (here), policies and every part of `escalation` can name the same
limit. A model field carries it as `max_length` (its admin form and `full_clean` check it, and a database
constraint holds it for the long texts); a page's form carries it too, refuses longer text with a message
that says so, and shows GOV.UK's character count. Nothing is ever cut short: text over the limit is sent back
to the person with what they typed. The limits also bound how much a written record (PDF) has to draw.
"""

#: A person's or an organisation's name.
NAME = 200
#: A short line: a job title, other identifiers, a note.
SHORT_TEXT = 200
#: A telephone number, an e-mail address and the like, on one line.
CONTACT_DETAILS = 300
#: A postal address.
ADDRESS = 500
#: The disagreement, what has been tried, a record entry, an agreed outcome: the long accounts.
LONG_TEXT = 10_000
#: Why an escalation is proposed, declined, withdrawn, disagreed with or a risk reported.
REASON = 5_000
#: What a stage visit records as its reason: a REASON with room for the words the app puts before it.
STAGE_REASON = REASON + 100
#: Why a deadline is extended, paused, restarted or brought forward.
DEADLINE_REASON = 2_000
#: A partnership's urgent contacts, shown when someone reports a risk of immediate harm.
URGENT_CONTACTS = 2_000


def too_long(noun: str, limit: int) -> str:
    """The GOV.UK error message for text over its limit, e.g. "The reason must be 5,000 characters or fewer"."""
    return f"{noun} must be {limit:,} characters or fewer"
