"""A change to a partnership's closure days moves the deadlines of its open disputes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from agencies.models import ClosureDay, Partnership


@receiver(post_save, sender=ClosureDay, dispatch_uid="closure_day_saved")
@receiver(post_delete, sender=ClosureDay, dispatch_uid="closure_day_deleted")
def closure_days_changed(sender, instance: ClosureDay, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures: nothing to recompute yet
        return
    from escalation.disputes.deadline_changes import recompute_open_deadlines

    partnership = Partnership.objects.filter(pk=instance.partnership_id).first()
    if partnership is not None:  # None while the partnership itself is being deleted
        recompute_open_deadlines(partnership, timezone.now())
