"""What a policy gets for everything its file leaves out: categories, record form, notices and wording.

One place for each default, read both when a file is checked (`policies.schema`) and when a stored version
is asked for something it was loaded without (`policies.models`).
"""

#: Categories of disagreement, key to label, for a policy that lists none.
CATEGORIES = {
    "levels_of_need": "Levels of need or referral decisions",
    "roles_and_responsibilities": "Roles and responsibilities",
    "need_for_action": "The need for action",
    "communication": "Communication",
    "progressing_plans": "Progressing plans or care planning",
}

#: The record every policy can use: its template key (templates/records/<key>.html) and title.
RECORD_FORM = "general"
RECORD_FORM_TITLE = "Record of a professional disagreement"

#: What people are told when a dispute is raised, resolved or withdrawn: headline (after the dispute's
#: reference) and message. They may go by e-mail, so they carry no personal data.
NOTICES = {
    "raised": {"headline": "a professional disagreement has been raised with your agency", "message": ""},
    "resolved": {"headline": "the disagreement has been resolved", "message": ""},
    "withdrawn": {"headline": "the dispute has been withdrawn", "message": ""},
}

#: A deadline this close (in working days) is shown as due soon.
DUE_SOON_WORKING_DAYS = 2


def urgent_hint(hours: int | None) -> str:
    """The hint under the question whether anyone is at risk of immediate harm."""
    if hours:
        return f"Immediate harm means that someone could be hurt, or is not safe, in the next {hours} hours."
    return "Immediate harm means that someone could be hurt, or is not safe, now or in the next few hours."


def urgent_route_heading(hours: int | None) -> str:
    """The heading over what happens next, once someone says a person is at risk of immediate harm."""
    return f"The {hours}-hour route" if hours else "The urgent route"


def urgent_route_text(hours: int | None, *, higher_start: bool = True) -> str:
    """What must happen now; `higher_start` where the policy lets immediate harm start the dispute higher."""
    when = f"within {hours} hours" if hours else "straight away"
    text = f"Action to keep them safe must be taken {when}."
    if not higher_start:
        return text
    return (
        f"{text} You can start the dispute at a higher stage, so the people who can make that happen are involved "
        "at once."
    )
