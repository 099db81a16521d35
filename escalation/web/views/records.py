"""The written record of a dispute as a PDF: the record as it stands now, or a snapshot stored earlier."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation.disputes.record_files import RecordNotFound, RecordNotReady, download_record
from escalation.disputes.selectors import get_dispute_for
from escalation.records.render import TOO_LONG, RecordRenderingError, RecordTooLong

COULD_NOT_DRAW = "The record of {reference} could not be produced just now. Try again later."

#: ASCII digits only (str.isdigit() accepts other scripts' digits), short enough for a database id.
SNAPSHOT_ID = re.compile(r"[0-9]{1,18}")


@never_cache
@login_required
@require_GET
def download(request: HttpRequest, reference: str) -> HttpResponse:
    dispute = get_dispute_for(request.user, reference)
    snapshot = request.GET.get("snapshot")
    if snapshot is not None and not SNAPSHOT_ID.fullmatch(snapshot):
        raise Http404("No such record")
    try:
        record = download_record(dispute=dispute, user=request.user, snapshot_id=int(snapshot) if snapshot else None)
    except RecordNotReady as not_ready:
        messages.info(request, str(not_ready))
        return redirect("dispute", reference=dispute.reference)
    except RecordTooLong:
        messages.error(request, TOO_LONG.format(reference=dispute.reference))
        return redirect("dispute", reference=dispute.reference)
    except RecordRenderingError:
        messages.error(request, COULD_NOT_DRAW.format(reference=dispute.reference))
        return redirect("dispute", reference=dispute.reference)
    except RecordNotFound as missing:
        raise Http404("No such record") from missing
    response = HttpResponse(record.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{record.filename}"'
    response["Cache-Control"] = "no-store, private"
    return response
